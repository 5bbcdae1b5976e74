package org.xgradcam.onnx;

import java.util.Optional;
import org.xgradcam.onnx.proto.OnnxProto.TypeProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * The outputs of a detector that selects its boxes inside the graph (score threshold, top-k and
 * NMS, as torchvision's SSD, RetinaNet, FCOS, Faster R-CNN, Mask R-CNN and Keypoint R-CNN are
 * exported): boxes [D, 4] (float), scores [D] (float) and labels [D] (integer), D being the number
 * of detections of the image; and where the model has them, masks [D, 1, H, W] (float, pasted into
 * the image) or keypoints [D, K, 3] (x, y, visibility) with their scores [D, K]. They are told apart
 * by type, rank and size, and by name where those leave a tie, not by position: torchvision orders
 * them boxes, scores, labels for SSD and RetinaNet but boxes, labels, scores for the R-CNNs. The
 * score explained is an entry of {@code scores}; masks and keypoints are drawn, not explained.
 */
public record DetectionOutputs(String boxes, String scores, String labels, String masks, String keypoints,
                               String keypointScores) {

    /** The detector's outputs, when the model has exactly these (each role once; masks and keypoints optional). */
    public static Optional<DetectionOutputs> of(OnnxModel model) {
        String boxes = null;
        String scores = null;
        String labels = null;
        String masks = null;
        String keypoints = null;
        String keypointScores = null;
        for (ValueInfoProto v : model.proto().getGraph().getOutputList()) {
            if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
                return Optional.empty();
            }
            TypeProto.Tensor t = v.getType().getTensorType();
            int rank = t.getShape().getDimCount();
            boolean isFloat = t.getElemType() == TensorInfo.FLOAT;
            boolean isInt = t.getElemType() == 7 || t.getElemType() == 6; // INT64, INT32
            String name = v.getName().toLowerCase(java.util.Locale.ROOT);
            boolean keypointNamed = name.contains("keypoint");
            if (isFloat && rank == 2 && !keypointNamed && dimIs(t, 1, 4)) {
                if (boxes != null) {
                    return Optional.empty();
                }
                boxes = v.getName();
            } else if (isFloat && rank == 1) {
                if (scores != null) {
                    return Optional.empty();
                }
                scores = v.getName();
            } else if (isInt && rank == 1) {
                if (labels != null) {
                    return Optional.empty();
                }
                labels = v.getName();
            } else if (isFloat && rank == 4 && dimIs(t, 1, 1) && masks == null) {
                masks = v.getName();
            } else if (isFloat && rank == 3 && dimIs(t, 2, 3) && keypoints == null) {
                keypoints = v.getName();
            } else if (isFloat && rank == 2 && keypointNamed && keypointScores == null) {
                keypointScores = v.getName();
            } else {
                return Optional.empty();
            }
        }
        if (boxes == null || scores == null || labels == null || (keypointScores != null && keypoints == null)) {
            return Optional.empty();
        }
        return Optional.of(new DetectionOutputs(boxes, scores, labels, masks, keypoints, keypointScores));
    }

    /** Whether dim i is n, or free (a symbolic size: any). */
    private static boolean dimIs(TypeProto.Tensor t, int i, long n) {
        var d = t.getShape().getDim(i);
        return !d.hasDimValue() || d.getDimValue() == n;
    }
}
