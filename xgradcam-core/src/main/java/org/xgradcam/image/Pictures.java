package org.xgradcam.image;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import org.xgradcam.XGradCamException;
import org.xgradcam.io.AtomicFiles;

/** Writing pictures (PNG or JPEG by extension, atomically) and the side-by-side comparison figure. */
public final class Pictures {
    static {
        // encode in memory only: a full temp folder must not break writing a picture
        ImageIO.setUseCache(false);
    }

    private Pictures() {}

    /** A titled panel of the comparison figure. */
    public record Panel(RgbImage image, String title, String subtitle) {}

    public static void save(RgbImage img, Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean jpeg = name.endsWith(".jpg") || name.endsWith(".jpeg");
        if (!jpeg && !name.endsWith(".png")) {
            throw new XGradCamException("cannot write " + file + ": use a .png, .jpg or .jpeg file name");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (jpeg) {
                ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
                ImageWriteParam p = w.getDefaultWriteParam();
                p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                p.setCompressionQuality(0.95f); // OpenCV's imwrite default quality
                try (var ios = ImageIO.createImageOutputStream(out)) {
                    w.setOutput(ios);
                    w.write(null, new IIOImage(img.toBufferedImage(), null, null), p);
                } finally {
                    w.dispose();
                }
            } else {
                out.write(png(img));
            }
        } catch (IOException e) {
            throw new XGradCamException("cannot encode " + file + ": " + e.getMessage(), e);
        }
        AtomicFiles.write(file, out.toByteArray());
    }

    /** The picture as PNG bytes (for answers and rows that carry pictures instead of files). */
    public static byte[] png(RgbImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img.toBufferedImage(), "png", out);
        } catch (IOException e) {
            throw new XGradCamException("cannot encode a PNG: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Panels in a row, each under its title (method, class) and subtitle (score). */
    public static RgbImage figure(List<Panel> panels) {
        int cell = 0;
        int h = 0;
        for (Panel p : panels) {
            cell = Math.max(cell, p.image().width());
            h = Math.max(h, p.image().height());
        }
        int scale = Math.max(1, 256 / Math.max(1, Math.max(cell, h)));
        int cw = cell * scale;
        int ch = h * scale;
        int gap = 8;
        int header = 40;
        BufferedImage out = new BufferedImage(panels.size() * (cw + gap) + gap, ch + header + gap, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, out.getWidth(), out.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            for (int i = 0; i < panels.size(); i++) {
                Panel p = panels.get(i);
                int x = gap + i * (cw + gap);
                g.drawImage(p.image().toBufferedImage(), x, header, cw, ch, null);
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                drawFitted(g, p.title(), x, 16, cw);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                drawFitted(g, p.subtitle(), x, 32, cw);
            }
        } finally {
            g.dispose();
        }
        return RgbImage.of(out);
    }

    private static void drawFitted(Graphics2D g, String text, int x, int y, int width) {
        if (text == null || text.isEmpty()) {
            return;
        }
        FontMetrics fm = g.getFontMetrics();
        String t = text;
        while (t.length() > 1 && fm.stringWidth(t) > width) {
            t = t.substring(0, t.length() - 2) + "…";
        }
        g.drawString(t, x + Math.max(0, (width - fm.stringWidth(t)) / 2), y);
    }
}
