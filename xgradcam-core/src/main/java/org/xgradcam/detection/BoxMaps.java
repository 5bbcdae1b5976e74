package org.xgradcam.detection;

import java.util.List;

/** Maps seen through detections' boxes. */
public final class BoxMaps {
    private BoxMaps() {}

    /**
     * pytorch-grad-cam's renormalize_cam_in_bounding_boxes: zero outside the boxes, each box's part
     * min-max scaled on its own ((v - min) / (max + 1e-7) after the shift, a later box over an
     * earlier one where they overlap), then the whole scaled again; box corners truncated to
     * whole pixels as its int cast does, and clipped to the map.
     */
    public static float[] renormalizedIn(float[] map, int width, int height, List<Detection> boxes) {
        if (map.length != width * height) {
            throw new IllegalArgumentException("a map of " + map.length + " values is not " + width + "x" + height);
        }
        float[] out = new float[map.length];
        for (Detection d : boxes) {
            int x0 = clip((int) d.x0(), width);
            int x1 = clip((int) d.x1(), width);
            int y0 = clip((int) d.y0(), height);
            int y1 = clip((int) d.y1(), height);
            if (x1 <= x0 || y1 <= y0) {
                continue;
            }
            float min = Float.POSITIVE_INFINITY;
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    min = Math.min(min, map[y * width + x]);
                }
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    max = Math.max(max, map[y * width + x] - min);
                }
            }
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    out[y * width + x] = (map[y * width + x] - min) / (1e-7f + max);
                }
            }
        }
        float min = Float.POSITIVE_INFINITY;
        for (float v : out) {
            min = Math.min(min, v);
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < out.length; i++) {
            out[i] -= min;
            max = Math.max(max, out[i]);
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= 1e-7f + max;
        }
        return out;
    }

    private static int clip(int v, int size) {
        return Math.max(0, Math.min(size, v));
    }
}
