package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.tensor.FloatTensor;

/**
 * ShapleyCAM (Cai et al. 2025, pytorch-grad-cam 1.5.5): channel weights from the gradient and
 * the Hessian-vector product, w_k = mean_ij (g - H A / 2), a second-order estimate of each
 * channel's Shapley value. H A is exact: the builder differentiates its own backward graph once
 * more. Where the path after the layer is piecewise linear and the target a logit, H A vanishes
 * and ShapleyCAM equals Grad-CAM.
 */
public final class ShapleyCam extends WeightedCam {
    @Override
    public String name() {
        return "ShapleyCAM";
    }

    @Override
    public String id() {
        return "shapleycam";
    }

    @Override
    public Needs needs() {
        return Needs.HESSIAN;
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        FloatTensor grad = ctx.gradients(layer);
        FloatTensor hv = ctx.hessianTimesActivations(layer);
        int n = a.dim(0);
        int c = a.dim(1);
        int hw = a.dim(2) * a.dim(3);
        float[][] w = new float[n][c];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < c; k++) {
                double s = 0;
                int base = (r * c + k) * hw;
                for (int i = 0; i < hw; i++) {
                    s += grad.data()[base + i] - 0.5 * hv.data()[base + i];
                }
                w[r][k] = (float) (s / hw);
            }
        }
        return w;
    }
}
