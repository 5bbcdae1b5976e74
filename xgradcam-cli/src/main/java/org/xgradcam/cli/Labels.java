package org.xgradcam.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.xgradcam.XGradCamException;

/** Class names, one per line in class-index order (ImageNet lines read "n02087394 Rhodesian ridgeback"). */
public record Labels(List<String> lines) {
    public static Labels resource(String name) {
        try (InputStream in = Labels.class.getResourceAsStream("labels/" + name + ".txt")) {
            if (in == null) {
                throw new IllegalStateException("label file " + name + " missing from the jar");
            }
            return new Labels(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Labels file(Path p) {
        try {
            return new Labels(Files.readAllLines(p).stream().filter(l -> !l.isBlank()).toList());
        } catch (IOException e) {
            throw new XGradCamException("cannot read labels " + p + ": " + e.getMessage(), e);
        }
    }

    /** Numbers only, for models without labels. */
    public static Labels none() {
        return new Labels(List.of());
    }

    /** The whole line ("n02087394 Rhodesian ridgeback"), or "class 159". */
    public String line(int i) {
        return i >= 0 && i < lines.size() ? lines.get(i) : "class " + i;
    }

    /** The name without a leading WordNet id ("Rhodesian ridgeback"). */
    public String name(int i) {
        String l = line(i);
        return l.matches("n\\d{8} .*") ? l.substring(10) : l;
    }
}
