package org.xgradcam.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.Target;
import org.xgradcam.models.Labels;
import org.xgradcam.onnx.Graph;

/**
 * A sequence output [N, T, C]: every step t classified over C symbols by the same linear layer (a
 * text recogniser's CTC head, PaddleOCR's among them), told apart from a dense detection head of
 * the same rank by how the graph makes it ({@link org.xgradcam.onnx.SequenceOutputs}). Decoded
 * greedily as CTC does: each step's best class, repeats merged, the blank (class 0) dropped.
 */
public final class SequenceHead {
    private final int steps;
    private final int classes;
    private final Labels labels;

    SequenceHead(long[] shape, Labels labels) {
        this.steps = (int) shape[1];
        this.classes = (int) shape[2];
        this.labels = labels;
    }

    /** Whether a rank-3 score is a sequence of per-step classifications ({@link org.xgradcam.onnx.SequenceOutputs}). */
    public static boolean recognises(Graph graph, String score, long[] shape) {
        return org.xgradcam.onnx.SequenceOutputs.recognises(graph, score, shape);
    }

    /** One decoded symbol: its step, class, text and the step's score for it. */
    public record Symbol(int step, int classIndex, String text, double score) {}

    /** The greedy CTC decoding of one image's scores [T * C]: symbols in order (blank 0 dropped, repeats merged). */
    public List<Symbol> decode(float[] scores) {
        List<Symbol> out = new ArrayList<>();
        int previous = -1;
        for (int t = 0; t < steps; t++) {
            int best = best(scores, t);
            if (best != 0 && best != previous) {
                out.add(new Symbol(t, best, symbol(best), scores[t * classes + best]));
            }
            previous = best;
        }
        return out;
    }

    /** The class with the highest score at step t. */
    public int best(float[] scores, int t) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (scores[t * classes + c] > scores[t * classes + best]) {
                best = c;
            }
        }
        return best;
    }

    public int steps() {
        return steps;
    }

    public int classes() {
        return classes;
    }

    /**
     * A class's text. A labels file may list all C classes, or leave out the blank (C - 1 lines:
     * class i is line i - 1), or the blank and a final space (C - 2 lines: PaddleOCR's character
     * dictionaries with use_space_char).
     */
    public String symbol(int c) {
        int n = labels.lines().size();
        if (n == classes) {
            return labels.name(c);
        }
        if (n == classes - 1 || n == classes - 2) {
            return c == 0 ? "" : c - 1 < n ? labels.name(c - 1) : " ";
        }
        return "[" + c + "]";
    }

    /** A class by its number or its symbol (as {@link #symbol} writes it). */
    public int classOf(String target) {
        try {
            int c = Integer.parseInt(target.strip());
            if (c < 0 || c >= classes) {
                throw new XGradCamException("class " + c + " is out of range: the sequence scores " + classes + " classes (0.."
                        + (classes - 1) + ")");
            }
            return c;
        } catch (NumberFormatException e) {
            for (int c = 1; c < classes; c++) {
                if (symbol(c).equals(target)) {
                    return c;
                }
            }
            throw new XGradCamException("no class of the sequence is '" + target + "' (give its number, or a symbol of the"
                    + " labels file)");
        }
    }

    /** The decoded text. */
    public static String text(List<Symbol> symbols) {
        StringBuilder b = new StringBuilder();
        symbols.forEach(s -> b.append(s.text()));
        return b.toString();
    }

    /**
     * What to explain: the decoded sequence (the sum of the best score of every step whose best
     * class is not the blank; of every step where nothing was decoded), or one step's class.
     */
    public Target target(float[] scores, List<Symbol> decoded, Integer step, Integer classIndex) {
        float[] w = new float[steps * classes];
        if (step != null) {
            if (step < 0 || step >= steps) {
                throw new XGradCamException("step " + step + " is out of range: the model's sequence has " + steps
                        + " steps (0.." + (steps - 1) + ")");
            }
            int c = classIndex != null ? classIndex : best(scores, step);
            w[step * classes + c] = 1f;
            return Target.scoreWeights(w, c);
        }
        if (decoded.isEmpty()) {
            for (int t = 0; t < steps; t++) {
                w[t * classes + best(scores, t)] = 1f;
            }
            return Target.scoreWeights(w, 0);
        }
        for (int t = 0; t < steps; t++) {
            int b = best(scores, t);
            if (b != 0) {
                w[t * classes + b] = 1f; // every step that speaks for the text, repeats included
            }
        }
        return Target.scoreWeights(w, decoded.get(0).classIndex());
    }
}
