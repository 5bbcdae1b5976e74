package org.xgradcam.video;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import org.w3c.dom.Node;
import org.xgradcam.XGradCamException;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.RgbImage;
import org.xgradcam.validation.Memory;

/**
 * The frames of a clip: every frame of an animated GIF as it is shown (each drawn at its offset
 * over what its predecessor's disposal left), or the one image of any other file; which frames a
 * model of T frames takes; a strip of frames cut apart again.
 */
public final class Frames {
    /** The most frames decoded from one file. */
    public static final int MAX_FRAMES = 4096;

    private Frames() {}

    /**
     * The frames of an image file as shown: all of an animated GIF's, the single image of
     * anything else. Damage is refused as for still images; the whole animation's pixels count
     * towards {@code maxPixels}.
     */
    public static List<RgbImage> decode(byte[] bytes, String source, long maxPixels) {
        return decode(bytes, source, false, maxPixels).frames();
    }

    /** The frames of a file and what its decoding warned of (a damaged file refused unless accepted). */
    public record Decoded(List<RgbImage> frames, List<String> warnings) {
        /** Whether a warning means missing or wrong pixels (as for a still image). */
        public boolean damaged() {
            return new ImageLoader.Decoded(null, warnings).damaged();
        }
    }

    /** As {@link #decode(byte[], String, long)}; {@code acceptDamaged} keeps a damaged file's frames, with its warnings. */
    public static Decoded decode(byte[] bytes, String source, boolean acceptDamaged, long maxPixels) {
        if (!isGif(bytes)) {
            ImageLoader.Decoded d = ImageLoader.decode(bytes, source, acceptDamaged, maxPixels);
            return new Decoded(List.of(d.image()), d.warnings());
        }
        List<String> warnings = new ArrayList<>(ImageLoader.structuralProblems(bytes));
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new XGradCamException(source + " is not a GIF xgradcam can read");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, false, false);
                reader.addIIOReadWarningListener((r, message) -> warnings.add(message));
                int[] screen = screenSize(reader);
                int count = reader.getNumImages(true);
                if (count <= 0) {
                    throw new XGradCamException(source + " holds no frames");
                }
                if (count > MAX_FRAMES) {
                    throw new XGradCamException(source + " has " + count + " frames, more than the " + MAX_FRAMES
                            + " xgradcam reads from one file; shorten the clip");
                }
                long pixels = (long) screen[0] * screen[1] * count;
                if (pixels > Math.min(maxPixels, ImageLoader.MAX_PIXELS)) {
                    throw new ImageLoader.TooLarge(source + " holds " + count + " frames of " + screen[0] + "x" + screen[1]
                            + " pixels, more than xgradcam decodes here; shorten or downscale the clip");
                }
                Memory.require(pixels * 4, "decoding the " + count + " frames of " + source);
                BufferedImage canvas = new BufferedImage(screen[0], screen[1], BufferedImage.TYPE_INT_ARGB);
                List<RgbImage> frames = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    BufferedImage frame = reader.read(i);
                    Node tree = tree(reader.getImageMetadata(i));
                    Node gce = child(tree, "GraphicControlExtension");
                    Node desc = child(tree, "ImageDescriptor");
                    int x = intAttr(desc, "imageLeftPosition", 0);
                    int y = intAttr(desc, "imageTopPosition", 0);
                    String disposal = gce == null ? "none" : attr(gce, "disposalMethod", "none");
                    BufferedImage before = disposal.equals("restoreToPrevious") ? copy(canvas) : null;
                    Graphics2D g = canvas.createGraphics();
                    try {
                        g.drawImage(frame, x, y, null);
                    } finally {
                        g.dispose();
                    }
                    frames.add(RgbImage.of(opaque(canvas)));
                    if (disposal.equals("restoreToBackgroundColor")) {
                        Graphics2D c = canvas.createGraphics();
                        try {
                            c.setComposite(java.awt.AlphaComposite.Clear);
                            c.fillRect(x, y, frame.getWidth(), frame.getHeight());
                        } finally {
                            c.dispose();
                        }
                    } else if (before != null) {
                        canvas = before;
                    }
                }
                return new Decoded(frames, ImageLoader.requireIntact(source, acceptDamaged, warnings));
            } finally {
                reader.dispose();
            }
        } catch (XGradCamException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new XGradCamException(source + " is a damaged or truncated GIF ("
                    + (warnings.isEmpty() ? "" : ImageLoader.summary(warnings) + "; ") + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")) + "); re-encode or replace it", e);
        }
    }

    /** Whether the bytes are a GIF (by its signature). */
    public static boolean isGif(byte[] b) {
        return b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8';
    }

    /** The logical screen of the GIF, or its first frame's size where the stream names none. */
    private static int[] screenSize(ImageReader reader) throws IOException {
        IIOMetadata stream = reader.getStreamMetadata();
        Node d = child(tree(stream), "LogicalScreenDescriptor");
        int w = intAttr(d, "logicalScreenWidth", 0);
        int h = intAttr(d, "logicalScreenHeight", 0);
        if (w <= 0 || h <= 0) {
            w = reader.getWidth(0);
            h = reader.getHeight(0);
        }
        return new int[] {w, h};
    }

    /** The metadata's native tree (built once a frame), or null where there is none. */
    private static Node tree(IIOMetadata m) {
        return m == null ? null : m.getAsTree(m.getNativeMetadataFormatName());
    }

    private static Node child(Node root, String name) {
        if (root == null) {
            return null;
        }
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeName().equals(name)) {
                return n;
            }
        }
        return null;
    }

    private static String attr(Node n, String name, String fallback) {
        Node a = n == null || n.getAttributes() == null ? null : n.getAttributes().getNamedItem(name);
        return a == null ? fallback : a.getNodeValue();
    }

    private static int intAttr(Node n, String name, int fallback) {
        try {
            return Integer.parseInt(attr(n, name, String.valueOf(fallback)));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static BufferedImage copy(BufferedImage img) {
        BufferedImage c = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_ARGB);
        c.setData(img.getData());
        return c;
    }

    /** Transparent pixels over black, as a still GIF is decoded. */
    private static BufferedImage opaque(BufferedImage argb) {
        BufferedImage rgb = new BufferedImage(argb.getWidth(), argb.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.drawImage(argb, 0, 0, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }

    /**
     * Which of a clip's n frames a model of t frames takes: all, in order, when n == t; else t
     * evenly spaced over the whole clip (frame floor((i + 0.5) n / t)), repeating frames when the
     * clip is shorter.
     */
    public static int[] sample(int n, int t) {
        if (n <= 0) {
            throw new XGradCamException("a clip needs at least one frame");
        }
        int[] idx = new int[t];
        for (int i = 0; i < t; i++) {
            idx[i] = n == t ? i : (int) Math.min(n - 1, Math.floor((i + 0.5) * n / t));
        }
        return idx;
    }

    /** A strip of frames stacked top to bottom (T * H high) cut into its T frames. */
    public static List<RgbImage> split(RgbImage strip, int frames) {
        if (frames <= 0 || strip.height() % frames != 0) {
            throw new IllegalArgumentException(strip.height() + " rows do not split into " + frames + " frames");
        }
        int h = strip.height() / frames;
        List<RgbImage> out = new ArrayList<>(frames);
        for (int t = 0; t < frames; t++) {
            out.add(strip.crop(0, t * h, strip.width(), h));
        }
        return out;
    }

    /**
     * A strip of frames as a contact sheet: the frames in reading order, {@code columns} a row
     * (the last row's empty cells black), for pictures people look at.
     */
    public static RgbImage sheet(RgbImage strip, int frames, int columns) {
        List<RgbImage> each = split(strip, frames);
        int cols = Math.max(1, Math.min(columns, frames));
        int rows = (frames + cols - 1) / cols;
        int w = strip.width();
        int h = strip.height() / frames;
        byte[] rgb = new byte[cols * w * rows * h * 3];
        for (int t = 0; t < frames; t++) {
            int x0 = (t % cols) * w;
            int y0 = (t / cols) * h;
            byte[] f = each.get(t).rgb();
            for (int y = 0; y < h; y++) {
                System.arraycopy(f, y * w * 3, rgb, ((y0 + y) * cols * w + x0) * 3, w * 3);
            }
        }
        return new RgbImage(cols * w, rows * h, rgb);
    }

    /** Frames of one size stacked top to bottom. */
    public static RgbImage stack(List<RgbImage> frames) {
        int w = frames.get(0).width();
        int h = frames.get(0).height();
        byte[] rgb = new byte[w * h * 3 * frames.size()];
        for (int t = 0; t < frames.size(); t++) {
            RgbImage f = frames.get(t);
            if (f.width() != w || f.height() != h) {
                throw new IllegalArgumentException("frames of different sizes");
            }
            System.arraycopy(f.rgb(), 0, rgb, t * w * h * 3, w * h * 3);
        }
        return new RgbImage(w, h * frames.size(), rgb);
    }
}
