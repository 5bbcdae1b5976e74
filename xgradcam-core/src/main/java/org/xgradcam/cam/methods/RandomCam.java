package org.xgradcam.cam.methods;

import java.util.Random;
import org.xgradcam.cam.CamContext;
import org.xgradcam.tensor.FloatTensor;

/** Random-CAM, a sanity baseline: channel weights uniform in [-1, 1), from a fixed seed. */
public final class RandomCam extends WeightedCam {
    @Override
    public String name() {
        return "Random-CAM";
    }

    @Override
    public String id() {
        return "randomcam";
    }

    @Override
    public Needs needs() {
        return Needs.ACTIVATIONS;
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        Random rnd = ctx.random(id() + layer);
        float[][] w = new float[a.dim(0)][a.dim(1)];
        for (float[] row : w) {
            for (int k = 0; k < row.length; k++) {
                row[k] = rnd.nextFloat() * 2 - 1;
            }
        }
        return w;
    }
}
