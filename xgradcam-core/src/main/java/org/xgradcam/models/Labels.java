package org.xgradcam.models;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.xgradcam.XGradCamException;

/** Class names, one per line in class-index order (ImageNet lines read "n02087394 Rhodesian ridgeback"). */
public record Labels(List<String> lines) {
    /**
     * Labels shipped with xgradcam: "imagenet" (1000 classes, "n02087394 Rhodesian ridgeback"
     * lines) or "coco" (the 80 COCO detection categories, "person" first).
     */
    public static Labels resource(String name) {
        return of(Labels.class.getResourceAsStream("labels/" + name + ".txt"), name);
    }

    /** One label per line (blank lines skipped), from a stream that is closed here. */
    public static Labels of(InputStream stream, String source) {
        try (InputStream in = stream) {
            if (in == null) {
                throw new IllegalStateException("label file " + source + " missing from the jar");
            }
            return new Labels(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A labels file: one class name per line, in class-index order; a file without names is refused. */
    public static Labels file(Path p) {
        byte[] b = org.xgradcam.validation.InputFiles.read(p, "labels file", 64L << 20);
        String text = new String(b, StandardCharsets.UTF_8);
        // only empty lines are dropped: a symbol dictionary's space (U+3000 in PaddleOCR's) is a class
        Labels l = new Labels((text.startsWith("\uFEFF") ? text.substring(1) : text).lines().filter(x -> !x.isEmpty()).toList());
        if (l.lines().stream().allMatch(String::isBlank)) {
            throw new XGradCamException("labels file " + p + " has no class names; give one name per line, in class-index order");
        }
        return l;
    }

    /** The metadata keys class names are exported under (Ultralytics writes "names"). */
    private static final List<String> METADATA_KEYS = List.of("names", "labels", "classes", "class_names");

    /**
     * Class names the model carries in its metadata: a dictionary of index to name as Ultralytics
     * writes it ({@code {0: 'person', 1: 'bicycle'}}, or JSON), a list ({@code ['cat', 'dog']}),
     * or names one per line or comma-separated; empty when it carries none.
     */
    public static java.util.Optional<Labels> fromMetadata(org.xgradcam.onnx.proto.OnnxProto.ModelProto m) {
        for (var e : m.getMetadataPropsList()) {
            if (!METADATA_KEYS.contains(e.getKey().toLowerCase(java.util.Locale.ROOT)) || e.getValue().isBlank()) {
                continue;
            }
            String v = e.getValue().strip();
            List<String> names = new java.util.ArrayList<>();
            if (v.startsWith("{")) {
                java.util.TreeMap<Integer, String> byIndex = new java.util.TreeMap<>();
                var mt = java.util.regex.Pattern.compile("['\"]?(\\d+)['\"]?\\s*:\\s*(['\"])(.*?)\\2").matcher(v);
                while (mt.find()) {
                    byIndex.put(Integer.parseInt(mt.group(1)), mt.group(3));
                }
                if (byIndex.isEmpty() || byIndex.firstKey() != 0 || byIndex.lastKey() != byIndex.size() - 1) {
                    continue; // not the dense 0..K-1 numbering names need
                }
                names.addAll(byIndex.values());
            } else if (v.startsWith("[")) {
                var mt = java.util.regex.Pattern.compile("(['\"])(.*?)\\1").matcher(v);
                while (mt.find()) {
                    names.add(mt.group(2));
                }
            } else {
                for (String n : v.split(v.contains("\n") ? "\\R" : ",")) {
                    if (!n.isBlank()) {
                        names.add(n.strip());
                    }
                }
            }
            if (!names.isEmpty()) {
                return java.util.Optional.of(new Labels(names));
            }
        }
        return java.util.Optional.empty();
    }

    /** Numbers only, for models without labels. */
    public static Labels none() {
        return new Labels(List.of());
    }

    /** The whole line ("n02087394 Rhodesian ridgeback"), or "class 159". */
    public String line(int i) {
        return i >= 0 && i < lines.size() ? lines.get(i) : "class " + i;
    }

    /**
     * The classes a name denotes: those whose name, whole line or WordNet id equals it, ignoring
     * case and surrounding blanks (a labels file may repeat a name, so a name may denote several).
     */
    public List<Integer> indexesOf(String name) {
        String n = name.strip();
        String wordNetPrefix = n.matches("n\\d{8}") ? n + " " : null;
        return java.util.stream.IntStream.range(0, lines.size())
                .filter(i -> name(i).equalsIgnoreCase(n) || line(i).equalsIgnoreCase(n)
                        || (wordNetPrefix != null && line(i).startsWith(wordNetPrefix)))
                .boxed().toList();
    }

    /** Up to {@code limit} class lines that contain a text, ignoring case: suggestions for a name that matched none. */
    public List<String> containing(String text, int limit) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        return t.isEmpty() ? List.of() : java.util.stream.IntStream.range(0, lines.size())
                .filter(i -> line(i).toLowerCase(java.util.Locale.ROOT).contains(t)).limit(limit)
                .mapToObj(i -> i + " " + name(i)).toList();
    }

    /** The class's WordNet id ("n02087394") where its line starts with one, else null. */
    public String wordNetId(int i) {
        String l = line(i);
        return l.matches("n\\d{8} .*") ? l.substring(0, 9) : null;
    }

    /** The name without a leading WordNet id ("Rhodesian ridgeback"). */
    public String name(int i) {
        String l = line(i);
        return l.matches("n\\d{8} .*") ? l.substring(10) : l;
    }
}
