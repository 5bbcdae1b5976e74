package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.LayerMap;
import org.xgradcam.tensor.FloatTensor;

/**
 * The common shape of most CAM methods: per image, one weight per channel, and the map
 * sum_k w_k A_k. Subclasses say only how the weights come about.
 */
public abstract class WeightedCam implements CamMethod {
    /**
     * Channel weights of every image. a and g are [N, C, h, w]; g is null for methods that
     * need no gradients.
     */
    protected abstract float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g);

    @Override
    public LayerMap compute(CamContext ctx, String layer) {
        FloatTensor a = ctx.activations(layer);
        FloatTensor g = needs() == Needs.GRADIENTS ? ctx.gradients(layer) : null;
        float[][] w = weights(ctx, layer, a, g);
        int n = a.dim(0);
        int c = a.dim(1);
        int hw = a.dim(2) * a.dim(3);
        float[] cam = new float[n * hw];
        float[] weights = new float[n * c];
        for (int r = 0; r < n; r++) {
            System.arraycopy(w[r], 0, weights, r * c, c);
            if (ctx.eigenSmooth()) {
                // pytorch-grad-cam's eigen_smooth: project (w_k A_k) on its first principal direction
                double[][] x = new double[hw][c];
                for (int k = 0; k < c; k++) {
                    for (int i = 0; i < hw; i++) {
                        x[i][k] = (double) w[r][k] * a.data()[(r * c + k) * hw + i];
                    }
                }
                double[] p = Pca.firstProjection(Pca.centre(x));
                for (int i = 0; i < hw; i++) {
                    cam[r * hw + i] = (float) p[i];
                }
                continue;
            }
            for (int k = 0; k < c; k++) {
                float wk = w[r][k];
                if (wk == 0) {
                    continue;
                }
                int base = (r * c + k) * hw;
                for (int i = 0; i < hw; i++) {
                    cam[r * hw + i] += wk * a.data()[base + i];
                }
            }
        }
        return new LayerMap(new FloatTensor(new long[] {n, a.dim(2), a.dim(3)}, cam),
                new FloatTensor(new long[] {n, c}, weights));
    }

    /** Spatial sums of a channel's values, per image and channel: [N][C]. */
    static double[][] spatialSums(FloatTensor t, java.util.function.IntToDoubleFunction value) {
        int n = t.dim(0);
        int c = t.dim(1);
        int hw = t.dim(2) * t.dim(3);
        double[][] out = new double[n][c];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < c; k++) {
                double s = 0;
                int base = (r * c + k) * hw;
                for (int i = 0; i < hw; i++) {
                    s += value.applyAsDouble(base + i);
                }
                out[r][k] = s;
            }
        }
        return out;
    }
}
