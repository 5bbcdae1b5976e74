package org.xgradcam.detection;

import java.util.List;
import java.util.Map;
import org.xgradcam.cam.Explainer;
import org.xgradcam.onnx.DetectionOutputs;
import org.xgradcam.tensor.FloatTensor;

/**
 * Scores a re-run of a detector that selects its boxes (after Score-CAM's masks or Ablation-CAM's
 * ablations its detections change) as pytorch-grad-cam's FasterRCNNBoxScoreTarget does: for each
 * detection explained, the re-run's box that overlaps it most; if their IoU is above 0.5 and the
 * labels agree, that box's score, else 0. (pytorch-grad-cam adds the IoU to the score; here the
 * value is the score alone, as for the gradient methods, so that an unchanged run scores what the
 * model gave.)
 */
public final class BoxMatch implements Explainer.Rescoring {
    /** The IoU a re-scored box must exceed to stand for an explained one. */
    public static final float IOU_THRESHOLD = 0.5f;

    private final DetectionOutputs names;
    private final List<Detection> explained;

    public BoxMatch(DetectionOutputs names, List<Detection> explained) {
        this.names = names;
        this.explained = List.copyOf(explained);
    }

    @Override
    public List<String> outputs() {
        return List.of(names.scores(), names.boxes(), names.labels());
    }

    @Override
    public float[] scores(Map<String, FloatTensor> outputs) {
        float[] scores = outputs.get(names.scores()).data();
        float[] boxes = outputs.get(names.boxes()).data();
        float[] labels = outputs.get(names.labels()).data();
        float[] out = new float[explained.size()];
        for (int j = 0; j < out.length; j++) {
            Detection d = explained.get(j);
            int best = -1;
            float bestIou = -1;
            for (int i = 0; i < scores.length; i++) {
                float iou = Nms.iou(d.x0(), d.y0(), d.x1(), d.y1(), boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]);
                if (iou > bestIou) {
                    bestIou = iou;
                    best = i;
                }
            }
            if (best >= 0 && bestIou > IOU_THRESHOLD && (int) labels[best] == d.label()) {
                out[j] = scores[best];
            }
        }
        return out;
    }
}
