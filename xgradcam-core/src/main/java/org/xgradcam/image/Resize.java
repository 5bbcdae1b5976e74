package org.xgradcam.image;

/**
 * Bilinear resizing exactly as OpenCV's cv2.resize(..., INTER_LINEAR) does it: pixel centres
 * at half-integers, replicated borders, no antialiasing when shrinking. The float version uses
 * float weights as OpenCV does for float images; the 8-bit version reproduces OpenCV's
 * fixed-point arithmetic (11-bit weights, rounding shift by 22 bits).
 */
public final class Resize {
    private Resize() {}

    /** Source index and weight of the right/lower neighbour, per destination coordinate. */
    private record Taps(int[] index, float[] frac) {}

    /**
     * Horizontal taps clamp at the borders (index and fraction, as OpenCV's xmin/xmax logic);
     * vertical taps keep the fraction and clamp only the row index, as OpenCV does, which
     * matters for the 8-bit path's per-term truncation.
     */
    private static Taps taps(int src, int dst) {
        return taps(src, dst, true);
    }

    private static Taps taps(int src, int dst, boolean clampFraction) {
        double scale = 1.0 / ((double) dst / src); // as OpenCV derives it from the inverse scale
        int[] index = new int[dst];
        float[] frac = new float[dst];
        for (int d = 0; d < dst; d++) {
            float f = (float) ((d + 0.5) * scale - 0.5);
            int s = (int) Math.floor(f);
            f -= s;
            if (!clampFraction) {
                index[d] = s;
                frac[d] = f;
                continue;
            }
            if (s < 0) {
                f = 0;
                s = 0;
            }
            if (s >= src - 1) {
                f = 0;
                s = src - 1;
            }
            index[d] = s;
            frac[d] = f;
        }
        return new Taps(index, frac);
    }

    private static int clamp(int i, int n) {
        return Math.max(0, Math.min(i, n - 1));
    }

    /** Resizes a single-channel float map [h, w] to [outH, outW]. */
    public static float[] bilinear(float[] src, int h, int w, int outH, int outW) {
        if (h == outH && w == outW) {
            return src.clone();
        }
        Taps tx = taps(w, outW);
        Taps ty = taps(h, outH, false);
        float[] rows = new float[h * outW];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < outW; x++) {
                int s = tx.index[x];
                float f = tx.frac[x];
                float a = src[y * w + s];
                float b = s + 1 < w ? src[y * w + s + 1] : a;
                rows[y * outW + x] = a * (1 - f) + b * f;
            }
        }
        float[] out = new float[outH * outW];
        for (int y = 0; y < outH; y++) {
            int s = clamp(ty.index[y], h);
            int s1 = clamp(ty.index[y] + 1, h);
            float f = ty.frac[y];
            for (int x = 0; x < outW; x++) {
                out[y * outW + x] = rows[s * outW + x] * (1 - f) + rows[s1 * outW + x] * f;
            }
        }
        return out;
    }

    /**
     * Resizes a 3-D float map [d, h, w] to [outD, outH, outW]: each slice bilinearly as above, then
     * linearly along the depth with the same half-pixel rule, which is torch's trilinear
     * interpolation with align_corners=False (the 3-D form of the 2-D convention).
     */
    public static float[] trilinear(float[] src, int d, int h, int w, int outD, int outH, int outW) {
        int plane = outH * outW;
        float[] slices = new float[d * plane];
        for (int z = 0; z < d; z++) {
            float[] one = bilinear(java.util.Arrays.copyOfRange(src, z * h * w, (z + 1) * h * w), h, w, outH, outW);
            System.arraycopy(one, 0, slices, z * plane, plane);
        }
        if (d == outD) {
            return slices;
        }
        Taps tz = taps(d, outD, false);
        float[] out = new float[outD * plane];
        for (int z = 0; z < outD; z++) {
            int s = clamp(tz.index[z], d);
            int s1 = clamp(tz.index[z] + 1, d);
            float f = tz.frac[z];
            for (int i = 0; i < plane; i++) {
                out[z * plane + i] = slices[s * plane + i] * (1 - f) + slices[s1 * plane + i] * f;
            }
        }
        return out;
    }

    /**
     * Resizes an interleaved 8-bit image [h, w, channels] with OpenCV's fixed-point bilinear
     * interpolation (INTER_RESIZE_COEF_BITS = 11).
     */
    public static byte[] bilinear8(byte[] src, int h, int w, int channels, int outH, int outW) {
        final int scale = 1 << 11;
        Taps tx = taps(w, outW);
        Taps ty = taps(h, outH, false);
        short[] ax = new short[2 * outW];
        for (int x = 0; x < outW; x++) {
            // saturate_cast<short> rounds half to even, in float
            ax[2 * x] = (short) Math.rint((1f - tx.frac[x]) * scale);
            ax[2 * x + 1] = (short) Math.rint(tx.frac[x] * scale);
            if (tx.frac[x] == 0) {
                ax[2 * x] = (short) scale;
                ax[2 * x + 1] = 0;
            }
        }
        int[] rows = new int[h * outW * channels];
        // only the source rows the vertical pass reads: a photo shrunk 3x reads 2 of its 3 rows
        boolean[] read = new boolean[h];
        for (int y = 0; y < outH; y++) {
            read[clamp(ty.index[y], h)] = true;
            read[clamp(ty.index[y] + 1, h)] = true;
        }
        for (int y = 0; y < h; y++) {
            if (!read[y]) {
                continue;
            }
            for (int x = 0; x < outW; x++) {
                int s = tx.index[x];
                int s1 = Math.min(s + 1, w - 1);
                for (int c = 0; c < channels; c++) {
                    int a = src[(y * w + s) * channels + c] & 0xff;
                    int b = src[(y * w + s1) * channels + c] & 0xff;
                    rows[(y * outW + x) * channels + c] = a * ax[2 * x] + b * ax[2 * x + 1];
                }
            }
        }
        byte[] out = new byte[outH * outW * channels];
        for (int y = 0; y < outH; y++) {
            int s = clamp(ty.index[y], h);
            int s1 = clamp(ty.index[y] + 1, h);
            int b0 = (int) Math.rint((1f - ty.frac[y]) * scale);
            int b1 = (int) Math.rint(ty.frac[y] * scale);
            for (int i = 0; i < outW * channels; i++) {
                // OpenCV's vectorised path: ((b0 * (r0 >> 4)) >> 16) + ((b1 * (r1 >> 4)) >> 16) + 2) >> 2
                int r0 = rows[s * outW * channels + i];
                int r1 = rows[s1 * outW * channels + i];
                int v = (((b0 * (r0 >> 4)) >> 16) + ((b1 * (r1 >> 4)) >> 16) + 2) >> 2;
                out[y * outW * channels + i] = (byte) Math.max(0, Math.min(255, v));
            }
        }
        return out;
    }
}
