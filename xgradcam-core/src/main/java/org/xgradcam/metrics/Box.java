package org.xgradcam.metrics;

/** An axis-aligned box [x0, x1) x [y0, y1) in pixels, with an optional class index (-1: any). */
public record Box(int classIndex, int x0, int y0, int x1, int y1) {
    public boolean contains(int x, int y) {
        return x >= x0 && x < x1 && y >= y0 && y < y1;
    }

    public long area() {
        return (long) Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
    }

    public double iou(Box o) {
        long ix = Math.max(0, Math.min(x1, o.x1) - Math.max(x0, o.x0));
        long iy = Math.max(0, Math.min(y1, o.y1) - Math.max(y0, o.y0));
        long inter = ix * iy;
        long union = area() + o.area() - inter;
        return union == 0 ? 0 : (double) inter / union;
    }
}
