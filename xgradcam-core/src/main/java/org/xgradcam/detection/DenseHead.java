package org.xgradcam.detection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xgradcam.XGradCamException;
import org.xgradcam.tensor.FloatTensor;

/**
 * The raw output of a dense detection head, before NMS, as YOLO-family models are exported:
 * <ul>
 * <li>{@code ATTRIBUTES_FIRST} [1, 4+K, N] (YOLOv8 and later): cx, cy, w, h, then K class scores
 *     per anchor; the score of a detection is its best class score.
 * <li>{@code ANCHORS_FIRST} [1, N, 5+K] (YOLOv5, YOLOv7, YOLOX): cx, cy, w, h, objectness, then K
 *     class probabilities; the score is objectness times the best class probability.
 * </ul>
 * Boxes are in input pixels. Decoding keeps the anchors above a score threshold and applies
 * class-aware NMS, as the models' own post-processing does.
 */
public final class DenseHead {
    public enum Layout { ATTRIBUTES_FIRST, ANCHORS_FIRST }

    private DenseHead() {}

    /**
     * A layout by name: {@code attributes-first} (or {@code v8}: [1, 4+K, N]) or
     * {@code anchors-first} (or {@code v5}: [1, N, 5+K]), checked against the head's shape.
     */
    public static Layout parse(String name, long[] shape) {
        Layout l = switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "attributes-first", "v8", "yolov8" -> Layout.ATTRIBUTES_FIRST;
            case "anchors-first", "v5", "yolov5" -> Layout.ANCHORS_FIRST;
            default -> throw new XGradCamException("unknown head layout '" + name + "'; use attributes-first ([1, 4+K, N],"
                    + " YOLOv8) or anchors-first ([1, N, 5+K], YOLOv5/v7/X)");
        };
        if (shape.length != 3 || shape[0] != 1) {
            throw new XGradCamException("a dense detection head is [1, 4+K, N] or [1, N, 5+K]; got " + Arrays.toString(shape));
        }
        long attrs = l == Layout.ATTRIBUTES_FIRST ? shape[1] : shape[2];
        int first = l == Layout.ATTRIBUTES_FIRST ? 4 : 5;
        if (attrs <= first) {
            throw new XGradCamException("a head " + Arrays.toString(shape) + " read as " + name + " has " + attrs
                    + " attributes per anchor, no class scores after the " + first + " box values; is it the other layout?");
        }
        return l;
    }

    /** The layout of a [1, A, B] head: the shorter axis holds the attributes (anchors far outnumber them). */
    public static Layout detect(long[] shape) {
        if (shape.length != 3 || shape[0] != 1 || Math.min(shape[1], shape[2]) < 5) {
            throw new XGradCamException("a dense detection head is [1, 4+K, N] or [1, N, 5+K]; got " + Arrays.toString(shape));
        }
        return shape[1] < shape[2] ? Layout.ATTRIBUTES_FIRST : Layout.ANCHORS_FIRST;
    }

    /**
     * The target that explains a detection: its class score at its anchor (the class attribute,
     * not objectness times class), as pytorch-grad-cam's YOLO examples score a box.
     */
    public static org.xgradcam.cam.Target target(Detection d, Layout layout, long[] headShape) {
        int attrs = (int) (layout == Layout.ATTRIBUTES_FIRST ? headShape[1] : headShape[2]);
        int anchors = (int) (layout == Layout.ATTRIBUTES_FIRST ? headShape[2] : headShape[1]);
        int first = layout == Layout.ATTRIBUTES_FIRST ? 4 : 5;
        if (d.anchor() < 0 || d.anchor() >= anchors || d.label() < 0 || first + d.label() >= attrs) {
            throw new XGradCamException("detection at anchor " + d.anchor() + ", class " + d.label() + " does not fit a head "
                    + Arrays.toString(headShape));
        }
        float[] w = new float[attrs * anchors];
        int attr = first + d.label();
        w[layout == Layout.ATTRIBUTES_FIRST ? attr * anchors + d.anchor() : d.anchor() * attrs + attr] = 1f;
        return org.xgradcam.cam.Target.scoreWeights(w, d.label());
    }

    /** Detections above the threshold after class-aware NMS, by decreasing score. */
    public static List<Detection> decode(FloatTensor head, Layout layout, double scoreThreshold, double iouThreshold) {
        long[] s = head.shape();
        int attrs = (int) (layout == Layout.ATTRIBUTES_FIRST ? s[1] : s[2]);
        int anchors = (int) (layout == Layout.ATTRIBUTES_FIRST ? s[2] : s[1]);
        int first = layout == Layout.ATTRIBUTES_FIRST ? 4 : 5;
        if (attrs <= first) {
            throw new XGradCamException("the head has " + attrs + " attributes per anchor: no class scores after the "
                    + first + " box values");
        }
        float[] d = head.data();
        List<Detection> candidates = new ArrayList<>();
        for (int a = 0; a < anchors; a++) {
            final int anchor = a;
            java.util.function.IntToDoubleFunction at = layout == Layout.ATTRIBUTES_FIRST
                    ? i -> d[i * anchors + anchor] : i -> d[anchor * attrs + i];
            int best = first;
            for (int i = first + 1; i < attrs; i++) {
                if (at.applyAsDouble(i) > at.applyAsDouble(best)) {
                    best = i;
                }
            }
            double score = at.applyAsDouble(best) * (layout == Layout.ANCHORS_FIRST ? at.applyAsDouble(4) : 1.0);
            if (score > scoreThreshold) {
                float cx = (float) at.applyAsDouble(0);
                float cy = (float) at.applyAsDouble(1);
                float w = (float) at.applyAsDouble(2);
                float h = (float) at.applyAsDouble(3);
                candidates.add(new Detection(a, best - first, (float) score, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2));
            }
        }
        return Nms.batched(candidates, iouThreshold);
    }
}
