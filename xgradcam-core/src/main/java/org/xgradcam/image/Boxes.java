package org.xgradcam.image;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/** Labelled boxes drawn on an image: the detections of a picture at a glance. */
public final class Boxes {
    private Boxes() {}

    /** A box in image pixels [x0, y0, x1, y1] with the text written above it. */
    public record Box(float x0, float y0, float x1, float y1, String label) {}

    /**
     * What an instance detector adds to a box: its mask (image-sized, [H * W], values in [0, 1],
     * the object where above 0.5) and its keypoints ([K * 3]: x, y and a visibility or score);
     * either may be null.
     */
    public record Parts(float[] mask, float[] keypoints) {
        public static final Parts NONE = new Parts(null, null);
    }

    /**
     * The image with a detection's parts drawn: its mask tinted in the class's colour (40%) and
     * its keypoints as small white-ringed dots; the mask is at the image's size.
     */
    public static RgbImage parts(RgbImage image, Parts parts, int classIndex) {
        if (parts == null || (parts.mask() == null && parts.keypoints() == null)) {
            return image;
        }
        byte[] px = image.rgb().clone();
        int w = image.width();
        int h = image.height();
        Color c = PALETTE[Math.floorMod(classIndex, PALETTE.length)];
        int[] rgb = {c.getRed(), c.getGreen(), c.getBlue()};
        float[] m = parts.mask();
        if (m != null && m.length == w * h) {
            for (int i = 0; i < m.length; i++) {
                if (m[i] > 0.5f) {
                    for (int k = 0; k < 3; k++) {
                        int v = px[3 * i + k] & 0xff;
                        px[3 * i + k] = (byte) Math.round(0.6f * v + 0.4f * rgb[k]);
                    }
                }
            }
        }
        RgbImage tinted = new RgbImage(w, h, px);
        float[] kp = parts.keypoints();
        if (kp == null || kp.length < 3) {
            return tinted;
        }
        BufferedImage img = tinted.toBufferedImage();
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            int r = Math.max(2, Math.min(w, h) / 80);
            for (int i = 0; i + 2 < kp.length; i += 3) {
                int x = Math.round(kp[i]);
                int y = Math.round(kp[i + 1]);
                g.setColor(Color.WHITE);
                g.fillOval(x - r - 1, y - r - 1, 2 * r + 2, 2 * r + 2);
                g.setColor(c);
                g.fillOval(x - r, y - r, 2 * r, 2 * r);
            }
        } finally {
            g.dispose();
        }
        return RgbImage.of(img);
    }

    /** Distinct colours, one per class (by index), repeated past their number. */
    private static final Color[] PALETTE = {new Color(230, 25, 75), new Color(60, 180, 75), new Color(255, 225, 25),
        new Color(0, 130, 200), new Color(245, 130, 48), new Color(145, 30, 180), new Color(70, 240, 240),
        new Color(240, 50, 230), new Color(210, 245, 60), new Color(250, 190, 212)};

    /** Pictures smaller than this (shorter side) are drawn scaled up, so that labels can be read. */
    public static final int MIN_LABELLED_SIDE = 384;

    /**
     * The image with every box outlined in its class's colour and labelled; the first box is drawn
     * last, on top. A small image (the demos' 96 x 96) is first scaled up by a whole factor to at
     * least MIN_LABELLED_SIDE, so its labels are legible.
     */
    public static RgbImage draw(RgbImage image, List<Box> boxes, List<Integer> classes) {
        int small = Math.min(image.width(), image.height());
        int k = small >= MIN_LABELLED_SIDE ? 1 : (MIN_LABELLED_SIDE + small - 1) / small;
        if (k > 1) {
            image = image.resize(image.width() * k, image.height() * k, Preprocessing.Interpolation.PIL);
            List<Box> scaled = new java.util.ArrayList<>();
            for (Box b : boxes) {
                scaled.add(new Box(b.x0() * k, b.y0() * k, b.x1() * k, b.y1() * k, b.label()));
            }
            boxes = scaled;
        }
        BufferedImage img = image.toBufferedImage();
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            int side = Math.min(image.width(), image.height());
            float stroke = Math.max(1f, side / 200f);
            g.setStroke(new BasicStroke(stroke));
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(9, side / 30)));
            FontMetrics fm = g.getFontMetrics();
            for (int i = boxes.size() - 1; i >= 0; i--) {
                Box b = boxes.get(i);
                Color c = PALETTE[Math.floorMod(classes.get(i), PALETTE.length)];
                int x0 = Math.round(b.x0());
                int y0 = Math.round(b.y0());
                int w = Math.max(1, Math.round(b.x1()) - x0);
                int h = Math.max(1, Math.round(b.y1()) - y0);
                g.setColor(c);
                g.drawRect(x0, y0, w, h);
                int tw = fm.stringWidth(b.label()) + 4;
                int th = fm.getHeight();
                int ty = y0 - th >= 0 ? y0 - th : y0; // above the box, or inside it at the top edge
                int tx = Math.max(0, Math.min(image.width() - tw, x0));
                g.fillRect(tx, ty, tw, th);
                g.setColor(c.getRed() * 299 + c.getGreen() * 587 + c.getBlue() * 114 > 150_000 ? Color.BLACK : Color.WHITE);
                g.drawString(b.label(), tx + 2, ty + fm.getAscent());
            }
        } finally {
            g.dispose();
        }
        return RgbImage.of(img);
    }

    /** The image with one box outlined (2 px, white): the picture behind a detection's maps. */
    public static RgbImage outline(RgbImage img, float bx0, float by0, float bx1, float by1) {
        byte[] px = img.rgb().clone();
        int w = img.width();
        int h = img.height();
        int x0 = Math.max(0, Math.min(w - 1, Math.round(bx0)));
        int x1 = Math.max(0, Math.min(w - 1, Math.round(bx1)));
        int y0 = Math.max(0, Math.min(h - 1, Math.round(by0)));
        int y1 = Math.max(0, Math.min(h - 1, Math.round(by1)));
        for (int t = 0; t < 2; t++) {
            for (int x = x0; x <= x1; x++) {
                white(px, w, x, Math.min(h - 1, y0 + t));
                white(px, w, x, Math.max(0, y1 - t));
            }
            for (int y = y0; y <= y1; y++) {
                white(px, w, Math.min(w - 1, x0 + t), y);
                white(px, w, Math.max(0, x1 - t), y);
            }
        }
        return new RgbImage(w, h, px);
    }

    private static void white(byte[] px, int w, int x, int y) {
        int i = 3 * (y * w + x);
        px[i] = (byte) 255;
        px[i + 1] = (byte) 255;
        px[i + 2] = (byte) 255;
    }
}
