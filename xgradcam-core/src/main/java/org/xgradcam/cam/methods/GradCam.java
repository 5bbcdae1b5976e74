package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.tensor.FloatTensor;

/** Grad-CAM (Selvaraju et al. 2017): w_k = mean over space of dS/dA_k. */
public final class GradCam extends WeightedCam {
    @Override
    public String name() {
        return "Grad-CAM";
    }

    @Override
    public String id() {
        return "gradcam";
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        return meanGradients(g);
    }

    /** The spatial mean of each channel's gradient, per image: Grad-CAM's weights. */
    static float[][] meanGradients(FloatTensor g) {
        int hw = g.dim(2) * g.dim(3);
        double[][] s = spatialSums(g);
        float[][] w = new float[s.length][s[0].length];
        for (int r = 0; r < s.length; r++) {
            for (int k = 0; k < s[r].length; k++) {
                w[r][k] = (float) (s[r][k] / hw);
            }
        }
        return w;
    }
}
