package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.tensor.Vectors;

/**
 * Finer-CAM (Zhang et al. 2025) as pytorch-grad-cam computes it, on Grad-CAM: the target
 * S = sum_j p_j (y_m - alpha y_j) / (sum_j p_j + 1e-9) with p = softmax(y), m the explained class
 * and j the 3 classes whose logits are closest to y_m. S depends on y nonlinearly; its exact
 * gradient is obtained by seeding the backward with dS/dy at the run's logits (chain rule), one
 * extra gradient run.
 */
public final class FinerCam extends WeightedCam {
    private final double alpha;
    private final int comparisons;

    public FinerCam() {
        this(1.0, 3);
    }

    public FinerCam(double alpha, int comparisons) {
        this.alpha = alpha;
        this.comparisons = comparisons;
    }

    @Override
    public String name() {
        return "Finer-CAM";
    }

    @Override
    public String id() {
        return "finercam";
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        GradientResult r = ctx.cached("finercam", () -> ctx.runWithSeeds(seeds(ctx)));
        return GradCam.meanGradients(r.gradient(layer));
    }

    private FloatTensor seeds(CamContext ctx) {
        float[] logits = ctx.run().score().data();
        int n = ctx.batch();
        int k = logits.length / n;
        float[] out = new float[n * k];
        for (int r = 0; r < n; r++) {
            double[] y = new double[k];
            for (int c = 0; c < k; c++) {
                y[c] = logits[r * k + c];
            }
            float[] seed = ctx.seed(r);
            int main = 0;
            for (int c = 1; c < k; c++) {
                if (seed[c] > seed[main]) {
                    main = c;
                }
            }
            double[] d = gradient(y, main, closest(y, main, comparisons), alpha);
            for (int c = 0; c < k; c++) {
                out[r * k + c] = (float) d[c];
            }
        }
        return new FloatTensor(new long[] {n, k}, out);
    }

    /** The classes whose logits are closest to y[main] (main itself excluded), nearest first. */
    static int[] closest(double[] y, int main, int count) {
        Integer[] idx = new Integer[y.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (p, q) -> Double.compare(Math.abs(y[p] - y[main]), Math.abs(y[q] - y[main])));
        int[] out = new int[Math.min(count, y.length - 1)];
        int j = 0;
        for (int i = 0; i < idx.length && j < out.length; i++) {
            if (idx[i] != main) {
                out[j++] = idx[i];
            }
        }
        return out;
    }

    /** dS/dy for S = sum_j p_j (y_m - alpha y_j) / (sum_j p_j + 1e-9), p = softmax(y). */
    static double[] gradient(double[] y, int m, int[] js, double alpha) {
        int k = y.length;
        double[] p = Vectors.softmax(y);
        double num = 0;
        double sumP = 0;
        boolean[] inJ = new boolean[k];
        for (int j : js) {
            num += p[j] * (y[m] - alpha * y[j]);
            sumP += p[j];
            inJ[j] = true;
        }
        double den = sumP + 1e-9;
        double weightedDiff = num; // sum_j p_j (y_m - alpha y_j)
        double[] grad = new double[k];
        for (int c = 0; c < k; c++) {
            // dN/dy_c = sum_j p_j (d_jc - p_c)(y_m - a y_j) + d_mc sum_j p_j - a p_c [c in J]
            double dNum = (inJ[c] ? p[c] * (y[m] - alpha * y[c]) : 0) - p[c] * weightedDiff
                    + (c == m ? sumP : 0) - (inJ[c] ? alpha * p[c] : 0);
            double dDen = (inJ[c] ? p[c] : 0) - p[c] * sumP;
            grad[c] = (dNum * den - num * dDen) / (den * den);
        }
        return grad;
    }
}
