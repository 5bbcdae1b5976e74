package org.xgradcam.image;

import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.xgradcam.XGradCamException;

/**
 * Decodes image files with whatever ImageIO plugins are present (the CLI adds WebP, TIFF and
 * CMYK JPEG), applies the EXIF orientation of JPEGs, flattens grey, alpha, palette and 16-bit
 * images to 8-bit RGB, and refuses images whose header promises more pixels than it should
 * decode before any memory is spent on them.
 */
public final class ImageLoader {
    /** 100 megapixels: far above any photo a classifier sees, far below what exhausts memory. */
    public static final long MAX_PIXELS = 100_000_000L;

    private ImageLoader() {}

    public static RgbImage load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new XGradCamException("image not found: " + file);
        } catch (IOException e) {
            throw new XGradCamException("cannot read image " + file + ": " + e.getMessage(), e);
        }
        return decode(bytes, file.toString());
    }

    public static RgbImage decode(byte[] bytes, String source) {
        BufferedImage img;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new XGradCamException(source + " is not an image xgradcam can read (supported: JPEG, PNG, BMP,"
                        + " GIF, WebP, TIFF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w * h > MAX_PIXELS) {
                    throw new XGradCamException(source + " claims " + w + "x" + h + " pixels, more than the "
                            + MAX_PIXELS / 1_000_000 + " megapixels xgradcam decodes; downscale it first");
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (XGradCamException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new XGradCamException(source + " is a damaged or truncated image (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        }
        if (img == null) {
            throw new XGradCamException(source + " holds no image");
        }
        int orientation = ExifOrientation.read(bytes);
        return RgbImage.of(orient(toRgb(img), orientation));
    }

    /** Any colour model (grey, palette, alpha over black, 16-bit, CMYK) to 8-bit RGB. */
    private static BufferedImage toRgb(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_INT_RGB) {
            return img;
        }
        BufferedImage rgb = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.drawImage(img, 0, 0, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }

    /** Applies EXIF orientation 1..8 (2-8: mirrored and/or rotated). */
    static BufferedImage orient(BufferedImage img, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return img;
        }
        int w = img.getWidth();
        int h = img.getHeight();
        boolean swap = orientation >= 5;
        AffineTransform t = new AffineTransform();
        switch (orientation) {
            case 2 -> { t.translate(w, 0); t.scale(-1, 1); }
            case 3 -> { t.translate(w, h); t.rotate(Math.PI); }
            case 4 -> { t.translate(0, h); t.scale(1, -1); }
            case 5 -> { t.rotate(-Math.PI / 2); t.scale(-1, 1); }
            case 6 -> { t.translate(h, 0); t.rotate(Math.PI / 2); }
            case 7 -> { t.scale(-1, 1); t.translate(-h, 0); t.translate(0, w); t.rotate(3 * Math.PI / 2); }
            case 8 -> { t.translate(0, w); t.rotate(3 * Math.PI / 2); }
            default -> { }
        }
        BufferedImage out = new BufferedImage(swap ? h : w, swap ? w : h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.drawImage(img, t, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
