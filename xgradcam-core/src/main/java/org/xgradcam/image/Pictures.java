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

    /**
     * The picture as PNG bytes (8-bit RGB; for files, answers and rows that carry pictures).
     * Encoded here rather than by ImageIO, whose PNG writer took 10 ms for a 472x272 comparison
     * figure, as much CPU as decoding the photo: every row Sub-filtered, then Huffman-coded
     * without string matching, 4 ms for a file 7% larger on that figure (overlaid photos barely
     * gain from filters or matching; a flat picture still shrinks more than 6-fold, tested).
     */
    public static byte[] png(RgbImage img) {
        int w = img.width();
        int h = img.height();
        int stride = 3 * w;
        byte[] px = img.rgb();
        byte[] filtered = new byte[h * (stride + 1)];
        for (int y = 0; y < h; y++) {
            int row = y * stride;
            int o = y * (stride + 1);
            filtered[o] = 1; // Sub: each byte minus the same channel of the pixel to its left
            for (int i = 0; i < stride; i++) {
                filtered[o + 1 + i] = (byte) (px[row + i] - (i >= 3 ? px[row + i - 3] : 0));
            }
        }
        java.util.zip.Deflater deflater = new java.util.zip.Deflater(java.util.zip.Deflater.DEFAULT_COMPRESSION);
        ByteArrayOutputStream idat = new ByteArrayOutputStream(filtered.length / 2 + 64);
        try {
            deflater.setStrategy(java.util.zip.Deflater.HUFFMAN_ONLY);
            deflater.setInput(filtered);
            deflater.finish();
            byte[] buf = new byte[1 << 16];
            while (!deflater.finished()) {
                idat.write(buf, 0, deflater.deflate(buf));
            }
        } finally {
            deflater.end();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(idat.size() + 64);
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(t);
        out.writeBytes(data);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** Panels in rows of at most four, each under its title (method, class) and subtitle (score). */
    public static RgbImage figure(List<Panel> panels) {
        return figure(panels, 4, null);
    }

    /**
     * Panels in a grid of at most {@code columns} a row, each under its title and subtitle, small
     * pictures scaled up (nearest neighbour) to about 256 pixels; with a colour map, its bar under
     * the grid, from low to high.
     */
    public static RgbImage figure(List<Panel> panels, int columns, Colormap bar) {
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
        int cols = Math.max(1, Math.min(columns, panels.size()));
        int rows = (panels.size() + cols - 1) / cols;
        int barHeight = bar == null ? 0 : 40;
        BufferedImage out = new BufferedImage(cols * (cw + gap) + gap, rows * (ch + header + gap) + gap / 2 + barHeight,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, out.getWidth(), out.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            for (int i = 0; i < panels.size(); i++) {
                Panel p = panels.get(i);
                int x = gap + (i % cols) * (cw + gap);
                int y = (i / cols) * (ch + header + gap);
                g.drawImage(p.image().toBufferedImage(), x, y + header, cw, ch, null);
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                drawFitted(g, p.title(), x, y + 16, cw);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                drawFitted(g, p.subtitle(), x, y + 32, cw);
            }
            if (bar != null) {
                // the colour bar: what a colour means, from the map's lowest value to its highest
                int top = rows * (ch + header + gap) + gap / 2;
                int width = Math.min(out.getWidth() - 2 * gap, 512);
                int left = (out.getWidth() - width) / 2;
                for (int x = 0; x < width; x++) {
                    int[] c = bar.rgb(Math.min(255, x * 256 / width));
                    g.setColor(new Color(c[0], c[1], c[2]));
                    g.fillRect(left + x, top, 1, 12);
                }
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                g.drawString("low", left, top + 26);
                String high = "high";
                g.drawString(high, left + width - g.getFontMetrics().stringWidth(high), top + 26);
                String what = "map value (each map scaled to its own range)";
                g.drawString(what, left + (width - g.getFontMetrics().stringWidth(what)) / 2, top + 26);
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
