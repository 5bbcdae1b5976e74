package org.xgradcam.cam.methods;

import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamContext;
import org.xgradcam.tensor.FloatTensor;

/**
 * Ablation-CAM with its channels ablated at every given layer at once, as pytorch-grad-cam's
 * ablation_cam_multilayer.py means it (its code fails as shipped; see docs/methods.md): channel k
 * is replaced in every layer's output in one forward of the whole model (by 0 where that layer's
 * minimum over the batch is 0, else by that minimum - 1e5), and w_k = (S - S_without_k) / S is
 * shared by the layers; each layer's map is sum_k w_k A_k of its own activations. The layers need
 * as many channels each (an FPN's levels, or blocks of one stage).
 */
public final class MultiLayerAblationCam extends WeightedCam {
    @Override
    public String name() {
        return "Ablation-CAM (layers together)";
    }

    @Override
    public String id() {
        return "ablationcammultilayer";
    }

    @Override
    public String cost() {
        return "a pass of the whole model per channel, every layer ablated at once";
    }

    @Override
    public Needs needs() {
        return Needs.ACTIVATIONS;
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        java.util.Map<String, float[][]> done = ctx.cached("ablationcammultilayer", java.util.HashMap<String, float[][]>::new);
        String key = String.join("\u0000", ctx.layers());
        float[][] w = done.get(key);
        if (w == null) {
            w = shared(ctx, a.dim(1));
            done.put(key, w);
        }
        if (w[0].length != a.dim(1)) {
            throw new XGradCamException("the layers ablated together must have as many channels each; " + layer + " has "
                    + a.dim(1) + ", not " + w[0].length);
        }
        return w;
    }

    private static float[][] shared(CamContext ctx, int c) {
        int n = ctx.batch();
        float[] logits = ctx.run().score().data();
        float[][] w = new float[n][c];
        for (int r = 0; r < n; r++) {
            double original = ctx.targetScore(logits, r, r);
            ctx.expect(c);
            for (int start = 0; start < c; start += ctx.batchSize()) {
                int m = Math.min(ctx.batchSize(), c - start);
                float[] mask = new float[m * c];
                for (int j = 0; j < m; j++) {
                    mask[j * c + start + j] = 1f;
                }
                FloatTensor s = ctx.scoreWithChannelsAblated(r, new FloatTensor(new long[] {m, c}, mask));
                for (int j = 0; j < m; j++) {
                    w[r][start + j] = (float) ((original - ctx.targetScore(s.data(), j, r)) / original);
                }
            }
        }
        return w;
    }
}
