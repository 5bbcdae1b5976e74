package org.xgradcam.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xgradcam.XGradCamException;
import org.xgradcam.metrics.Box;

/**
 * Ground-truth boxes per image file name: a CSV "file,class,x0,y0,x1,y1" (class as index or
 * label) or a folder of Pascal VOC XML files (object/name, bndbox xmin/ymin/xmax/ymax), in the
 * image's own pixel coordinates.
 */
final class GroundTruth {
    private final Map<String, List<Box>> boxes;

    private GroundTruth(Map<String, List<Box>> boxes) {
        this.boxes = boxes;
    }

    static GroundTruth none() {
        return new GroundTruth(Map.of());
    }

    static GroundTruth load(Path path, Labels labels) {
        try {
            return Files.isDirectory(path) ? voc(path, labels) : csv(path, labels);
        } catch (IOException e) {
            throw new XGradCamException("cannot read boxes from " + path + ": " + e.getMessage(), e);
        }
    }

    List<Box> of(Path image) {
        String name = image.getFileName().toString();
        List<Box> b = boxes.get(name);
        if (b == null) {
            int dot = name.lastIndexOf('.');
            b = boxes.get(dot > 0 ? name.substring(0, dot) : name);
        }
        return b == null ? List.of() : b;
    }

    boolean isEmpty() {
        return boxes.isEmpty();
    }

    private static int classOf(String s, Labels labels, Path source) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            for (int i = 0; i < labels.lines().size(); i++) {
                if (labels.name(i).equalsIgnoreCase(s.trim()) || labels.line(i).equalsIgnoreCase(s.trim())) {
                    return i;
                }
            }
            throw new XGradCamException("unknown class '" + s + "' in " + source + "; use a class index or a label of the model");
        }
    }

    private static GroundTruth csv(Path file, Labels labels) throws IOException {
        Map<String, List<Box>> out = new HashMap<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty() || (i == 0 && line.startsWith("file"))) {
                continue;
            }
            String[] f = line.split(",");
            if (f.length != 6) {
                throw new XGradCamException(file + " line " + (i + 1) + ": expected file,class,x0,y0,x1,y1");
            }
            try {
                out.computeIfAbsent(f[0].trim(), k -> new ArrayList<>()).add(new Box(classOf(f[1], labels, file),
                        Integer.parseInt(f[2].trim()), Integer.parseInt(f[3].trim()), Integer.parseInt(f[4].trim()),
                        Integer.parseInt(f[5].trim())));
            } catch (NumberFormatException e) {
                throw new XGradCamException(file + " line " + (i + 1) + ": box coordinates must be integers");
            }
        }
        return new GroundTruth(out);
    }

    private static final Pattern OBJECT = Pattern.compile("<object>(.*?)</object>", Pattern.DOTALL);

    private static GroundTruth voc(Path dir, Labels labels) throws IOException {
        Map<String, List<Box>> out = new HashMap<>();
        try (var files = Files.list(dir)) {
            for (Path xml : files.filter(p -> p.toString().endsWith(".xml")).toList()) {
                String text = Files.readString(xml);
                String stem = xml.getFileName().toString().replaceAll("\\.xml$", "");
                Matcher m = OBJECT.matcher(text);
                while (m.find()) {
                    String o = m.group(1);
                    out.computeIfAbsent(stem, k -> new ArrayList<>()).add(new Box(classOf(tag(o, "name", xml), labels, xml),
                            (int) Double.parseDouble(tag(o, "xmin", xml)), (int) Double.parseDouble(tag(o, "ymin", xml)),
                            (int) Double.parseDouble(tag(o, "xmax", xml)), (int) Double.parseDouble(tag(o, "ymax", xml))));
                }
            }
        }
        return new GroundTruth(out);
    }

    private static String tag(String xml, String name, Path source) {
        Matcher m = Pattern.compile("<" + name + ">\\s*(.*?)\\s*</" + name + ">", Pattern.DOTALL).matcher(xml);
        if (!m.find()) {
            throw new XGradCamException(source + ": an object has no <" + name + ">");
        }
        return m.group(1);
    }
}
