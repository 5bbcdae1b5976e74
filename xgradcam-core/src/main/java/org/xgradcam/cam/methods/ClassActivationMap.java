package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.tensor.FloatTensor;

/**
 * CAM (Zhou et al. 2016), torch-cam's first method: for a network whose layer is global-average
 * pooled into one linear classifier, the class's classifier weights are the channel weights,
 * w_k = W[c, k] (for a mix of classes, the seed-weighted sum of rows); no gradient. torch-cam
 * leaves the map signed before its scaling; under that convention so does this.
 */
public final class ClassActivationMap extends WeightedCam {
    @Override
    public String name() {
        return "CAM";
    }

    @Override
    public String id() {
        return "cam";
    }

    @Override
    public Needs needs() {
        return Needs.ACTIVATIONS;
    }

    @Override
    public String cost() {
        return "activations only (the classifier's weights)";
    }

    @Override
    public boolean signedMap() {
        return true;
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        float[][] fc = ctx.classifierWeights(layer);
        float[][] seeds = ctx.seeds();
        int c = a.dim(1);
        if (fc.length == 0 || fc[0].length != c) {
            throw new org.xgradcam.XGradCamException("CAM: the classifier after " + layer + " reads " + (fc.length == 0 ? 0
                    : fc[0].length) + " features, the layer has " + c + " channels");
        }
        float[][] w = new float[a.dim(0)][c];
        for (int r = 0; r < w.length; r++) {
            for (int k = 0; k < fc.length && k < seeds[r].length; k++) {
                if (seeds[r][k] != 0) {
                    for (int ch = 0; ch < c; ch++) {
                        w[r][ch] += seeds[r][k] * fc[k][ch];
                    }
                }
            }
        }
        return w;
    }
}
