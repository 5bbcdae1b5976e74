package org.xgradcam.models;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xgradcam.image.Preprocessing;

/** The pretrained models xgradcam knows by name: where to get them and how to feed them. */
public final class Catalogue {
    /** One downloadable model. */
    public record Entry(String name, String file, String url, long bytes, String sha256, Preprocessing preprocessing,
                        String labels, String notes) {}

    private static final List<Entry> ENTRIES = load();

    private Catalogue() {}

    public static List<Entry> entries() {
        return ENTRIES;
    }

    public static Optional<Entry> find(String name) {
        return ENTRIES.stream().filter(e -> e.name().equalsIgnoreCase(name)).findFirst();
    }

    private static List<Entry> load() {
        List<Entry> out = new ArrayList<>();
        try (InputStream in = Catalogue.class.getResourceAsStream("catalogue.tsv")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t");
                int size = Integer.parseInt(f[5]);
                // interpolation: pil (torchvision's transform) unless the zoo's own sample code uses cv2
                Preprocessing p = Preprocessing.imagenet(size)
                        .withResize(f[6].equals("crop") ? Preprocessing.ResizeMode.CENTER_CROP : Preprocessing.ResizeMode.DIRECT)
                        .withInterpolation(Preprocessing.Interpolation.parse(f[7]))
                        .withScale(Preprocessing.Scale.parse(f[8]))
                        .withMeanStd(floats(f[9]), floats(f[10]))
                        .withNhwc(f[11].equals("nhwc"));
                out.add(new Entry(f[0], f[1], f[2], Long.parseLong(f[3]), f[4], p, f[12], f[13]));
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("model catalogue missing or malformed in the jar", e);
        }
        return List.copyOf(out);
    }

    public static float[] floats(String csv) {
        String[] p = csv.split(",");
        float[] v = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            v[i] = Float.parseFloat(p[i].trim());
        }
        return v;
    }
}
