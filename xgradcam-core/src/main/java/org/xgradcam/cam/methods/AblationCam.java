package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.tensor.FloatTensor;

/**
 * Ablation-CAM (Desai and Ramaswamy 2020) as pytorch-grad-cam computes it:
 * w_k = (S - S_without_k) / S, where channel k is set to 0 when the layer's minimum activation
 * is 0, else to that minimum - 1e7. Only the graph after the layer runs, batched over channels.
 */
public final class AblationCam extends WeightedCam {
    @Override
    public String name() {
        return "Ablation-CAM";
    }

    @Override
    public String id() {
        return "ablationcam";
    }

    @Override
    public String cost() {
        return "a pass of the layers after the target per channel";
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
        int per = c * hw;
        float[] logits = ctx.run().score().data();
        float[][] w = new float[n][c];
        for (int r = 0; r < n; r++) {
            double original = ctx.targetScore(logits, r, r);
            float min = Float.POSITIVE_INFINITY;
            for (int i = r * per; i < (r + 1) * per; i++) {
                min = Math.min(min, a.data()[i]);
            }
            float value = min == 0f ? 0f : min - 1e7f;
            ctx.expect(c);
            for (int start = 0; start < c; start += ctx.batchSize()) {
                int m = Math.min(ctx.batchSize(), c - start);
                float[] batch = new float[m * per];
                for (int j = 0; j < m; j++) {
                    System.arraycopy(a.data(), r * per, batch, j * per, per);
                    java.util.Arrays.fill(batch, j * per + (start + j) * hw, j * per + (start + j + 1) * hw, value);
                }
                FloatTensor s = ctx.scoreActivations(layer, new FloatTensor(new long[] {m, c, a.dim(2), a.dim(3)}, batch), r);
                for (int j = 0; j < m; j++) {
                    w[r][start + j] = (float) ((original - ctx.targetScore(s.data(), j, r)) / original);
                }
            }
        }
        return w;
    }
}
