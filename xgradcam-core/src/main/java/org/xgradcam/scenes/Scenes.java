package org.xgradcam.scenes;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.xgradcam.image.RgbImage;

/**
 * Procedural scenes of coloured shapes on textured backgrounds, with ground-truth boxes: the
 * training data of the embedded demo model and the test data of the localisation metrics.
 * Scene i of a seed is always the same picture.
 */
public final class Scenes {
    /** The shape classes, in the demo model's class order. */
    public static final List<String> CLASSES = List.of("circle", "square", "triangle", "star", "cross", "hexagon");

    /** One shape in a scene: its class and its box [x0, y0, x1, y1) in pixels. */
    public record Item(int classIndex, int x0, int y0, int x1, int y1) {
        public String className() {
            return CLASSES.get(classIndex);
        }

        public boolean contains(int x, int y) {
            return x >= x0 && x < x1 && y >= y0 && y < y1;
        }
    }

    public record Scene(RgbImage image, List<Item> items) {}

    private Scenes() {}

    /**
     * Scene number `index` of the stream `seed`: 1 or 2 shapes (2 with probability
     * pTwo, always of different classes), sizes 28-45% of the side, boxes not overlapping.
     */
    public static Scene generate(long seed, long index, int size, double pTwo) {
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + index);
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        List<Item> items = new ArrayList<>();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            background(g, rnd, size);
            int count = rnd.nextDouble() < pTwo ? 2 : 1;
            int first = rnd.nextInt(CLASSES.size());
            for (int k = 0; k < count; k++) {
                int cls = k == 0 ? first : (first + 1 + rnd.nextInt(CLASSES.size() - 1)) % CLASSES.size();
                for (int attempt = 0; attempt < 50; attempt++) {
                    int s = (int) (size * (0.28 + 0.17 * rnd.nextDouble()));
                    int x = rnd.nextInt(size - s);
                    int y = rnd.nextInt(size - s);
                    Item item = new Item(cls, x, y, x + s, y + s);
                    if (items.stream().noneMatch(o -> overlaps(o, item))) {
                        g.setColor(vivid(rnd));
                        Shape shape = shape(cls, x, y, s, rnd.nextDouble() * Math.PI * 2);
                        g.fill(shape);
                        g.setColor(g.getColor().darker());
                        g.setStroke(new BasicStroke(1.2f));
                        g.draw(shape);
                        Rectangle2D b = shape.getBounds2D();
                        items.add(new Item(cls, (int) Math.floor(b.getMinX()), (int) Math.floor(b.getMinY()),
                                (int) Math.ceil(b.getMaxX()), (int) Math.ceil(b.getMaxY())));
                        break;
                    }
                }
            }
        } finally {
            g.dispose();
        }
        return new Scene(RgbImage.of(img), List.copyOf(items));
    }

    private static boolean overlaps(Item a, Item b) {
        int m = 2;
        return a.x0() < b.x1() + m && b.x0() < a.x1() + m && a.y0() < b.y1() + m && b.y0() < a.y1() + m;
    }

    /** Saturated colours for shapes; backgrounds are duller, so a shape stands out. */
    private static Color vivid(SplittableRandom rnd) {
        return Color.getHSBColor((float) rnd.nextDouble(), 0.75f + 0.25f * (float) rnd.nextDouble(),
                0.75f + 0.25f * (float) rnd.nextDouble());
    }

    private static Color dull(SplittableRandom rnd) {
        return Color.getHSBColor((float) rnd.nextDouble(), 0.35f * (float) rnd.nextDouble(),
                0.25f + 0.5f * (float) rnd.nextDouble());
    }

    private static void background(Graphics2D g, SplittableRandom rnd, int size) {
        Color a = dull(rnd);
        Color b = dull(rnd);
        switch (rnd.nextInt(4)) {
            case 0 -> { // stripes
                g.setColor(a);
                g.fillRect(0, 0, size, size);
                g.setColor(b);
                int w = 3 + rnd.nextInt(8);
                AffineTransform saved = g.getTransform();
                g.rotate(rnd.nextDouble() * Math.PI, size / 2.0, size / 2.0);
                for (int x = -size; x < 2 * size; x += 2 * w) {
                    g.fillRect(x, -size, w, 3 * size);
                }
                g.setTransform(saved);
            }
            case 1 -> { // checks
                int w = 4 + rnd.nextInt(12);
                for (int y = 0; y < size; y += w) {
                    for (int x = 0; x < size; x += w) {
                        g.setColor(((x / w + y / w) & 1) == 0 ? a : b);
                        g.fillRect(x, y, w, w);
                    }
                }
            }
            case 2 -> { // gradient
                g.setPaint(new GradientPaint(0, 0, a, size, size * (float) rnd.nextDouble(), b));
                g.fillRect(0, 0, size, size);
            }
            default -> { // speckle
                g.setColor(a);
                g.fillRect(0, 0, size, size);
                for (int i = 0; i < size * size / 6; i++) {
                    g.setColor(rnd.nextBoolean() ? b : a.brighter());
                    g.fillRect(rnd.nextInt(size), rnd.nextInt(size), 1 + rnd.nextInt(2), 1 + rnd.nextInt(2));
                }
            }
        }
    }

    static Shape shape(int cls, double x, double y, double s, double angle) {
        double cx = x + s / 2;
        double cy = y + s / 2;
        double r = s / 2;
        Shape base = switch (CLASSES.get(cls)) {
            case "circle" -> new Ellipse2D.Double(x, y, s, s);
            case "square" -> polygon(cx, cy, r, 4, angle);
            case "triangle" -> polygon(cx, cy, r, 3, angle);
            case "hexagon" -> polygon(cx, cy, r, 6, angle);
            case "star" -> star(cx, cy, r, angle);
            case "cross" -> cross(cx, cy, r, angle);
            default -> throw new IllegalArgumentException(CLASSES.get(cls));
        };
        return base;
    }

    private static Shape polygon(double cx, double cy, double r, int n, double angle) {
        double[] radii = new double[n];
        double[] angles = new double[n];
        for (int i = 0; i < n; i++) {
            radii[i] = r;
            angles[i] = angle + 2 * Math.PI * i / n;
        }
        return closedPath(cx, cy, radii, angles);
    }

    private static Shape star(double cx, double cy, double r, double angle) {
        double[] radii = new double[10];
        double[] angles = new double[10];
        for (int i = 0; i < 10; i++) {
            radii[i] = (i & 1) == 0 ? r : r * 0.42;
            angles[i] = angle + Math.PI * i / 5;
        }
        return closedPath(cx, cy, radii, angles);
    }

    /** The closed outline through the points at the given radii and angles around (cx, cy). */
    private static Shape closedPath(double cx, double cy, double[] radii, double[] angles) {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(cx + radii[0] * Math.cos(angles[0]), cy + radii[0] * Math.sin(angles[0]));
        for (int i = 1; i < radii.length; i++) {
            p.lineTo(cx + radii[i] * Math.cos(angles[i]), cy + radii[i] * Math.sin(angles[i]));
        }
        p.closePath();
        return p;
    }

    private static Shape cross(double cx, double cy, double r, double angle) {
        double t = r * 0.36;
        Area a = new Area(new Rectangle2D.Double(cx - r, cy - t, 2 * r, 2 * t));
        a.add(new Area(new Rectangle2D.Double(cx - t, cy - r, 2 * t, 2 * r)));
        return AffineTransform.getRotateInstance(angle, cx, cy).createTransformedShape(a);
    }
}
