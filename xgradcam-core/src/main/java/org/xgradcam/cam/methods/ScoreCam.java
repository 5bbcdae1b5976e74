package org.xgradcam.cam.methods;

import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamContext;
import org.xgradcam.tensor.FloatTensor;

/**
 * Score-CAM (Wang et al. 2020) as pytorch-grad-cam computes it: each channel upsampled to the
 * input size (bilinear, align_corners=True), scaled to [0, 1] ((u - min) / (max - min + 1e-8)),
 * multiplied onto the normalised input; the masked inputs' target logits, softmaxed over
 * channels, are the weights. One forward pass per channel, run in batches.
 */
public final class ScoreCam extends WeightedCam {
    @Override
    public String name() {
        return "Score-CAM";
    }

    @Override
    public String id() {
        return "scorecam";
    }

    @Override
    public Needs needs() {
        return Needs.ACTIVATIONS;
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        FloatTensor x = ctx.input();
        if (x.rank() != 4) {
            throw new XGradCamException("Score-CAM needs an image input [N, C, H, W]");
        }
        int n = a.dim(0);
        int c = a.dim(1);
        int h = a.dim(2);
        int w = a.dim(3);
        int[] size = ctx.inputSize();
        int outH = size[0];
        int outW = size[1];
        int inC = x.dim(1);
        int plane = outH * outW;
        float[][] weights = new float[n][c];
        for (int r = 0; r < n; r++) {
            double[] scores = new double[c];
            for (int start = 0; start < c; start += ctx.batchSize()) {
                int m = Math.min(ctx.batchSize(), c - start);
                float[] batch = new float[m * inC * plane];
                for (int j = 0; j < m; j++) {
                    int k = start + j;
                    float[] src = java.util.Arrays.copyOfRange(a.data(), ((r * c) + k) * h * w, ((r * c) + k + 1) * h * w);
                    float[] mask = normalise(alignCorners(src, h, w, outH, outW));
                    for (int ch = 0; ch < inC; ch++) {
                        int xo = (r * inC + ch) * plane;
                        int bo = (j * inC + ch) * plane;
                        for (int i = 0; i < plane; i++) {
                            batch[bo + i] = x.data()[xo + i] * mask[i];
                        }
                    }
                }
                FloatTensor s = ctx.scoreInputs(new FloatTensor(new long[] {m, inC, outH, outW}, batch));
                for (int j = 0; j < m; j++) {
                    scores[start + j] = ctx.targetScore(s.data(), j, r);
                }
            }
            weights[r] = softmax(scores);
        }
        return weights;
    }

    static float[] softmax(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double d : v) {
            max = Math.max(max, d);
        }
        double sum = 0;
        double[] e = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            e[i] = Math.exp(v[i] - max);
            sum += e[i];
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (e[i] / sum);
        }
        return out;
    }

    static float[] normalise(float[] u) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : u) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float d = max - min + 1e-8f;
        float[] out = new float[u.length];
        for (int i = 0; i < u.length; i++) {
            out[i] = (u[i] - min) / d;
        }
        return out;
    }

    /** torch.nn.UpsamplingBilinear2d: corner pixels aligned, src = dst * (in - 1) / (out - 1). */
    static float[] alignCorners(float[] src, int h, int w, int outH, int outW) {
        float[] out = new float[outH * outW];
        float sy = outH > 1 ? (float) (h - 1) / (outH - 1) : 0f;
        float sx = outW > 1 ? (float) (w - 1) / (outW - 1) : 0f;
        for (int y = 0; y < outH; y++) {
            float fy = y * sy;
            int y0 = (int) fy;
            int y1 = Math.min(y0 + 1, h - 1);
            float ly = fy - y0;
            for (int x = 0; x < outW; x++) {
                float fx = x * sx;
                int x0 = (int) fx;
                int x1 = Math.min(x0 + 1, w - 1);
                float lx = fx - x0;
                float top = src[y0 * w + x0] * (1 - lx) + src[y0 * w + x1] * lx;
                float bottom = src[y1 * w + x0] * (1 - lx) + src[y1 * w + x1] * lx;
                out[y * outW + x] = top * (1 - ly) + bottom * ly;
            }
        }
        return out;
    }
}
