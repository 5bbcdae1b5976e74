package org.xgradcam.image;

import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.xgradcam.XGradCamException;
import org.xgradcam.validation.InputFiles;
import org.xgradcam.validation.Memory;

/**
 * Decodes image files with whatever ImageIO plugins are present (the CLI adds WebP, TIFF and
 * CMYK JPEG), applies the EXIF orientation of JPEGs, flattens grey, alpha, palette and 16-bit
 * images to 8-bit RGB, and refuses images whose header promises more pixels than it should
 * decode before any memory is spent on them. A decoder that reports damage (a truncated file,
 * corrupt entropy data) fills the missing part with grey: such an image is refused unless the
 * caller accepts damaged images, and then its warnings travel with it, never silently.
 */
public final class ImageLoader {
    /** 100 megapixels: far above any photo a classifier sees, far below what exhausts memory. */
    public static final long MAX_PIXELS = 100_000_000L;

    /** The largest image file read: 1 GiB (a 100-megapixel 16-bit TIFF is ~600 MB). */
    public static final long MAX_FILE_BYTES = 1L << 30;

    /** Heap per decoded pixel: the decoder's raster (up to 8 bytes), the RGB copy (4) and the bytes (3). */
    private static final long BYTES_PER_PIXEL = 15;

    static {
        // decode from memory only: a disk cache would make a full temp folder look like a damaged image
        ImageIO.setUseCache(false);
    }

    private ImageLoader() {}

    /** An image refused for its size, as its header gives it, before any pixel is decoded. */
    public static final class TooLarge extends XGradCamException {
        public TooLarge(String message) {
            super(message);
        }
    }

    /** A decoded image and what the decoder warned about (empty for an intact file). */
    public record Decoded(RgbImage image, List<String> warnings) {
        public boolean damaged() {
            return warnings.stream().anyMatch(ImageLoader::isDamage);
        }
    }

    /** Decodes a file; a damaged one is refused. */
    public static RgbImage load(Path file) {
        return load(file, false).image();
    }

    /** Decodes a file; with {@code acceptDamaged}, a damaged one is returned with its warnings. */
    public static Decoded load(Path file, boolean acceptDamaged) {
        byte[] bytes = InputFiles.read(file, "image", MAX_FILE_BYTES);
        return decode(bytes, file.toString(), acceptDamaged);
    }

    public static RgbImage decode(byte[] bytes, String source) {
        return decode(bytes, source, false).image();
    }

    public static Decoded decode(byte[] bytes, String source, boolean acceptDamaged) {
        return decode(bytes, source, acceptDamaged, MAX_PIXELS);
    }

    /**
     * Decodes with a pixel limit of the caller's (a server's, lower than {@link #MAX_PIXELS}): an
     * image whose header claims more is refused before any pixel is decoded, by that limit.
     */
    public static Decoded decode(byte[] bytes, String source, boolean acceptDamaged, long maxPixels) {
        if (bytes.length == 0) {
            throw new XGradCamException(source + " is empty (0 bytes): no image in it");
        }
        BufferedImage img;
        List<String> warnings = new ArrayList<>(ImageIntegrity.problems(bytes));
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? java.util.Collections.emptyIterator() : ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new XGradCamException(source + " is not an image xgradcam can read (supported: JPEG, PNG, BMP,"
                        + " GIF, WebP, TIFF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((r, message) -> warnings.add(message));
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w <= 0 || h <= 0) {
                    throw new XGradCamException(source + " claims " + w + "x" + h + " pixels: its header is damaged");
                }
                if (w * h > Math.min(maxPixels, MAX_PIXELS)) {
                    throw new TooLarge(source + " claims " + w + "x" + h + " pixels, more than the "
                            + megapixels(Math.min(maxPixels, MAX_PIXELS)) + " megapixels xgradcam decodes here; downscale it first");
                }
                Memory.require(w * h * BYTES_PER_PIXEL, "decoding " + w + "x" + h + " image " + source);
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (XGradCamException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            String why = warnings.isEmpty() ? e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
                    + firstLine(e.getMessage())) : summary(warnings);
            throw new XGradCamException(source + " is a damaged or truncated image (" + why + "); re-encode or replace it", e);
        }
        if (img == null) {
            throw new XGradCamException(source + " holds no image");
        }
        List<String> kept = requireIntact(source, acceptDamaged, warnings);
        int orientation = ExifOrientation.read(bytes);
        return new Decoded(RgbImage.of(orient(toRgb(img), orientation)), kept);
    }

    /**
     * What is known to be wrong with a file (its structure: {@link #structuralProblems}, and its
     * decoder's warnings), refused where it means missing or wrong pixels unless accepted; the
     * distinct warnings otherwise.
     */
    public static List<String> requireIntact(String source, boolean acceptDamaged, List<String> warnings) {
        Decoded d = new Decoded(null, warnings.stream().distinct().toList());
        if (d.damaged() && !acceptDamaged) {
            throw new XGradCamException(source + " is damaged or truncated (" + summary(d.warnings())
                    + "): the decoder filled what is missing with grey. Re-encode or replace it",
                    XGradCamException.Advice.DAMAGED_IMAGE);
        }
        return d.warnings();
    }

    /** A file's structural problems, decoder apart: PNG chunks and CRCs, GIF's trailer, JPEG's end. */
    public static List<String> structuralProblems(byte[] bytes) {
        return ImageIntegrity.problems(bytes);
    }

    private static String megapixels(long pixels) {
        return pixels % 1_000_000 == 0 ? Long.toString(pixels / 1_000_000) : String.format(java.util.Locale.ROOT, "%.1f", pixels / 1e6);
    }

    /** A decoder warning that means pixels are missing or wrong (not a note about metadata). */
    static boolean isDamage(String warning) {
        String w = warning.toLowerCase(java.util.Locale.ROOT);
        return w.contains("truncat") || w.contains("premature") || w.contains("corrupt") || w.contains("missing eoi")
                || w.contains("end of file") || w.contains("end of stream") || w.contains("huffman") || w.contains("bogus")
                || w.contains("damaged") || w.contains("out-of-sequence");
    }

    /** Any colour model (grey, palette, alpha over black, 16-bit, CMYK) to 8-bit RGB. */
    private static BufferedImage toRgb(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_INT_RGB || img.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            return img; // opaque 8-bit RGB already (RgbImage reads both directly)
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

    /** At most three distinct warnings, for a one-line message. */
    public static String summary(List<String> warnings) {
        List<String> d = warnings.stream().map(ImageLoader::firstLine).distinct().toList();
        return String.join("; ", d.subList(0, Math.min(3, d.size()))) + (d.size() > 3 ? "; ..." : "");
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
