package org.xgradcam.pipeline;

import java.util.List;
import org.xgradcam.XGradCamException;
import org.xgradcam.models.Labels;

/**
 * What a target names: a class index, or a class name or WordNet id from the model's labels; one
 * rule for every front end (the command line's --target-index, the API's target, Spark's).
 */
public final class ClassChoice {
    private ClassChoice() {}

    /**
     * The class index {@code given} denotes.
     *
     * @param classes how many classes the model scores, or -1 when unknown
     * @param scores what the model scores, for messages ("classes", "classes per pixel")
     */
    public static int resolve(String given, Labels labels, int classes, String scores) {
        String g = given.strip();
        if (g.matches("[+-]?\\d+")) {
            String range = classes > 0 ? ": the model scores " + classes + " " + scores + " (0.." + (classes - 1) + ")" : "";
            long c;
            try {
                c = Long.parseLong(g);
            } catch (NumberFormatException e) {
                c = Long.MAX_VALUE; // more digits than a long holds
            }
            if (c < 0 || (classes > 0 && c >= classes) || c > Integer.MAX_VALUE) {
                throw new XGradCamException("class index " + g + " is out of range" + (range.isEmpty() ? " (0 or more)" : range));
            }
            return (int) c;
        }
        if (labels.lines().isEmpty()) {
            throw new XGradCamException("target '" + g + "' is not a class index, and the model's classes have no names;"
                    + " give an index" + (classes > 0 ? " (0.." + (classes - 1) + ")" : "") + ", or give the model labels",
                    XGradCamException.Advice.LABELS);
        }
        List<Integer> found = labels.indexesOf(g);
        if (found.size() == 1) {
            return found.get(0);
        }
        if (found.size() > 1) {
            StringBuilder b = new StringBuilder();
            found.forEach(i -> b.append(b.length() == 0 ? "" : ", ").append(i).append(" (").append(labels.line(i)).append(')'));
            throw new XGradCamException("target '" + g + "' names " + found.size() + " classes: " + b + "; give the index");
        }
        List<String> near = labels.containing(g, 5);
        // no class contains the whole text ("tabby cat"): those containing its longest word ("tabby")
        List<String> words = java.util.Arrays.stream(g.split("[\\s_-]+")).filter(w -> w.length() >= 3)
                .sorted(java.util.Comparator.comparingInt(String::length).reversed()).toList();
        for (int i = 0; near.isEmpty() && i < words.size(); i++) {
            near = labels.containing(words.get(i), 5);
        }
        throw new XGradCamException("target '" + g + "' is neither a class index nor a class name of the model"
                + (near.isEmpty() ? "" : "; classes like it: " + String.join(", ", near))
                + (near.isEmpty() && classes > 0 ? "; give an index (0.." + (classes - 1) + ") or one of its class names" : ""));
    }
}
