package org.xgradcam.image;

/**
 * Bilinear resizing exactly as Pillow's Image.resize(..., BILINEAR) does it on 8-bit images, which
 * is what torchvision's Resize applies to PIL images (the ImageNet evaluation transform of most
 * pretrained models). Unlike OpenCV's, the filter widens with the shrink factor (antialiasing).
 * Two separable passes, horizontal first, each rounded to 8 bits; coefficients in 22-bit fixed
 * point (Pillow's Resample.c, PRECISION_BITS = 32 - 8 - 2).
 */
public final class PilResize {
    private PilResize() {}

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** Per output coordinate: first source index, tap count and fixed-point coefficients. */
    private record Coefficients(int[] start, int[] count, int[][] weights) {}

    private static Coefficients coefficients(int in, int out) {
        double scale = (double) in / out;
        double filterScale = Math.max(scale, 1.0);
        double support = 1.0 * filterScale; // the bilinear (triangle) filter's support is 1
        int[] start = new int[out];
        int[] count = new int[out];
        int[][] weights = new int[out][];
        for (int o = 0; o < out; o++) {
            double center = (o + 0.5) * scale;
            int min = Math.max((int) (center - support + 0.5), 0);
            int max = Math.min((int) (center + support + 0.5), in) - min;
            double[] k = new double[max];
            double sum = 0;
            for (int i = 0; i < max; i++) {
                double t = Math.abs((i + min - center + 0.5) / filterScale);
                k[i] = t < 1.0 ? 1.0 - t : 0.0;
                sum += k[i];
            }
            int[] fixed = new int[max];
            for (int i = 0; i < max; i++) {
                double v = sum != 0 ? k[i] / sum : k[i];
                fixed[i] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
            }
            start[o] = min;
            count[o] = max;
            weights[o] = fixed;
        }
        return new Coefficients(start, count, weights);
    }

    private static byte clip8(int v) {
        if (v >= (1 << PRECISION_BITS << 8)) {
            return (byte) 255;
        }
        return v <= 0 ? 0 : (byte) (v >> PRECISION_BITS);
    }

    /** Resizes an interleaved 8-bit image [h, w, channels]. */
    public static byte[] bilinear8(byte[] src, int h, int w, int channels, int outH, int outW) {
        byte[] img = src;
        if (outW != w) {
            Coefficients c = coefficients(w, outW);
            byte[] tmp = new byte[h * outW * channels];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < outW; x++) {
                    int[] k = c.weights[x];
                    for (int ch = 0; ch < channels; ch++) {
                        int acc = 1 << (PRECISION_BITS - 1);
                        int base = (y * w + c.start[x]) * channels + ch;
                        for (int i = 0; i < c.count[x]; i++) {
                            acc += (img[base + i * channels] & 0xff) * k[i];
                        }
                        tmp[(y * outW + x) * channels + ch] = clip8(acc);
                    }
                }
            }
            img = tmp;
        }
        if (outH != h) {
            Coefficients c = coefficients(h, outH);
            byte[] tmp = new byte[outH * outW * channels];
            int row = outW * channels;
            for (int y = 0; y < outH; y++) {
                int[] k = c.weights[y];
                for (int j = 0; j < row; j++) {
                    int acc = 1 << (PRECISION_BITS - 1);
                    int base = c.start[y] * row + j;
                    for (int i = 0; i < c.count[y]; i++) {
                        acc += (img[base + i * row] & 0xff) * k[i];
                    }
                    tmp[y * row + j] = clip8(acc);
                }
            }
            img = tmp;
        }
        return img == src ? src.clone() : img;
    }
}
