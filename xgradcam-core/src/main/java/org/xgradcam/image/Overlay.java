package org.xgradcam.image;

/** Heat maps over images. */
public final class Overlay {
    private Overlay() {}

    /**
     * XGrad-CAM.py's picture: heat/255 + image/255, divided by its maximum, times 255,
     * truncated to 8 bits.
     */
    public static RgbImage additive(RgbImage image, float[] map, Colormap cmap) {
        RgbImage heat = cmap.apply(map, image.width(), image.height());
        float[] sum = new float[image.rgb().length];
        float max = 0;
        for (int i = 0; i < sum.length; i++) {
            sum[i] = (heat.rgb()[i] & 0xff) / 255f + (image.rgb()[i] & 0xff) / 255f;
            max = Math.max(max, sum[i]);
        }
        byte[] out = new byte[sum.length];
        for (int i = 0; i < sum.length; i++) {
            out[i] = (byte) (int) (255 * (sum[i] / max));
        }
        return new RgbImage(image.width(), image.height(), out);
    }

    /** (1 - alpha) * image + alpha * heat, rounded. */
    public static RgbImage blend(RgbImage image, float[] map, Colormap cmap, float alpha) {
        RgbImage heat = cmap.apply(map, image.width(), image.height());
        byte[] out = new byte[image.rgb().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Math.round((1 - alpha) * (image.rgb()[i] & 0xff) + alpha * (heat.rgb()[i] & 0xff));
        }
        return new RgbImage(image.width(), image.height(), out);
    }

    /**
     * A signed difference in [-1, 1] as a picture: white where none, red where positive, blue
     * where negative, full colour at +-1 (a diverging scale, so equal maps are plain white).
     */
    public static RgbImage difference(float[] d, int width, int height) {
        byte[] out = new byte[width * height * 3];
        for (int i = 0; i < d.length; i++) {
            float v = Math.max(-1f, Math.min(1f, d[i]));
            int fade = Math.round(255 * (1 - Math.abs(v)));
            out[3 * i] = (byte) (v >= 0 ? 255 : fade);
            out[3 * i + 1] = (byte) fade;
            out[3 * i + 2] = (byte) (v <= 0 ? 255 : fade);
        }
        return new RgbImage(width, height, out);
    }

    /**
     * Guided-backprop gradients [3, H, W] as a picture, as pytorch-grad-cam's deprocess_image:
     * centred, divided by (std + 1e-5), times 0.1, plus 0.5, clipped to [0, 1].
     */
    public static RgbImage gradientPicture(float[] chw, int width, int height) {
        double mean = 0;
        for (float v : chw) {
            mean += v;
        }
        mean /= chw.length;
        double var = 0;
        for (float v : chw) {
            var += (v - mean) * (v - mean);
        }
        double std = Math.sqrt(var / chw.length);
        int plane = width * height;
        byte[] out = new byte[plane * 3];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                double v = (chw[c * plane + i] - mean) / (std + 1e-5) * 0.1 + 0.5;
                out[3 * i + c] = (byte) (int) (255 * Math.max(0, Math.min(1, v)));
            }
        }
        return new RgbImage(width, height, out);
    }
}
