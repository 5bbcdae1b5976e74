package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.tensor.FloatTensor;

/**
 * FEM, the Feature Explanation Method (Fuad et al. 2020), as pytorch-grad-cam computes it:
 * w_k = the share of positions where A_k exceeds mean(A_k) + k std(A_k) (k = 2, population std).
 * Class independent, no gradients.
 */
public final class Fem extends WeightedCam {
    private final double k;

    public Fem() {
        this(2.0);
    }

    public Fem(double k) {
        this.k = k;
    }

    @Override
    public String name() {
        return "FEM";
    }

    @Override
    public String id() {
        return "fem";
    }

    @Override
    public Needs needs() {
        return Needs.ACTIVATIONS;
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        int n = a.dim(0);
        int c = a.dim(1);
        int hw = a.dim(2) * a.dim(3);
        float[][] w = new float[n][c];
        for (int r = 0; r < n; r++) {
            for (int ch = 0; ch < c; ch++) {
                int base = (r * c + ch) * hw;
                double mean = 0;
                for (int i = 0; i < hw; i++) {
                    mean += a.data()[base + i];
                }
                mean /= hw;
                double var = 0;
                for (int i = 0; i < hw; i++) {
                    double d = a.data()[base + i] - mean;
                    var += d * d;
                }
                double th = mean + k * Math.sqrt(var / hw);
                int above = 0;
                for (int i = 0; i < hw; i++) {
                    above += a.data()[base + i] > th ? 1 : 0;
                }
                w[r][ch] = (float) above / hw;
            }
        }
        return w;
    }
}
