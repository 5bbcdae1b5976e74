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
            // sum_k w_k A_k in double: with weights of both signs the sum cancels (XGrad-CAM at a
            // LayerNorm output), and float32 accumulation error would show in the map
            double[] acc = new double[hw];
            for (int k = 0; k < c; k++) {
                double wk = w[r][k];
                if (wk == 0) {
                    continue;
                }
                int base = (r * c + k) * hw;
                for (int i = 0; i < hw; i++) {
                    acc[i] += wk * a.data()[base + i];
                }
            }
            for (int i = 0; i < hw; i++) {
                cam[r * hw + i] = (float) acc[i];
            }
        }
        return new LayerMap(new FloatTensor(new long[] {n, a.dim(2), a.dim(3)}, cam),
                new FloatTensor(new long[] {n, c}, weights));
    }

    /** Spatial sums of each channel's values, per image and channel: [N][C], in double. */
    static double[][] spatialSums(FloatTensor t) {
        return spatialSums(t, null);
    }

    /**
     * Spatial sums of each channel's products a * b (b null: of a alone), per image and channel:
     * [N][C], in double. Plain loops: a function per element cost 7 ms a call for top-5 on ResNet-50.
     */
    static double[][] spatialSums(FloatTensor a, FloatTensor b) {
        int n = a.dim(0);
        int c = a.dim(1);
        int hw = a.dim(2) * a.dim(3);
        float[] x = a.data();
        float[] y = b == null ? null : b.data();
        double[][] out = new double[n][c];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < c; k++) {
                // four partial sums: one chain of dependent additions was the cost (2.4 ms for top-5 on ResNet-50)
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                int base = (r * c + k) * hw;
                int end = base + hw;
                int i = base;
                if (y == null) {
                    for (; i + 3 < end; i += 4) {
                        s0 += x[i];
                        s1 += x[i + 1];
                        s2 += x[i + 2];
                        s3 += x[i + 3];
                    }
                    for (; i < end; i++) {
                        s0 += x[i];
                    }
                } else {
                    for (; i + 3 < end; i += 4) {
                        s0 += (double) x[i] * y[i];
                        s1 += (double) x[i + 1] * y[i + 1];
                        s2 += (double) x[i + 2] * y[i + 2];
                        s3 += (double) x[i + 3] * y[i + 3];
                    }
                    for (; i < end; i++) {
                        s0 += (double) x[i] * y[i];
                    }
                }
                out[r][k] = (s0 + s1) + (s2 + s3);
            }
        }
        return out;
    }
}
