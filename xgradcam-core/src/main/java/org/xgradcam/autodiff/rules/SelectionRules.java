package org.xgradcam.autodiff.rules;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.autodiff.GradientRegistry;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * Ops that pick elements by indices computed in the graph, as detectors select their boxes
 * (thresholds through NonZero, TopK, NMS): the indices are held constant, as autograd does, and
 * the gradient goes back to the picked positions by a scatter. Repeated indices must add up:
 * from opset 16 the scatter adds ({@code reduction="add"}); before, a plain scatter is used only
 * where the indices cannot repeat (they come from NonZero, TopK or NonMaxSuppression).
 */
public final class SelectionRules {
    private SelectionRules() {}

    public static void register(GradientRegistry r) {
        r.register("GatherND", SelectionRules::gatherNd);
        r.register("TopK", SelectionRules::topK);
        r.register("ScatterElements", SelectionRules::scatterElements);
    }

    /** The most entries of a one-hot matrix a Gather backward may build (16 MB of floats). */
    static final long MAX_ONE_HOT = 4_000_000L;

    /**
     * Adds {@code updates} into zeros shaped like {@code data} at {@code indices} along
     * {@code axis} (ScatterElements semantics: indices shaped like updates).
     */
    static String scatterAdd(NodeProto n, BackwardContext c, String data, String indices, String updates, long axis,
                             String indexSource) {
        Emitter e = c.emit();
        String zeros = e.zerosLike(data);
        if (e.opset() >= 16) {
            return e.op("ScatterElements", List.of(zeros, indices, updates), Attributes.ofInt("axis", axis),
                    Attributes.ofString("reduction", "add"));
        }
        requireUnique(n, c, indexSource);
        return e.op(e.opset() >= 11 ? "ScatterElements" : "Scatter", List.of(zeros, indices, updates),
                Attributes.ofInt("axis", axis));
    }

    private static void requireUnique(NodeProto n, BackwardContext c, String indices) {
        if (!uniqueByConstruction(c, indices)) {
            throw c.unsupported(n, "its indices are computed at run time and may repeat; adding the gradients of"
                    + " repeated indices needs a scatter with reduction (opset 16): re-export the model with opset >= 16");
        }
    }

    /**
     * Whether indices cannot repeat: they are (reshaped, cast, sliced or re-ordered by unique
     * indices) positions found by NonZero, TopK or NonMaxSuppression, constants without repeats,
     * or an If whose branches each give such indices (torchvision's batched NMS returns its
     * kept indices from one).
     */
    static boolean uniqueByConstruction(BackwardContext c, String indices) {
        return uniqueByConstruction(c, indices, 1);
    }

    /**
     * As above for index tuples of {@code width} values (GatherND's last axis): by where they come
     * from, or else by their values when those are known (a constant, or measured on the input
     * this backward is built for).
     */
    static boolean uniqueByConstruction(BackwardContext c, String indices, int width) {
        if (unique(indices, name -> c.graph().producer(name), c::constantLongs, new HashSet<>())) {
            return true;
        }
        Optional<long[]> v = c.constantLongs(indices);
        if (v.isEmpty() || width < 1 || v.get().length % width != 0) {
            return false;
        }
        Set<java.util.List<Long>> tuples = new HashSet<>();
        long[] a = v.get();
        for (int i = 0; i < a.length; i += width) {
            java.util.List<Long> t = new java.util.ArrayList<>();
            for (int j = 0; j < width; j++) {
                t.add(a[i + j]);
            }
            if (!tuples.add(t)) {
                return false;
            }
        }
        return true;
    }

    private static boolean unique(String t, java.util.function.Function<String, Optional<NodeProto>> producers,
                                  java.util.function.Function<String, Optional<long[]>> constants, Set<String> seen) {
        if (!seen.add(t)) {
            return true;
        }
        Optional<NodeProto> p = producers.apply(t);
        if (p.isEmpty() || p.get().getOpType().equals("Constant")) {
            Optional<long[]> constant = constants.apply(t);
            if (constant.isEmpty() && p.isPresent()) {
                // a Constant inside a branch, which the outer graph's lookup does not see
                constant = Attributes.find(p.get(), "value").filter(a -> a.hasT())
                        .map(a -> org.xgradcam.onnx.TensorProtos.toLongs(a.getT(), null));
            }
            return constant.isPresent() && java.util.Arrays.stream(constant.get()).distinct().count() == constant.get().length;
        }
        NodeProto node = p.get();
        switch (node.getOpType()) {
            case "NonZero", "NonMaxSuppression" -> {
                return true;
            }
            case "TopK" -> {
                return t.equals(node.getOutput(1));
            }
            case "Cast", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Transpose", "Slice", "Split" -> {
                return unique(node.getInput(0), producers, constants, seen);
            }
            // picking unique values by unique positions keeps them unique
            case "Gather", "GatherND" -> {
                return unique(node.getInput(0), producers, constants, seen) && unique(node.getInput(1), producers, constants, seen);
            }
            case "If" -> {
                int out = node.getOutputList().indexOf(t);
                for (var a : node.getAttributeList()) {
                    if (!a.hasG()) {
                        continue;
                    }
                    var branch = a.getG();
                    java.util.Map<String, NodeProto> local = new java.util.HashMap<>();
                    for (NodeProto n : branch.getNodeList()) {
                        n.getOutputList().forEach(o -> local.put(o, n));
                    }
                    java.util.function.Function<String, Optional<NodeProto>> inBranch =
                            name -> local.containsKey(name) ? Optional.of(local.get(name)) : producers.apply(name);
                    java.util.function.Function<String, Optional<long[]>> branchConstants =
                            name -> local.containsKey(name) ? Optional.empty() : constants.apply(name);
                    if (out < 0 || out >= branch.getOutputCount()
                            || !unique(branch.getOutput(out).getName(), inBranch, branchConstants, new HashSet<>())) {
                        return false;
                    }
                }
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /**
     * GatherND (batch_dims 0): output[i] = data[indices[i, 0], ..., indices[i, m-1], ...]; its
     * backward is ScatterND of the output gradient into zeros at the same index tuples.
     */
    private static void gatherNd(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        if (Attributes.getInt(n, "batch_dims", 0) != 0) {
            throw c.unsupported(n, "GatherND with batch_dims > 0 is not supported");
        }
        if (e.opset() < 11) {
            throw c.unsupported(n, "its backward needs ScatterND (opset 11); re-export with opset >= 11");
        }
        String zeros = e.zerosLike(n.getInput(0));
        String idx = n.getInput(1);
        if (e.opset() >= 16) {
            c.setInputGradient(0, e.op("ScatterND", List.of(zeros, idx, c.gradOut()), Attributes.ofString("reduction", "add")));
            return;
        }
        long[] idxShape = c.shape(idx);
        if (!uniqueByConstruction(c, idx, (int) idxShape[idxShape.length - 1])) {
            throw c.unsupported(n, "its index tuples are computed at run time and may repeat; adding the gradients of"
                    + " repeated tuples needs ScatterND with reduction (opset 16): re-export the model with opset >= 16");
        }
        c.setInputGradient(0, e.op("ScatterND", List.of(zeros, idx, c.gradOut())));
    }

    /**
     * ScatterElements (torchvision's multi-scale RoI pooling merges its levels so): the updates'
     * gradient is gathered back from where they went; the data's passes where nothing was
     * written over it (with reduction add: everywhere).
     */
    private static void scatterElements(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String reduction = Attributes.getString(n, "reduction", "none");
        if (!reduction.equals("none") && !reduction.equals("add")) {
            throw c.unsupported(n, "ScatterElements with reduction " + reduction + " has no gradient rule");
        }
        long axis = Attributes.getInt(n, "axis", 0);
        String g = c.gradOut();
        if (c.wantsGradient(0)) {
            if (reduction.equals("add")) {
                c.setInputGradient(0, g);
            } else {
                String ones = e.add(e.zerosLike(n.getInput(2)), e.scalar(1f));
                String written = e.op("ScatterElements", List.of(e.zerosLike(n.getInput(0)), n.getInput(1), ones),
                        Attributes.ofInt("axis", axis));
                c.setInputGradient(0, e.mul(g, e.sub(e.scalar(1f), written)));
            }
        }
        if (c.wantsGradient(2)) {
            c.setInputGradient(2, e.op("GatherElements", List.of(g, n.getInput(1)), Attributes.ofInt("axis", axis)));
        }
    }

    /** TopK: the values' gradient goes back to where they were taken (the indices never repeat within a slice). */
    private static void topK(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        if (c.outputGradient(0).isEmpty()) {
            return;
        }
        int rank = c.shape(n.getInput(0)).length;
        long axis = Attributes.getInt(n, "axis", -1);
        axis = axis < 0 ? axis + rank : axis;
        String indices = c.requireForwardOutput(n, 1);
        String zeros = e.zerosLike(n.getInput(0));
        c.setInputGradient(0, e.op(e.opset() >= 11 ? "ScatterElements" : "Scatter", List.of(zeros, indices, c.gradOut()),
                Attributes.ofInt("axis", axis)));
    }
}
