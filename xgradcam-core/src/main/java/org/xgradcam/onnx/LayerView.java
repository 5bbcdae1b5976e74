package org.xgradcam.onnx;

import java.util.Arrays;
import org.xgradcam.XGradCamException;
import org.xgradcam.tensor.FloatTensor;

/**
 * How a layer's tensor is seen as a feature map [N, C, H, W], which is what every method works
 * on: as it is (a CNN layer), as tokens [N, T, C] of a vision transformer whose last H x W tokens
 * lie on the patch grid after K leading ones (the class token, a distillation token, register
 * tokens), or channels-last [N, H, W, C] (Swin's stages, TensorFlow exports). The view applies to
 * activations and gradients alike (pytorch-grad-cam's reshape_transform, found automatically),
 * and back again for methods that feed modified activations to the rest of the network.
 * A 3-D map [N, C, D, H, W] (video, volumes) is seen as [N, C, D * H, W], its D slices stacked
 * along the height: the same memory, so every sum over positions (Grad-CAM's mean, XGrad-CAM's
 * sums, Eigen-CAM's components) runs over D, H and W as pytorch-grad-cam's 3-D weights do; the
 * map is cut into its D slices again before upsampling ({@link #depth()}).
 */
public record LayerView(Kind kind, int prefixTokens, int height, int width, int channels, int depth) {
    public enum Kind { NCHW, TOKENS, NHWC, VOLUME }

    public static LayerView nchw(long[] shape) {
        return new LayerView(Kind.NCHW, 0, (int) shape[2], (int) shape[3], (int) shape[1], 1);
    }

    public static LayerView tokens(int prefix, int h, int w, int channels) {
        return new LayerView(Kind.TOKENS, prefix, h, w, channels, 1);
    }

    public static LayerView nhwc(long[] shape) {
        return new LayerView(Kind.NHWC, 0, (int) shape[1], (int) shape[2], (int) shape[3], 1);
    }

    /** A 3-D map [N, C, D, H, W]: height is D * H in the view. */
    public static LayerView volume(long[] shape) {
        return new LayerView(Kind.VOLUME, 0, (int) (shape[2] * shape[3]), (int) shape[4], (int) shape[1], (int) shape[2]);
    }

    public boolean isIdentity() {
        return kind == Kind.NCHW;
    }

    /** A convolution's own map, 2-D or 3-D (not tokens, not channels-last). */
    public boolean isConvMap() {
        return kind == Kind.NCHW || kind == Kind.VOLUME;
    }

    /** The layer's own shape at batch 1 for a 3-D map, [1, C, D, H, W]; else the view's. */
    public long[] ownShape() {
        return kind == Kind.VOLUME ? new long[] {1, channels, depth, height / depth, width} : shape();
    }

    /** The viewed shape at batch 1: [1, C, H, W]. */
    public long[] shape() {
        return new long[] {1, channels, height, width};
    }

    /** "tokens: 1 + 14x14" or "channels-last" or "" for a plain map. */
    public String describe() {
        return switch (kind) {
            case NCHW -> "";
            case TOKENS -> "tokens " + (prefixTokens > 0 ? prefixTokens + " + " : "") + height + "x" + width;
            case NHWC -> "channels-last";
            case VOLUME -> depth + "x" + height / depth + "x" + width;
        };
    }

    /** The layer's own tensor [N, ...] as [N, C, H, W] (prefix tokens dropped). */
    public FloatTensor toNchw(FloatTensor raw) {
        if (kind == Kind.NCHW) {
            return raw;
        }
        if (kind == Kind.VOLUME) {
            return new FloatTensor(new long[] {raw.dim(0), channels, height, width}, raw.data());
        }
        int n = raw.dim(0);
        int c = channels;
        int hw = height * width;
        float[] in = raw.data();
        float[] out = new float[n * c * hw];
        int tokens = kind == Kind.TOKENS ? prefixTokens + hw : hw;
        if (raw.size() != n * tokens * c) {
            throw new XGradCamException("layer tensor of shape " + Arrays.toString(raw.shape()) + " does not fit the view "
                    + describe() + " with " + c + " channels");
        }
        int skip = kind == Kind.TOKENS ? prefixTokens : 0;
        for (int r = 0; r < n; r++) {
            int src = r * tokens * c + skip * c;
            int dst = r * c * hw;
            for (int p = 0; p < hw; p++) {
                for (int ch = 0; ch < c; ch++) {
                    out[dst + ch * hw + p] = in[src + p * c + ch];
                }
            }
        }
        return new FloatTensor(new long[] {n, c, height, width}, out);
    }

    /**
     * Viewed activations [M, C, H, W] back to the layer's own layout; the prefix tokens (which
     * the view drops) are taken from {@code prefixSource}, one row of the layer's own tensor.
     */
    public FloatTensor fromNchw(FloatTensor viewed, FloatTensor prefixSource) {
        if (kind == Kind.NCHW) {
            return viewed;
        }
        if (kind == Kind.VOLUME) {
            return new FloatTensor(new long[] {viewed.dim(0), channels, depth, height / depth, width}, viewed.data());
        }
        int m = viewed.dim(0);
        int c = channels;
        int hw = height * width;
        int skip = kind == Kind.TOKENS ? prefixTokens : 0;
        int tokens = skip + hw;
        float[] out = new float[m * tokens * c];
        float[] v = viewed.data();
        for (int r = 0; r < m; r++) {
            int base = r * tokens * c;
            if (skip > 0) {
                System.arraycopy(prefixSource.data(), 0, out, base, skip * c);
            }
            for (int p = 0; p < hw; p++) {
                for (int ch = 0; ch < c; ch++) {
                    out[base + (skip + p) * c + ch] = v[r * c * hw + ch * hw + p];
                }
            }
        }
        long[] shape = kind == Kind.TOKENS ? new long[] {m, tokens, c} : new long[] {m, height, width, c};
        return new FloatTensor(shape, out);
    }
}
