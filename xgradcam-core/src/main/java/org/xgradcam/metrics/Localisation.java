package org.xgradcam.metrics;

import java.util.ArrayDeque;
import java.util.List;
import org.xgradcam.tensor.Vectors;

/**
 * Localisation metrics of a map [h, w] against ground-truth boxes of the explained class.
 * <ul>
 * <li>Pointing game (Zhang et al. 2016): a hit when the map's maximum (first in row-major order)
 *     lies in a box.
 * <li>Energy-based pointing game (Score-CAM paper): the share of the map's mass inside the boxes.
 * <li>Localisation (ILSVRC style, as in the Grad-CAM and CAM papers): threshold the map at a
 *     fraction of its maximum, box the largest 8-connected component; correct when its IoU with a
 *     ground-truth box is at least 0.5. The error is 1 - the share of correct images.
 * </ul>
 */
public final class Localisation {
    private Localisation() {}

    public static boolean pointingGameHit(float[] map, int w, List<Box> boxes) {
        int p = Vectors.argmax(map);
        return boxes.stream().anyMatch(b -> b.contains(p % w, p / w));
    }

    /** sum of the map inside the union of the boxes / sum of the map (0 for an all-zero map). */
    public static double energyPointingGame(float[] map, int w, List<Box> boxes) {
        double inside = 0;
        double total = 0;
        for (int i = 0; i < map.length; i++) {
            double v = Math.max(0, map[i]);
            total += v;
            int x = i % w;
            int y = i / w;
            if (boxes.stream().anyMatch(b -> b.contains(x, y))) {
                inside += v;
            }
        }
        return total == 0 ? 0 : inside / total;
    }

    /** The box around the largest 8-connected region where map >= threshold * max(map). */
    public static Box boxOfLargestComponent(float[] map, int w, double threshold) {
        int h = map.length / w;
        float max = map[Vectors.argmax(map)];
        boolean[] on = new boolean[map.length];
        for (int i = 0; i < map.length; i++) {
            on[i] = max > 0 && map[i] >= threshold * max;
        }
        boolean[] seen = new boolean[map.length];
        Box best = new Box(-1, 0, 0, 0, 0);
        int bestSize = 0;
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        for (int start = 0; start < map.length; start++) {
            if (!on[start] || seen[start]) {
                continue;
            }
            int size = 0;
            int x0 = w;
            int y0 = h;
            int x1 = 0;
            int y1 = 0;
            todo.add(start);
            seen[start] = true;
            while (!todo.isEmpty()) {
                int p = todo.poll();
                size++;
                int x = p % w;
                int y = p / w;
                x0 = Math.min(x0, x);
                y0 = Math.min(y0, y);
                x1 = Math.max(x1, x + 1);
                y1 = Math.max(y1, y + 1);
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int nx = x + dx;
                        int ny = y + dy;
                        if (nx >= 0 && ny >= 0 && nx < w && ny < h) {
                            int q = ny * w + nx;
                            if (on[q] && !seen[q]) {
                                seen[q] = true;
                                todo.add(q);
                            }
                        }
                    }
                }
            }
            if (size > bestSize) {
                bestSize = size;
                best = new Box(-1, x0, y0, x1, y1);
            }
        }
        return best;
    }

    public static boolean localised(float[] map, int w, List<Box> boxes, double threshold) {
        Box b = boxOfLargestComponent(map, w, threshold);
        return boxes.stream().anyMatch(g -> g.iou(b) >= 0.5);
    }
}
