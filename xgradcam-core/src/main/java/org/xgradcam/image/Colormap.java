package org.xgradcam.image;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import org.xgradcam.XGradCamException;

/**
 * Colour maps identical to OpenCV's (the lookup tables of cv2.applyColorMap, see
 * tools/fixtures/opencv_colormaps.py): JET, which the original tool uses, and turbo, viridis,
 * inferno. A value v in [0, 1] is looked up at uint8(255 v), truncated as numpy does.
 */
public enum Colormap {
    JET, TURBO, VIRIDIS, INFERNO;

    private static final Map<Colormap, byte[]> TABLES = load();

    private static Map<Colormap, byte[]> load() {
        Map<Colormap, byte[]> t = new EnumMap<>(Colormap.class);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                Colormap.class.getResourceAsStream("colormaps.txt"), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] parts = line.split(" ");
                byte[] lut = new byte[256 * 3];
                for (int i = 0; i < 256; i++) {
                    String[] rgb = parts[i + 1].split(",");
                    for (int c = 0; c < 3; c++) {
                        lut[3 * i + c] = (byte) Integer.parseInt(rgb[c]);
                    }
                }
                t.put(valueOf(parts[0].toUpperCase()), lut);
            }
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("colour map tables missing from the jar", e);
        }
        return t;
    }

    public static Colormap parse(String s) {
        try {
            return valueOf(s.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new XGradCamException("unknown colour map '" + s + "'; use jet, turbo, viridis or inferno");
        }
    }

    /** The RGB colour of uint8 level 0..255. */
    public int[] rgb(int level) {
        byte[] lut = TABLES.get(this);
        return new int[] {lut[3 * level] & 0xff, lut[3 * level + 1] & 0xff, lut[3 * level + 2] & 0xff};
    }

    /** A map in [0, 1] as an RGB picture. */
    public RgbImage apply(float[] map, int width, int height) {
        byte[] lut = TABLES.get(this);
        byte[] out = new byte[width * height * 3];
        for (int i = 0; i < map.length; i++) {
            int level = (int) Math.max(0, Math.min(255, 255 * map[i])); // np.uint8(255 * mask) truncates
            System.arraycopy(lut, 3 * level, out, 3 * i, 3);
        }
        return new RgbImage(width, height, out);
    }
}
