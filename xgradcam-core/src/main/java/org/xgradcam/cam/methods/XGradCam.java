package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.tensor.FloatTensor;

/**
 * XGrad-CAM (Fu et al. 2020): w_k = sum(A_k * dS/dA_k) / (sum(A_k) + eps), the weights that
 * best satisfy the Sensitivity and Conservation axioms. eps follows the post-processing
 * convention: 1e-6 as in XGrad-CAM.py, 1e-7 as in pytorch-grad-cam.
 */
public final class XGradCam extends WeightedCam {
    @Override
    public String name() {
        return "XGrad-CAM";
    }

    @Override
    public String id() {
        return "xgradcam";
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        double eps = ctx.convention().xgradCamEps();
        double[][] num = spatialSums(a, g);
        double[][] den = spatialSums(a);
        float[][] w = new float[num.length][num[0].length];
        for (int r = 0; r < num.length; r++) {
            for (int k = 0; k < num[r].length; k++) {
                w[r][k] = (float) (num[r][k] / (den[r][k] + eps));
            }
        }
        return w;
    }
}
