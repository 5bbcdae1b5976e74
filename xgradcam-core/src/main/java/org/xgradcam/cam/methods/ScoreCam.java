package org.xgradcam.cam.methods;

import java.util.Arrays;
import java.util.Random;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamContext;
import org.xgradcam.cam.PostProcess;
import org.xgradcam.image.Resize;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.tensor.Vectors;

/**
 * The Score-CAM family: each channel, turned into a [0, 1] mask at the input size, multiplies
 * the input; the target logits of the masked inputs, softmaxed over channels, are the weights.
 * One forward pass per channel and sample, run in batches.
 * <ul>
 * <li>Score-CAM (Wang et al. 2020) as pytorch-grad-cam computes it: upsample (bilinear,
 *     align_corners=True), then scale each channel (u - min) / (max - min + 1e-8).
 * <li>SS-CAM (Wang et al. 2020, "Smoothed Score-CAM") as torch-cam computes it: scale at low
 *     resolution ((a - min) / (max + 1e-8) after subtracting min), upsample (half-pixel
 *     bilinear), add N(0, std^2) noise to the mask, average the logits of `samples` draws.
 * <li>IS-CAM (Naidu et al. 2020, "Integrated Score-CAM") as torch-cam computes it: masks as for
 *     SS-CAM, scaled by the running coefficient c_i = sum_{s &lt;= i} s / N, logits averaged.
 * <li>Faster-ScoreCAM: Score-CAM over only the `topChannels` channels of largest spatial
 *     variance (softmax over those; the others weigh 0).
 * </ul>
 */
public final class ScoreCam extends WeightedCam {
    private enum Variant { SCORE, SMOOTHED, INTEGRATED, FASTER }

    private final Variant variant;
    private final int samples;
    private final float std;
    private final int topChannels;

    private ScoreCam(Variant variant, int samples, float std, int topChannels) {
        this.variant = variant;
        this.samples = samples;
        this.std = std;
        this.topChannels = topChannels;
    }

    public ScoreCam() {
        this(Variant.SCORE, 1, 0f, 0);
    }

    /** SS-CAM with torch-cam's defaults: 35 samples, noise std 2.0. */
    public static ScoreCam smoothed() {
        return smoothed(35, 2.0f);
    }

    public static ScoreCam smoothed(int samples, float std) {
        return new ScoreCam(Variant.SMOOTHED, samples, std, 0);
    }

    /** IS-CAM with torch-cam's default of 10 samples. */
    public static ScoreCam integrated() {
        return integrated(10);
    }

    public static ScoreCam integrated(int samples) {
        return new ScoreCam(Variant.INTEGRATED, samples, 0f, 0);
    }

    /** Faster-ScoreCAM over the 10 channels of largest variance. */
    public static ScoreCam faster() {
        return faster(10);
    }

    public static ScoreCam faster(int topChannels) {
        return new ScoreCam(Variant.FASTER, 1, 0f, topChannels);
    }

    @Override
    public String cost() {
        return switch (variant) {
            case SCORE -> "a forward pass per channel of the layer";
            case SMOOTHED -> "a forward pass per channel and noise sample (" + samples + " samples)";
            case INTEGRATED -> "a forward pass per channel and integration step (" + samples + " steps)";
            case FASTER -> "a forward pass per kept channel (the " + topChannels + " of largest variance)";
        };
    }

    @Override
    public String name() {
        return switch (variant) {
            case SCORE -> "Score-CAM";
            case SMOOTHED -> "SS-CAM";
            case INTEGRATED -> "IS-CAM";
            case FASTER -> "Faster-ScoreCAM";
        };
    }

    @Override
    public String id() {
        return switch (variant) {
            case SCORE -> "scorecam";
            case SMOOTHED -> "sscam";
            case INTEGRATED -> "iscam";
            case FASTER -> "fasterscorecam";
        };
    }

    @Override
    public Needs needs() {
        return Needs.ACTIVATIONS;
    }

    @Override
    protected float[][] weights(CamContext ctx, String layer, FloatTensor a, FloatTensor g) {
        FloatTensor x = ctx.input();
        if (x.rank() != 4) {
            throw new XGradCamException(name() + " masks an image input [N, C, H, W] with upsampled channels; a clip or volume"
                    + " input is not supported by it: use a gradient method (xgradcam, gradcam, layercam, hirescam, ...)");
        }
        int n = a.dim(0);
        int c = a.dim(1);
        int h = a.dim(2);
        int w = a.dim(3);
        int[] size = ctx.inputSize();
        int inC = x.dim(1);
        int plane = size[0] * size[1];
        Random noise = ctx.random(id() + layer);
        float[][] weights = new float[n][c];
        for (int r = 0; r < n; r++) {
            int[] channels = channels(a, r);
            float[][] masks = new float[channels.length][];
            for (int j = 0; j < channels.length; j++) {
                int k = channels[j];
                float[] src = Arrays.copyOfRange(a.data(), (r * c + k) * h * w, (r * c + k + 1) * h * w);
                // pytorch-grad-cam: upsample (align corners), then scale; torch-cam: scale, then upsample
                boolean pgc = (variant == Variant.SCORE && ctx.convention() != PostProcess.TORCH_CAM) || variant == Variant.FASTER;
                masks[j] = pgc
                        ? normalise(alignCorners(src, h, w, size[0], size[1]))
                        : Resize.bilinear(lowResNormalise(src), h, w, size[0], size[1]);
            }
            double[] scores = new double[channels.length];
            double coefficient = 0;
            ctx.expect((long) samples * channels.length);
            for (int s = 0; s < samples; s++) {
                coefficient += (s + 1.0) / samples;
                for (int start = 0; start < channels.length; start += ctx.batchSize()) {
                    int m = Math.min(ctx.batchSize(), channels.length - start);
                    float[] batch = new float[m * inC * plane];
                    for (int j = 0; j < m; j++) {
                        float[] mask = masks[start + j];
                        if (variant == Variant.SMOOTHED) {
                            mask = mask.clone();
                            for (int i = 0; i < plane; i++) {
                                mask[i] += (float) (noise.nextGaussian() * std);
                            }
                        }
                        float scale = variant == Variant.INTEGRATED ? (float) coefficient : 1f;
                        for (int ch = 0; ch < inC; ch++) {
                            int xo = (r * inC + ch) * plane;
                            int bo = (j * inC + ch) * plane;
                            for (int i = 0; i < plane; i++) {
                                batch[bo + i] = scale * (mask[i] * x.data()[xo + i]);
                            }
                        }
                    }
                    FloatTensor out = ctx.scoreInputs(new FloatTensor(new long[] {m, inC, size[0], size[1]}, batch));
                    for (int j = 0; j < m; j++) {
                        scores[start + j] += ctx.targetScore(out.data(), j, r);
                    }
                }
            }
            for (int j = 0; j < scores.length; j++) {
                scores[j] /= samples;
            }
            float[] soft = softmax(scores);
            for (int j = 0; j < channels.length; j++) {
                weights[r][channels[j]] = soft[j];
            }
        }
        return weights;
    }

    /** All channels, or for Faster-ScoreCAM the top ones by spatial variance (stable order). */
    private int[] channels(FloatTensor a, int r) {
        int c = a.dim(1);
        int hw = a.dim(2) * a.dim(3);
        if (variant != Variant.FASTER || topChannels >= c) {
            int[] all = new int[c];
            for (int k = 0; k < c; k++) {
                all[k] = k;
            }
            return all;
        }
        double[] var = new double[c];
        for (int k = 0; k < c; k++) {
            double mean = 0;
            int base = (r * c + k) * hw;
            for (int i = 0; i < hw; i++) {
                mean += a.data()[base + i];
            }
            mean /= hw;
            for (int i = 0; i < hw; i++) {
                double d = a.data()[base + i] - mean;
                var[k] += d * d;
            }
            var[k] /= hw;
        }
        Integer[] order = new Integer[c];
        for (int k = 0; k < c; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (p, q) -> Double.compare(var[q], var[p]));
        int[] top = new int[topChannels];
        for (int i = 0; i < topChannels; i++) {
            top[i] = order[i];
        }
        Arrays.sort(top);
        return top;
    }

    static float[] softmax(double[] v) {
        double[] p = Vectors.softmax(v);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) p[i];
        }
        return out;
    }

    /** pytorch-grad-cam: (u - min) / (max - min + 1e-8). */
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

    /** torch-cam's _normalize: subtract the min, then divide by the (new) max + 1e-8. */
    static float[] lowResNormalise(float[] a) {
        float min = Float.POSITIVE_INFINITY;
        for (float v : a) {
            min = Math.min(min, v);
        }
        float max = Float.NEGATIVE_INFINITY;
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - min;
            max = Math.max(max, out[i]);
        }
        for (int i = 0; i < a.length; i++) {
            out[i] /= max + 1e-8f;
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
