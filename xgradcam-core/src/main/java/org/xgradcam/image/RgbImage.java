package org.xgradcam.image;

import java.awt.image.BufferedImage;

/** An 8-bit RGB image, interleaved row-major (r, g, b per pixel): what decoding yields. */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (rgb.length != width * height * 3) {
            throw new IllegalArgumentException("expected " + width * height * 3 + " bytes, got " + rgb.length);
        }
    }

    public static RgbImage of(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        byte[] out = new byte[w * h * 3];
        for (int i = 0; i < argb.length; i++) {
            out[3 * i] = (byte) (argb[i] >> 16);
            out[3 * i + 1] = (byte) (argb[i] >> 8);
            out[3 * i + 2] = (byte) argb[i];
        }
        return new RgbImage(w, h, out);
    }

    /** Writes the image, PNG or JPEG by the file's extension, atomically. */
    public void save(java.nio.file.Path file) {
        Pictures.save(this, file);
    }

    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] px = new int[width * height];
        for (int i = 0; i < px.length; i++) {
            px[i] = ((rgb[3 * i] & 0xff) << 16) | ((rgb[3 * i + 1] & 0xff) << 8) | (rgb[3 * i + 2] & 0xff);
        }
        img.setRGB(0, 0, width, height, px, 0, width);
        return img;
    }

    public RgbImage resize(int outW, int outH, Preprocessing.Interpolation interpolation) {
        return new RgbImage(outW, outH, switch (interpolation) {
            case OPENCV -> Resize.bilinear8(rgb, height, width, 3, outH, outW);
            case PIL -> PilResize.bilinear8(rgb, height, width, 3, outH, outW);
        });
    }

    public RgbImage crop(int x, int y, int w, int h) {
        byte[] out = new byte[w * h * 3];
        for (int r = 0; r < h; r++) {
            System.arraycopy(rgb, ((y + r) * width + x) * 3, out, r * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }
}
