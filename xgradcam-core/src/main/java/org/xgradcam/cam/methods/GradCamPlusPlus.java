package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.tensor.FloatTensor;

/**
 * Grad-CAM++ (Chattopadhay et al. 2018) in pytorch-grad-cam's closed form:
 * a = g^2 / (2 g^2 + sum_ij(A) g^3 + 1e-6), a = 0 where g = 0, w_k = sum_ij relu(g) a.
 */
public final class GradCamPlusPlus extends WeightedCam {
    @Override
    public String name() {
        return "Grad-CAM++";
    }

    @Override
    public String id() {
        return "gradcamplusplus";
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        int n = a.dim(0);
        int c = a.dim(1);
        int hw = a.dim(2) * a.dim(3);
        double[][] sumA = spatialSums(a);
        float[][] w = new float[n][c];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < c; k++) {
                int base = (r * c + k) * hw;
                double s = 0;
                for (int i = 0; i < hw; i++) {
                    double gi = g.data()[base + i];
                    if (gi == 0) {
                        continue;
                    }
                    double g2 = gi * gi;
                    double alpha = g2 / (2 * g2 + sumA[r][k] * g2 * gi + 1e-6);
                    s += Math.max(gi, 0) * alpha;
                }
                w[r][k] = (float) s;
            }
        }
        return w;
    }
}
