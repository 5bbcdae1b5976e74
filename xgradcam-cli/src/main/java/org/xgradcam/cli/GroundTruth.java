package org.xgradcam.cli;

import org.xgradcam.models.Labels;

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
import org.xgradcam.validation.InputFiles;
import org.xgradcam.validation.IoErrors;
import java.nio.charset.StandardCharsets;

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

    /** The largest boxes file (or VOC XML file) read. */
    static final long MAX_FILE_BYTES = 256L << 20;

    /** Coordinates beyond this are not pixels of any image xgradcam decodes. */
    static final double MAX_COORDINATE = 1_000_000;

    static GroundTruth load(Path path, Labels labels) {
        try {
            return Files.isDirectory(path) ? voc(path, labels) : csv(path, labels);
        } catch (IOException e) {
            throw new XGradCamException("cannot read boxes from " + path + ": " + IoErrors.describe(e), e);
        }
    }

    /** Text of a boxes file: UTF-8, a byte-order mark dropped. */
    private static String text(Path file) {
        String t = new String(InputFiles.read(file, "boxes file", MAX_FILE_BYTES), StandardCharsets.UTF_8);
        return t.startsWith("\uFEFF") ? t.substring(1) : t;
    }

    /** A box from four coordinate strings: finite, in range, x0 < x1 and y0 < y1. */
    private static Box box(int cls, String[] c, String where) {
        double[] v = new double[4];
        String[] names = {"x0", "y0", "x1", "y1"};
        for (int i = 0; i < 4; i++) {
            try {
                v[i] = Double.parseDouble(c[i].strip());
            } catch (NumberFormatException e) {
                throw new XGradCamException(where + ": box coordinate " + names[i] + " '" + c[i].strip() + "' is not a number");
            }
            if (!Double.isFinite(v[i]) || Math.abs(v[i]) > MAX_COORDINATE) {
                throw new XGradCamException(where + ": box coordinate " + names[i] + " is " + c[i].strip()
                        + "; give pixel coordinates (0 to " + (long) MAX_COORDINATE + ")");
            }
        }
        if (v[0] >= v[2] || v[1] >= v[3]) {
            throw new XGradCamException(where + ": the box (" + c[0].strip() + ", " + c[1].strip() + ", " + c[2].strip() + ", "
                    + c[3].strip() + ") is empty or reversed; give x0 < x1 and y0 < y1");
        }
        return new Box(cls, (int) Math.floor(v[0]), (int) Math.floor(v[1]), (int) Math.ceil(v[2]), (int) Math.ceil(v[3]));
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

    private static int classOf(String s, Labels labels, String source) {
        try {
            int c = Integer.parseInt(s.trim());
            if (c < 0 || (!labels.lines().isEmpty() && c >= labels.lines().size())) {
                throw new XGradCamException(source + ": class " + c + " is out of range"
                        + (labels.lines().isEmpty() ? "" : " (0.." + (labels.lines().size() - 1) + ")"));
            }
            return c;
        } catch (NumberFormatException e) {
            List<Integer> found = labels.indexesOf(s);
            if (found.size() == 1) {
                return found.get(0);
            }
            if (found.size() > 1) {
                throw new XGradCamException(source + ": '" + s.strip() + "' names " + found.size() + " classes " + found
                        + "; give the class index");
            }
            throw new XGradCamException(source + ": unknown class '" + s.strip() + "'; use a class index or a label of the model");
        }
    }

    private static GroundTruth csv(Path file, Labels labels) throws IOException {
        Map<String, List<Box>> out = new HashMap<>();
        List<String> lines = text(file).lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(",", -1);
            if (i == 0 && isHeader(f)) {
                continue; // "file,class,x0,y0,x1,y1", "image,label,xmin,...": names, not numbers
            }
            if (f.length != 6) {
                throw new XGradCamException(file + " line " + (i + 1) + ": expected file,class,x0,y0,x1,y1 (6 fields), got "
                        + f.length);
            }
            String where = file + " line " + (i + 1);
            Box b = box(classOf(f[1], labels, where), java.util.Arrays.copyOfRange(f, 2, 6), where);
            out.computeIfAbsent(f[0].trim(), k -> new ArrayList<>()).add(b);
        }
        return new GroundTruth(out);
    }

    /** A first line whose coordinate fields are not numbers: column names. */
    private static boolean isHeader(String[] f) {
        if (f.length != 6) {
            return false;
        }
        for (int i = 2; i < 6; i++) {
            try {
                Double.parseDouble(f[i].strip());
                return false;
            } catch (NumberFormatException e) {
                // a name
            }
        }
        return true;
    }

    /** How many boxes there are, over how many image names. */
    int boxCount() {
        return boxes.values().stream().mapToInt(List::size).sum();
    }

    /** One image name the boxes give, for a message. */
    String anyName() {
        return boxes.keySet().stream().sorted().findFirst().orElse("");
    }

    private static final Pattern OBJECT = Pattern.compile("<object>(.*?)</object>", Pattern.DOTALL);

    private static GroundTruth voc(Path dir, Labels labels) throws IOException {
        Map<String, List<Box>> out = new HashMap<>();
        try (var files = Files.list(dir)) {
            for (Path xml : files.filter(p -> p.toString().endsWith(".xml")).sorted().toList()) {
                String text = text(xml);
                String stem = xml.getFileName().toString().replaceAll("\\.xml$", "");
                Matcher m = OBJECT.matcher(text);
                while (m.find()) {
                    String o = m.group(1);
                    String[] c = {tag(o, "xmin", xml), tag(o, "ymin", xml), tag(o, "xmax", xml), tag(o, "ymax", xml)};
                    out.computeIfAbsent(stem, k -> new ArrayList<>()).add(box(classOf(tag(o, "name", xml), labels, xml.toString()), c,
                            xml.toString()));
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
