package org.xgradcam.detection;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Non-maximum suppression as torchvision.ops does it: boxes in decreasing score order (ties by
 * index), each kept unless its IoU with a box kept before exceeds the threshold; the class-aware
 * form (batched_nms) suppresses only within a class and returns the kept boxes by score.
 */
public final class Nms {
    private Nms() {}

    /** Intersection over union of two boxes [x0, y0, x1, y1], as torchvision.ops.box_iou computes it. */
    public static float iou(float ax0, float ay0, float ax1, float ay1, float bx0, float by0, float bx1, float by1) {
        float areaA = (ax1 - ax0) * (ay1 - ay0);
        float areaB = (bx1 - bx0) * (by1 - by0);
        float w = Math.max(0, Math.min(ax1, bx1) - Math.max(ax0, bx0));
        float h = Math.max(0, Math.min(ay1, by1) - Math.max(ay0, by0));
        float inter = w * h;
        return inter / (areaA + areaB - inter);
    }

    /** Indices of the kept boxes ([n][4] as x0, y0, x1, y1), by decreasing score. */
    public static int[] nms(float[][] boxes, float[] scores, double iouThreshold) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
        List<Integer> kept = new ArrayList<>();
        for (int i : order) {
            boolean keep = true;
            for (int j : kept) {
                if (iou(boxes[i][0], boxes[i][1], boxes[i][2], boxes[i][3], boxes[j][0], boxes[j][1], boxes[j][2],
                        boxes[j][3]) > iouThreshold) {
                    keep = false;
                    break;
                }
            }
            if (keep) {
                kept.add(i);
            }
        }
        return kept.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Class-aware NMS (torchvision's batched_nms): suppression only among boxes of one label. */
    public static int[] batchedNms(float[][] boxes, float[] scores, int[] labels, double iouThreshold) {
        List<Integer> kept = new ArrayList<>();
        int maxLabel = 0;
        for (int l : labels) {
            maxLabel = Math.max(maxLabel, l);
        }
        for (int label = 0; label <= maxLabel; label++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == label) {
                    members.add(i);
                }
            }
            float[][] b = new float[members.size()][];
            float[] s = new float[members.size()];
            for (int i = 0; i < b.length; i++) {
                b[i] = boxes[members.get(i)];
                s[i] = scores[members.get(i)];
            }
            for (int k : nms(b, s, iouThreshold)) {
                kept.add(members.get(k));
            }
        }
        kept.sort(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
        return kept.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Detections kept by class-aware NMS, by decreasing score. */
    public static List<Detection> batched(List<Detection> in, double iouThreshold) {
        float[][] boxes = new float[in.size()][];
        float[] scores = new float[in.size()];
        int[] labels = new int[in.size()];
        for (int i = 0; i < in.size(); i++) {
            Detection d = in.get(i);
            boxes[i] = new float[] {d.x0(), d.y0(), d.x1(), d.y1()};
            scores[i] = d.score();
            labels[i] = d.label();
        }
        List<Detection> out = new ArrayList<>();
        for (int i : batchedNms(boxes, scores, labels, iouThreshold)) {
            out.add(in.get(i));
        }
        return out;
    }
}
