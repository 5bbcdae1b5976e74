package org.xgradcam.detection;

/**
 * One detection: where it came from ({@code anchor}: the row of a dense head, or the position in
 * the outputs of a detector that selects its boxes), its class, score and box [x0, y0, x1, y1] in
 * input pixels.
 */
public record Detection(int anchor, int label, float score, float x0, float y0, float x1, float y1) {
    public float area() {
        return Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
    }

    /** Intersection over union, as torchvision.ops.box_iou computes it. */
    public float iou(Detection o) {
        return Nms.iou(x0, y0, x1, y1, o.x0, o.y0, o.x1, o.y1);
    }
}
