package org.xgradcam.autodiff;

import java.util.Set;
import org.xgradcam.onnx.TensorInfo;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * Which integer tensors carry gradients, and through which inputs of the quantized ops. A model
 * explained as deployed computes on quantized tensors (uint8, int8) and integer accumulators
 * (int32); the backward treats each as a real-valued variable (d score / d q), in float32, with
 * the straight-through estimator for rounding (rules/QuantizedRules).
 */
public final class Quantized {
    private Quantized() {}

    /** Ops whose integer outputs are values on the path: the quantizing and integer-arithmetic ops. */
    static final Set<String> INTEGER_VALUE_OPS = Set.of("QuantizeLinear", "DynamicQuantizeLinear", "QLinearConv",
            "QLinearMatMul", "QLinearAdd", "QLinearMul", "QLinearGlobalAveragePool", "QLinearAveragePool", "QLinearConcat",
            "QLinearSigmoid", "QLinearLeakyRelu", "MatMulInteger", "ConvInteger");

    /** Ops that move values without changing them: an integer output holds its input's quantized values. */
    static final Set<String> LAYOUT_OPS = Set.of("Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity",
            "MaxPool", "Concat", "Slice", "Split", "Pad", "DepthToSpace", "SpaceToDepth", "Tile", "Expand", "Gather");

    /** The quantized ops defined in ONNX Runtime's com.microsoft domain (QOperator models use them). */
    public static final Set<String> MICROSOFT_OPS = Set.of("QLinearAdd", "QLinearMul", "QLinearGlobalAveragePool",
            "QLinearAveragePool", "QLinearConcat", "QLinearSigmoid", "QLinearLeakyRelu");

    /** Whether output k of n carries a gradient, given its type. */
    static boolean carries(NodeProto n, int k, TensorInfo t) {
        if (n.getOpType().equals("DynamicQuantizeLinear")) {
            return k == 0; // its scale and zero point are treated as constants (as the straight-through estimator does)
        }
        if (t.isFloating()) {
            return true;
        }
        boolean integer = t.elemType() == 2 || t.elemType() == 3 || t.elemType() == 6;
        return integer && (INTEGER_VALUE_OPS.contains(n.getOpType()) || (LAYOUT_OPS.contains(n.getOpType()) && k == 0));
    }
}
