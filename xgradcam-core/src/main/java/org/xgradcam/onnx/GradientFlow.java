package org.xgradcam.onnx;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * Which inputs of a node a gradient flows through: none of the ops whose outputs are integers,
 * comparisons or piecewise constant; not the inputs an op holds constant by its definition
 * (RoiAlign's regions); not a quantized op's scales, zero points, weights or bias. The engine
 * differentiates along these, and the layer catalogue proposes only maps a gradient reaches.
 */
public final class GradientFlow {
    private GradientFlow() {}

    /** Ops whose outputs carry no gradient (integer-valued, comparisons, piecewise constant). */
    public static final Set<String> ZERO_GRADIENT_OPS = Set.of("Shape", "Size", "ArgMax", "ArgMin", "Equal",
            "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or", "Xor", "NonZero", "Floor",
            "Ceil", "Round", "Sign", "ConstantOfShape", "EyeLike", "RandomNormalLike", "RandomUniformLike",
            "IsNaN", "IsInf");

    /**
     * Inputs held constant by the op's definition: RoiAlign's regions and batch indices (two-stage
     * detectors detach their proposals, so autograd sends no gradient through them).
     */
    private static final Map<String, Set<Integer>> CONSTANT_INPUTS = Map.of("RoiAlign", Set.of(1, 2));

    /** Whether a gradient flows from n's outputs to its input i. */
    public static boolean carries(NodeProto n, int i) {
        if (ZERO_GRADIENT_OPS.contains(n.getOpType())) {
            return false;
        }
        Set<Integer> held = CONSTANT_INPUTS.get(n.getOpType());
        return (held == null || !held.contains(i)) && valueInput(n, i);
    }

    /** Whether input i of n is a value the gradient flows to (not a scale, zero point, weight or bias). */
    public static boolean valueInput(NodeProto n, int i) {
        return switch (n.getOpType()) {
            case "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearGlobalAveragePool",
                 "QLinearAveragePool", "QLinearSigmoid", "QLinearLeakyRelu", "ConvInteger" -> i == 0;
            case "QLinearMatMul", "QLinearAdd", "QLinearMul" -> i == 0 || i == 3;
            case "QLinearConcat" -> i >= 2 && (i - 2) % 3 == 0;
            case "MatMulInteger" -> i == 0 || i == 1;
            default -> true;
        };
    }

    /** Every tensor the score depends on through inputs that carry gradients (the score included). */
    public static Set<String> ancestors(Graph graph, String score) {
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(score));
        while (!todo.isEmpty()) {
            String t = todo.poll();
            if (!seen.add(t)) {
                continue;
            }
            graph.producer(t).ifPresent(p -> {
                for (int i = 0; i < p.getInputCount(); i++) {
                    if (!p.getInput(i).isEmpty() && carries(p, i)) {
                        todo.add(p.getInput(i));
                    }
                }
            });
        }
        return seen;
    }
}
