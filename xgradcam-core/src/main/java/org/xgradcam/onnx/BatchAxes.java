package org.xgradcam.onnx;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * Which axis of each tensor carries the batch of images, followed from the image input (axis 0)
 * through the graph: a Transpose moves it, a Squeeze or Unsqueeze shifts it, a Reshape keeps it
 * where the dims before it keep their product, broadcasting aligns it from the right. Shapes are
 * measured at batch 1, so a size of 1 alone cannot tell the batch apart; this can (after
 * {@code Transpose perm=[2,0,3,1,4]} the batch is axis 1, and axis 0 is an attention's q/k/v).
 * A tensor the analysis cannot follow is {@link #UNKNOWN}; one without a batch (a constant, or a
 * gather along it) is {@link #NONE}.
 */
public final class BatchAxes {
    public static final int UNKNOWN = -2;
    public static final int NONE = -1;

    private static final java.util.Set<String> BROADCASTING = java.util.Set.of("Add", "Sub", "Mul", "Div", "Pow", "Where",
            "Max", "Min", "Sum", "Mean", "PRelu", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or",
            "Xor", "BitShift", "Mod", "MatMul", "Expand");

    private final Graph graph;
    private final ModelShapes shapes;
    private final Map<String, Integer> axes = new HashMap<>();

    public BatchAxes(Graph graph, ModelShapes shapes) {
        this.graph = graph;
        this.shapes = shapes;
        axes.put(shapes.inputName(), 0);
        for (NodeProto n : graph.nodes()) {
            int from = -1;
            for (int i = 0; i < n.getInputCount() && from < 0; i++) {
                Integer a = axes.get(n.getInput(i));
                if (a != null && a >= 0) {
                    from = i;
                }
            }
            if (from < 0) {
                continue;
            }
            int out;
            try {
                out = follow(n, from, axes.get(n.getInput(from)));
            } catch (RuntimeException e) {
                out = UNKNOWN; // an attribute or shape this analysis does not know: say so
            }
            for (String o : n.getOutputList()) {
                if (!o.isEmpty()) {
                    axes.put(o, out);
                }
            }
        }
    }

    /** The batch axis of a tensor, {@link #NONE} or {@link #UNKNOWN}. */
    public int of(String tensor) {
        return axes.getOrDefault(tensor, UNKNOWN);
    }

    /**
     * Whether an axis of a tensor is its batch axis; where the analysis lost the batch, axis 0 of
     * size 1 is taken for it (the measured shapes are at batch 1), as before this analysis.
     */
    public boolean isBatch(String tensor, int axis) {
        int b = of(tensor);
        if (b == UNKNOWN) {
            Optional<TensorInfo> t = shapes.find(tensor);
            return axis == 0 && (t.isEmpty() || t.get().shape().length == 0 || t.get().shape()[0] == 1);
        }
        return b == axis;
    }

    private int rank(String tensor) {
        return shapes.find(tensor).map(t -> t.shape().length).orElseThrow();
    }

    private long[] shape(String tensor) {
        return shapes.find(tensor).map(TensorInfo::shape).orElseThrow();
    }

    private int follow(NodeProto n, int from, int b) {
        String in = n.getInput(from);
        String out0 = n.getOutput(0);
        int inRank = rank(in);
        int outRank = shapes.find(out0).map(t -> t.shape().length).orElse(-1);
        switch (n.getOpType()) {
            case "Transpose": {
                long[] perm = Attributes.getInts(n, "perm", null);
                if (perm == null || perm.length == 0) {
                    return inRank - 1 - b;
                }
                for (int j = 0; j < perm.length; j++) {
                    if (perm[j] == b) {
                        return j;
                    }
                }
                return UNKNOWN;
            }
            case "Reshape":
                return reshaped(shape(in), shape(out0), b);
            case "Flatten": {
                long axis = Attributes.getInt(n, "axis", 1);
                axis = axis < 0 ? axis + inRank : axis;
                return b < axis ? (b == 0 && axis >= 1 ? 0 : UNKNOWN) : UNKNOWN;
            }
            case "Squeeze": {
                long[] squeezed = axesOf(n, inRank);
                if (squeezed == null) {
                    return UNKNOWN;
                }
                int shift = 0;
                for (long a : squeezed) {
                    if (a == b) {
                        return NONE;
                    }
                    shift += a < b ? 1 : 0;
                }
                return b - shift;
            }
            case "Unsqueeze": {
                long[] added = axesOf(n, outRank);
                if (added == null) {
                    return UNKNOWN;
                }
                java.util.Arrays.sort(added);
                int pos = b;
                for (long a : added) {
                    if (a <= pos) {
                        pos++;
                    }
                }
                return pos;
            }
            case "Gather": {
                if (from != 0) {
                    return UNKNOWN;
                }
                long axis = Attributes.getInt(n, "axis", 0);
                axis = axis < 0 ? axis + inRank : axis;
                if (axis == b) {
                    return NONE;
                }
                return axis < b ? b + rank(n.getInput(1)) - 1 : b;
            }
            case "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                    "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin": {
                boolean keep = Attributes.getInt(n, "keepdims", 1) != 0;
                if (keep) {
                    return b;
                }
                long[] reduced = n.getOpType().startsWith("Arg") ? new long[] {Attributes.getInt(n, "axis", 0)}
                        : axesOf(n, inRank);
                if (reduced == null) {
                    return NONE; // all axes reduced
                }
                int shift = 0;
                for (long a : reduced) {
                    long r = a < 0 ? a + inRank : a;
                    if (r == b) {
                        return NONE;
                    }
                    shift += r < b ? 1 : 0;
                }
                return b - shift;
            }
            default:
                if (outRank == inRank) {
                    return b;
                }
                if (BROADCASTING.contains(n.getOpType()) && outRank > inRank) {
                    return b + outRank - inRank;
                }
                return UNKNOWN;
        }
    }

    /** The axes of a Squeeze, Unsqueeze or Reduce (attribute, or constant second input), non-negative. */
    private long[] axesOf(NodeProto n, int rank) {
        long[] a = Attributes.getInts(n, "axes", null);
        if ((a == null || a.length == 0) && n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
            a = graph.constantLongs(n.getInput(1)).orElse(null);
        }
        if (a == null || a.length == 0) {
            return null;
        }
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] < 0 ? a[i] + rank : a[i];
        }
        return r;
    }

    /**
     * A Reshape keeps the batch where the dims before it keep their product and it keeps its own
     * size: the first such axis of the output (dims of 1 around it are ambiguous; the first is taken).
     */
    static int reshaped(long[] in, long[] out, int b) {
        long before = 1;
        for (int i = 0; i < b; i++) {
            before *= in[i];
        }
        long p = 1;
        for (int j = 0; j < out.length; j++) {
            if (p == before && out[j] == in[b]) {
                return j;
            }
            p *= out[j];
            if (p > before) {
                break;
            }
        }
        return UNKNOWN;
    }

    /** For tests: the axes found, by tensor. */
    Map<String, Integer> all() {
        return java.util.Collections.unmodifiableMap(axes);
    }
}
