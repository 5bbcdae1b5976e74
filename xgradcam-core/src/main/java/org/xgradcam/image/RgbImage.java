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
        byte[] out = new byte[w * h * 3];
        // the decoders' usual layouts read straight from their buffers; getRGB converts pixel by pixel
        if (img.getType() == BufferedImage.TYPE_INT_RGB && packed(img, 1)) {
            int[] px = ((java.awt.image.DataBufferInt) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < w * h; i++) {
                out[3 * i] = (byte) (px[i] >> 16);
                out[3 * i + 1] = (byte) (px[i] >> 8);
                out[3 * i + 2] = (byte) px[i];
            }
            return new RgbImage(w, h, out);
        }
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR && packed(img, 3)) {
            byte[] px = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < 3 * w * h; i += 3) {
                out[i] = px[i + 2];
                out[i + 1] = px[i + 1];
                out[i + 2] = px[i];
            }
            return new RgbImage(w, h, out);
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < argb.length; i++) {
            out[3 * i] = (byte) (argb[i] >> 16);
            out[3 * i + 1] = (byte) (argb[i] >> 8);
            out[3 * i + 2] = (byte) argb[i];
        }
        return new RgbImage(w, h, out);
    }

    /** Whether the image's buffer holds exactly its pixels, row after row, {@code per} elements each. */
    private static boolean packed(BufferedImage img, int per) {
        java.awt.image.WritableRaster r = img.getRaster();
        return r.getParent() == null && r.getSampleModelTranslateX() == 0 && r.getSampleModelTranslateY() == 0
                && r.getDataBuffer().getNumBanks() == 1 && r.getDataBuffer().getSize() == img.getWidth() * img.getHeight() * per
                && (per == 1 ? ((java.awt.image.SinglePixelPackedSampleModel) r.getSampleModel()).getScanlineStride()
                        : ((java.awt.image.ComponentSampleModel) r.getSampleModel()).getScanlineStride()) == img.getWidth() * per;
    }

    /** Writes the image, PNG or JPEG by the file's extension, atomically. */
    public void save(java.nio.file.Path file) {
        Pictures.save(this, file);
    }

    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] px = ((java.awt.image.DataBufferInt) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < px.length; i++) {
            px[i] = ((rgb[3 * i] & 0xff) << 16) | ((rgb[3 * i + 1] & 0xff) << 8) | (rgb[3 * i + 2] & 0xff);
        }
        return img;
    }

    public RgbImage resize(int outW, int outH, Preprocessing.Interpolation interpolation) {
        return new RgbImage(outW, outH, switch (interpolation) {
            case OPENCV -> Resize.bilinear8(rgb, height, width, 3, outH, outW);
            case PIL -> PilResize.bilinear8(rgb, height, width, 3, outH, outW);
            case TENSOR -> tensorBilinear(outW, outH);
        });
    }

    /** Each channel in float (half-pixel, no antialiasing), rounded half to even: torch's resize of a uint8 tensor. */
    private byte[] tensorBilinear(int outW, int outH) {
        byte[] out = new byte[outW * outH * 3];
        float[] plane = new float[width * height];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane.length; i++) {
                plane[i] = rgb[3 * i + c] & 0xff;
            }
            float[] r = Resize.bilinear(plane, height, width, outH, outW);
            for (int i = 0; i < r.length; i++) {
                out[3 * i + c] = (byte) Math.max(0, Math.min(255, Math.rint(r[i])));
            }
        }
        return out;
    }

    public RgbImage crop(int x, int y, int w, int h) {
        byte[] out = new byte[w * h * 3];
        for (int r = 0; r < h; r++) {
            System.arraycopy(rgb, ((y + r) * width + x) * 3, out, r * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }
}
