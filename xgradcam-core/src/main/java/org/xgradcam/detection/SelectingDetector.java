package org.xgradcam.detection;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Target;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.onnx.DetectionOutputs;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.runtime.ForwardSession;
import org.xgradcam.tensor.FloatTensor;

/**
 * A detector whose graph selects its boxes itself (score threshold, top-k and NMS inside, as
 * torchvision's SSD, RetinaNet, FCOS and Faster R-CNN are exported), ending in boxes, scores and
 * labels. A detection is explained by its entry of {@code scores}, as pytorch-grad-cam's
 * FasterRCNNBoxScoreTarget scores the matching prediction: the backward runs through the
 * selection with the selected indices held constant (autograd does the same), and the number of
 * detections depends on the image, so the gradient graph is built per image
 * ({@link #explainerFor}).
 */
public final class SelectingDetector implements AutoCloseable {
    private final ModelSpec spec;
    private final Explainer.Options options;
    private final DetectionOutputs outputs;
    private final String input;
    private final ForwardSession forward;

    public SelectingDetector(ModelSpec spec, Explainer.Options options) {
        this.outputs = DetectionOutputs.of(spec.model()).orElseThrow(() -> new XGradCamException(spec.name()
                + " does not end in boxes [D, 4], scores [D] and labels [D]: not a detector that selects its boxes"));
        this.spec = spec;
        this.options = options;
        this.input = ModelShapes.imageInput(new org.xgradcam.onnx.Graph(spec.model())).getName();
        this.forward = new ForwardSession(spec.model(), input, options.runtime());
    }

    /** Whether the model is such a detector. */
    public static boolean accepts(ModelSpec spec) {
        return DetectionOutputs.of(spec.model()).isPresent();
    }

    /** The model's own detections of one image [1, 3, H, W], in its order (by decreasing score). */
    public List<Detection> detect(FloatTensor x) {
        return detectWithParts(x).detections();
    }

    /** The detections, and for each its mask and keypoints where the model outputs them. */
    public record Found(List<Detection> detections, List<org.xgradcam.image.Boxes.Parts> parts) {}

    /**
     * The model's own detections of one image, with their masks ([D, 1, H, W] pasted into the
     * image, as torchvision's Mask R-CNN gives them) and keypoints ([D, K, 3]) where it has them.
     */
    public Found detectWithParts(FloatTensor x) {
        List<String> names = new ArrayList<>(List.of(outputs.boxes(), outputs.scores(), outputs.labels()));
        if (outputs.masks() != null) {
            names.add(outputs.masks());
        }
        if (outputs.keypoints() != null) {
            names.add(outputs.keypoints());
        }
        Map<String, FloatTensor> out = forward.run(x, names.toArray(String[]::new));
        float[] boxes = out.get(outputs.boxes()).data();
        float[] scores = out.get(outputs.scores()).data();
        float[] labels = out.get(outputs.labels()).data();
        if (boxes.length != 4 * scores.length || labels.length != scores.length) {
            throw new XGradCamException(spec.name() + " gave " + scores.length + " scores, " + labels.length + " labels and "
                    + boxes.length / 4 + " boxes: not one of each per detection");
        }
        List<Detection> found = new ArrayList<>();
        List<org.xgradcam.image.Boxes.Parts> parts = new ArrayList<>();
        FloatTensor masks = outputs.masks() == null ? null : out.get(outputs.masks());
        FloatTensor keypoints = outputs.keypoints() == null ? null : out.get(outputs.keypoints());
        for (int i = 0; i < scores.length; i++) {
            found.add(new Detection(i, (int) labels[i], scores[i], boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2],
                    boxes[4 * i + 3]));
            float[] mask = masks != null && masks.dim(0) == scores.length ? masks.row(i).data() : null;
            float[] kp = keypoints != null && keypoints.dim(0) == scores.length ? keypoints.row(i).data() : null;
            parts.add(mask == null && kp == null ? org.xgradcam.image.Boxes.Parts.NONE : new org.xgradcam.image.Boxes.Parts(mask, kp));
        }
        return new Found(found, parts);
    }

    /**
     * What a user should know about the export: torchvision (0.14) writes RoiAlign without a
     * coordinate_transformation_mode, which from opset 16 means half_pixel (torch's aligned=True),
     * while its detectors pool with aligned=False: ONNX Runtime's detections then differ from
     * torch's by a half-pixel shift of every pooled region.
     */
    public List<String> notes() {
        List<String> notes = new ArrayList<>();
        if (spec.model().opset() >= 16) {
            for (var n : spec.model().proto().getGraph().getNodeList()) {
                if (n.getOpType().equals("RoiAlign") && org.xgradcam.onnx.Attributes.find(n, "coordinate_transformation_mode").isEmpty()) {
                    notes.add("RoiAlign node '" + n.getName() + "' has no coordinate_transformation_mode, which at opset "
                            + spec.model().opset() + " means half_pixel: torchvision's detectors pool with aligned=False"
                            + " (output_half_pixel), so these detections can differ from torch's; re-export with opset 15"
                            + " (or set the attribute to output_half_pixel) to match torch");
                    break;
                }
            }
        }
        return notes;
    }

    /**
     * An explainer with the shapes of this image's run (the backward is built for its
     * detections); methods that re-run the model match the re-run's boxes to these detections.
     */
    public Explainer explainerFor(FloatTensor x) {
        return explainerFor(x, detect(x));
    }

    /** As {@link #explainerFor(FloatTensor)}, with the image's detections found already. */
    public Explainer explainerFor(FloatTensor x, List<Detection> detections) {
        return Explainer.openFor(spec, options, x, new BoxMatch(outputs, detections));
    }

    /** The target that explains one of {@code count} detections: its score. */
    public static Target target(Detection d, int count) {
        if (d.anchor() < 0 || d.anchor() >= count) {
            throw new XGradCamException("detection " + d.anchor() + " is not one of the " + count + " the model gave");
        }
        float[] w = new float[count];
        w[d.anchor()] = 1f;
        return Target.scoreWeights(w, d.label());
    }

    @Override
    public void close() {
        forward.close();
    }
}
