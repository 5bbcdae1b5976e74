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

    /** The longest side of a picture drawn over a photo: larger photos are drawn scaled down to it. */
    public static final int MAX_PHOTO_SIDE = 4096;

    /**
     * A map over the model's input ({@code mapW} x {@code mapH}) drawn on the photo it came from,
     * at the photo's own size and aspect ratio (scaled down to at most MAX_PHOTO_SIDE a side):
     * inside {@code region}, the part of the photo the model saw (Preprocessing.seenRegion), the map
     * resampled to it and overlaid ({@code blend}: half and half, else the original tool's
     * additive picture); outside, the photo as it is, with the region outlined.
     */
    public static RgbImage onPhoto(RgbImage photo, float[] map, int mapW, int mapH, float[] region, boolean blend,
                                   Colormap cmap) {
        double scale = Math.min(1.0, (double) MAX_PHOTO_SIDE / Math.max(photo.width(), photo.height()));
        RgbImage base = scale < 1 ? photo.resize(Math.max(1, (int) Math.round(photo.width() * scale)),
                Math.max(1, (int) Math.round(photo.height() * scale)), Preprocessing.Interpolation.PIL) : photo;
        int x0 = Math.max(0, (int) Math.floor(region[0] * scale));
        int y0 = Math.max(0, (int) Math.floor(region[1] * scale));
        int x1 = Math.min(base.width(), (int) Math.ceil(region[2] * scale));
        int y1 = Math.min(base.height(), (int) Math.ceil(region[3] * scale));
        int rw = Math.max(1, x1 - x0);
        int rh = Math.max(1, y1 - y0);
        float[] resampled = org.xgradcam.image.Resize.bilinear(map, mapH, mapW, rh, rw);
        RgbImage seen = base.crop(x0, y0, rw, rh);
        RgbImage drawn = blend ? blend(seen, resampled, cmap, 0.5f) : additive(seen, resampled, cmap);
        byte[] out = base.rgb().clone();
        for (int y = 0; y < rh; y++) {
            System.arraycopy(drawn.rgb(), 3 * y * rw, out, 3 * ((y0 + y) * base.width() + x0), 3 * rw);
        }
        RgbImage result = new RgbImage(base.width(), base.height(), out);
        boolean whole = x0 == 0 && y0 == 0 && x1 == base.width() && y1 == base.height();
        return whole ? result : Boxes.outline(result, x0, y0, x1 - 1, y1 - 1);
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
