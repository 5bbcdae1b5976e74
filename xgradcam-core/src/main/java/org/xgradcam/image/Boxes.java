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
