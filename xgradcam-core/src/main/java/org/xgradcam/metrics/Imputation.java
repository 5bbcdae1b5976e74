package org.xgradcam.metrics;

import java.util.Random;

/**
 * ROAD's noisy linear imputation (Rong et al. 2022): every removed pixel becomes the weighted mean
 * of its 8 neighbours (weight 1/6 for the 4 direct ones, 1/12 for the diagonals, renormalised at
 * borders and over neighbours), solved jointly for all removed pixels of a channel, plus Gaussian
 * noise (std 0.01 by default). The linear system is diagonally dominant; it is solved by
 * successive over-relaxation (omega 1.9, which needs far fewer sweeps than Gauss-Seidel when
 * large regions are removed), started from the mean of the kept pixels, until no value moves by
 * more than 1e-3: a tenth of the noise the imputation adds anyway.
 */
public final class Imputation {
    private Imputation() {}

    /** Fills, in each channel of a [C, H, W] tensor, the pixels where removed[i] is true. */
    public static float[] noisyLinear(float[] chw, int c, int h, int w, boolean[] removed, double noise, Random rnd) {
        float[] out = chw.clone();
        int plane = h * w;
        int[][] nb = new int[plane][];
        double[][] wt = new double[plane][];
        for (int p = 0; p < plane; p++) {
            if (!removed[p]) {
                continue;
            }
            int x = p % w;
            int y = p / w;
            int count = 0;
            int[] idx = new int[8];
            double[] ws = new double[8];
            for (int dy = -1; dy <= 1; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    if (dx == 0 && dy == 0) {
                        continue;
                    }
                    int nx = x + dx;
                    int ny = y + dy;
                    if (nx >= 0 && ny >= 0 && nx < w && ny < h) {
                        idx[count] = ny * w + nx;
                        ws[count] = (dx == 0 || dy == 0) ? 1.0 / 6 : 1.0 / 12;
                        count++;
                    }
                }
            }
            double sum = 0;
            for (int i = 0; i < count; i++) {
                sum += ws[i];
            }
            nb[p] = java.util.Arrays.copyOf(idx, count);
            wt[p] = new double[count];
            for (int i = 0; i < count; i++) {
                wt[p][i] = ws[i] / sum;
            }
        }
        for (int ch = 0; ch < c; ch++) {
            double[] v = new double[plane];
            double keptMean = 0;
            int kept = 0;
            for (int p = 0; p < plane; p++) {
                if (!removed[p]) {
                    keptMean += chw[ch * plane + p];
                    kept++;
                }
            }
            keptMean = kept == 0 ? 0 : keptMean / kept;
            for (int p = 0; p < plane; p++) {
                v[p] = removed[p] ? keptMean : chw[ch * plane + p];
            }
            int[] todo = java.util.stream.IntStream.range(0, plane).filter(p -> removed[p]).toArray();
            final double omega = 1.9;
            for (int iter = 0; iter < 20_000; iter++) {
                double change = 0;
                for (int p : todo) {
                    double s = 0;
                    for (int i = 0; i < nb[p].length; i++) {
                        s += wt[p][i] * v[nb[p][i]];
                    }
                    double next = v[p] + omega * (s - v[p]);
                    change = Math.max(change, Math.abs(next - v[p]));
                    v[p] = next;
                }
                if (change < 1e-3) {
                    break;
                }
            }
            for (int p = 0; p < plane; p++) {
                if (removed[p]) {
                    out[ch * plane + p] = (float) (v[p] + noise * rnd.nextGaussian());
                }
            }
        }
        return out;
    }
}
