package org.xgradcam.autodiff.rules;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.autodiff.GradientRegistry;
import org.xgradcam.autodiff.GradientRule;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.TensorInfo;
import org.xgradcam.onnx.proto.OnnxProto.AttributeProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/**
 * Quantized models explained as deployed. An integer tensor q on the path is a real-valued
 * variable here (its gradient is d score / d q, in float32); x = s (q - z) is its meaning.
 * Rounding gets the straight-through estimator, as torch's fake quantization does: the gradient
 * passes where round(x / s) + z lies inside the type's range and is zero where it is clamped.
 * <ul>
 * <li>QuantizeLinear: dx = dq / s, where not clamped; DequantizeLinear: dq = dx s.
 * <li>DynamicQuantizeLinear: dx = dq / s (its range covers x; its scale is held constant).
 * <li>MatMulInteger, ConvInteger: the product of (q - z) in float32, differentiated as such.
 * <li>QLinearConv, QLinearMatMul, QLinearAdd, ... (the QOperator format): each is its
 *     dequantize, float op, quantize meaning, rebuilt in the backward only (the forward stays the
 *     model's own): the float op is recomputed to find where the requantization clamps, and the
 *     float op's own rule gives the gradient.
 * </ul>
 */
public final class QuantizedRules {
    private QuantizedRules() {}

    public static void register(GradientRegistry r) {
        r.register("QuantizeLinear", QuantizedRules::quantize);
        r.register("DequantizeLinear", QuantizedRules::dequantize);
        r.register("DynamicQuantizeLinear", (n, c) -> c.setInputGradient(0, c.emit().div(c.gradOut(), n.getOutput(1))));
        r.register("MatMulInteger", (n, c) -> matMulInteger(n, c, r));
        r.register("ConvInteger", (n, c) -> convInteger(n, c, r));
        r.register("QLinearConv", (n, c) -> qlinearConv(n, c, r));
        r.register("QLinearMatMul", (n, c) -> binary(n, c, r, "MatMul"));
        r.register("QLinearAdd", (n, c) -> binary(n, c, r, "Add"));
        r.register("QLinearMul", (n, c) -> binary(n, c, r, "Mul"));
        r.register("QLinearGlobalAveragePool", (n, c) -> unary(n, c, r, "GlobalAveragePool"));
        r.register("QLinearAveragePool", (n, c) -> unary(n, c, r, "AveragePool"));
        r.register("QLinearSigmoid", (n, c) -> unary(n, c, r, "Sigmoid"));
        r.register("QLinearLeakyRelu", (n, c) -> unary(n, c, r, "LeakyRelu"));
        r.register("QLinearConcat", (n, c) -> concat(n, c, r));
    }

    private static boolean present(NodeProto n, int i) {
        return i < n.getInputCount() && !n.getInput(i).isEmpty();
    }

    /**
     * A quantization parameter shaped to broadcast against a tensor: as it is when it holds one
     * value, else laid along {@code axis} (per-channel scales and zero points).
     */
    static String along(BackwardContext c, String param, String tensor, long axis) {
        return along(c, param, c.shape(param), tensor, axis);
    }

    /** As above, for a parameter the backward made (a cast), with the shape of the one it came from. */
    static String along(BackwardContext c, String param, long[] p, String tensor, long axis) {
        long n = 1;
        for (long d : p) {
            n *= d;
        }
        if (n == 1) {
            return param;
        }
        int rank = c.shape(tensor).length;
        int ax = (int) (axis < 0 ? axis + rank : axis);
        long[] shape = new long[rank];
        java.util.Arrays.fill(shape, 1);
        shape[ax] = n;
        Emitter e = c.emit();
        return e.reshape(param, e.longs(shape));
    }

    /** A zero point as float32 laid along the axis (zero when absent). */
    private static String zeroPoint(BackwardContext c, NodeProto n, int index, String tensor, long axis) {
        Emitter e = c.emit();
        if (!present(n, index)) {
            return e.scalar(0f);
        }
        return along(c, e.op("Cast", n.getInput(index), Attributes.ofInt("to", TensorProto.DataType.FLOAT_VALUE)),
                c.shape(n.getInput(index)), tensor, axis);
    }

    /** The meaning of a quantized tensor: s (q - z), in float32, per tensor or along an axis. */
    private static String dequantized(BackwardContext c, NodeProto n, int q, int scale, int zero, long axis) {
        Emitter e = c.emit();
        String x = n.getInput(q);
        String real = e.op("Cast", x, Attributes.ofInt("to", TensorProto.DataType.FLOAT_VALUE));
        String centred = present(n, zero) ? e.sub(real, zeroPoint(c, n, zero, x, axis)) : real;
        return e.mul(centred, along(c, n.getInput(scale), x, axis));
    }

    /** The range a quantized type holds. */
    static float[] range(int elemType) {
        return switch (elemType) {
            case 2 -> new float[] {0, 255};
            case 3 -> new float[] {-128, 127};
            case 4 -> new float[] {0, 65535};
            case 5 -> new float[] {-32768, 32767};
            default -> new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        };
    }

    /** 1 where round(x / s) + z lies inside the type's range (the straight-through estimator passes), else 0. */
    static String unclamped(BackwardContext c, String x, String scale, String zero, int elemType) {
        Emitter e = c.emit();
        float[] r = range(elemType);
        String q = e.add(e.op("Round", e.div(x, scale)), zero);
        String low = e.op("Not", e.less(q, e.scalar(r[0])));
        String high = e.op("Not", e.greater(q, e.scalar(r[1])));
        return e.mask(e.and(low, high));
    }

    private static int typeOf(BackwardContext c, String tensor) {
        return c.shapes().find(tensor).map(TensorInfo::elemType).orElse(TensorProto.DataType.UINT8_VALUE);
    }

    private static void quantize(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String x = n.getInput(0);
        long axis = Attributes.getInt(n, "axis", 1);
        String s = along(c, n.getInput(1), x, axis);
        String z = zeroPoint(c, n, 2, x, axis);
        String g = e.div(c.gradOut(), s);
        c.setInputGradient(0, e.mul(g, unclamped(c, x, s, z, typeOf(c, n.getOutput(0)))));
    }

    private static void dequantize(NodeProto n, BackwardContext c) {
        long axis = Attributes.getInt(n, "axis", 1);
        c.setInputGradient(0, c.emit().mul(c.gradOut(), along(c, n.getInput(1), n.getInput(0), axis)));
    }

    /** (q - z) in float32, per tensor or along an axis (MatMulInteger's and ConvInteger's operands). */
    private static String centred(BackwardContext c, NodeProto n, int q, int zero, long axis) {
        Emitter e = c.emit();
        String real = e.op("Cast", n.getInput(q), Attributes.ofInt("to", TensorProto.DataType.FLOAT_VALUE));
        return present(n, zero) ? e.sub(real, zeroPoint(c, n, zero, n.getInput(q), axis)) : real;
    }

    private static void matMulInteger(NodeProto n, BackwardContext c, GradientRegistry r) {
        String a = centred(c, n, 0, 2, -1);
        String b = centred(c, n, 1, 3, -1);
        String y = c.emit().fresh("matmul_f32");
        asFloat(n, c, r, "MatMul", List.of(a, b), List.of(0, 1), java.util.Arrays.asList(null, null), y, c.gradOut(),
                List.of());
    }

    private static void convInteger(NodeProto n, BackwardContext c, GradientRegistry r) {
        String x = centred(c, n, 0, 2, 1);
        String w = centred(c, n, 1, 3, 0);
        String y = c.emit().fresh("conv_f32");
        asFloat(n, c, r, "Conv", List.of(x, w), List.of(0, -1), java.util.Arrays.asList(null, null), y, c.gradOut(),
                n.getAttributeList());
    }

    /**
     * The float op's output recomputed in the backward (to find where requantizing clamps), and
     * the gradient of that output: dy / s_y where round(y / s_y) + z_y is inside the range.
     */
    private static String requantizedGradient(NodeProto n, BackwardContext c, String floatOutput, int scale, int zero) {
        Emitter e = c.emit();
        String y = n.getOutput(0);
        String s = n.getInput(scale);
        String z = zeroPoint(c, n, zero, y, 1);
        return e.mul(e.div(c.gradOut(), s), unclamped(c, floatOutput, s, z, typeOf(c, y)));
    }

    private static void qlinearConv(NodeProto n, BackwardContext c, GradientRegistry r) {
        Emitter e = c.emit();
        String x = dequantized(c, n, 0, 1, 2, 1);
        String w = dequantized(c, n, 3, 4, 5, 0);
        List<String> inputs = new ArrayList<>(List.of(x, w));
        if (present(n, 8)) {
            // the int32 bias is quantized with scale x_scale * w_scale and zero point 0
            String bias = e.op("Cast", n.getInput(8), Attributes.ofInt("to", TensorProto.DataType.FLOAT_VALUE));
            inputs.add(e.mul(bias, e.mul(n.getInput(1), n.getInput(4))));
        }
        String y = e.op("Conv", inputs, n.getAttributeList().toArray(new AttributeProto[0]));
        String gy = requantizedGradient(n, c, y, 6, 7);
        List<Integer> to = new ArrayList<>(List.of(0, -1));
        List<String> scales = new ArrayList<>(java.util.Arrays.asList(n.getInput(1), null));
        if (inputs.size() == 3) {
            to.add(-1);
            scales.add(null);
        }
        asFloat(n, c, r, "Conv", inputs, to, scales, y, gy, n.getAttributeList(), Map.of(x, n.getInput(0), w,
                n.getInput(3), y, n.getOutput(0)));
    }

    /** QLinearMatMul, QLinearAdd, QLinearMul: (a, a_s, a_z, b, b_s, b_z, y_s, y_z). */
    private static void binary(NodeProto n, BackwardContext c, GradientRegistry r, String op) {
        Emitter e = c.emit();
        boolean matmul = op.equals("MatMul");
        // a matrix product's scales are per row of a, per column of b
        String a = dequantized(c, n, 0, 1, 2, matmul ? -2 : 1);
        String b = dequantized(c, n, 3, 4, 5, matmul ? -1 : 1);
        String y = e.op(op, List.of(a, b));
        String gy = requantizedGradient(n, c, y, 6, 7);
        asFloat(n, c, r, op, List.of(a, b), List.of(0, 3), java.util.Arrays.asList(
                along(c, n.getInput(1), n.getInput(0), matmul ? -2 : 1), along(c, n.getInput(4), n.getInput(3), matmul ? -1 : 1)),
                y, gy, List.of(), Map.of(a, n.getInput(0), b, n.getInput(3), y, n.getOutput(0)));
    }

    /** QLinearGlobalAveragePool, QLinearAveragePool, QLinearSigmoid, QLinearLeakyRelu: (x, x_s, x_z, y_s, y_z). */
    private static void unary(NodeProto n, BackwardContext c, GradientRegistry r, String op) {
        if (Attributes.getInt(n, "channels_last", 0) != 0) {
            throw c.unsupported(n, "channels-last quantized pooling is not supported; export the model with NCHW maps");
        }
        Emitter e = c.emit();
        List<AttributeProto> attrs = n.getAttributeList().stream().filter(a -> !a.getName().equals("channels_last")).toList();
        String x = dequantized(c, n, 0, 1, 2, 1);
        String y = e.op(op, List.of(x), attrs.toArray(new AttributeProto[0]));
        String gy = requantizedGradient(n, c, y, 3, 4);
        asFloat(n, c, r, op, List.of(x), List.of(0), java.util.Arrays.asList(n.getInput(1)), y, gy, attrs,
                Map.of(x, n.getInput(0), y, n.getOutput(0)));
    }

    /** QLinearConcat: (y_s, y_z, then x, x_s, x_z for each input). */
    private static void concat(NodeProto n, BackwardContext c, GradientRegistry r) {
        Emitter e = c.emit();
        List<String> inputs = new ArrayList<>();
        List<Integer> to = new ArrayList<>();
        List<String> scales = new ArrayList<>();
        Map<String, String> like = new HashMap<>();
        for (int i = 2; i + 2 < n.getInputCount(); i += 3) {
            String x = dequantized(c, n, i, i + 1, i + 2, 1);
            inputs.add(x);
            to.add(i);
            scales.add(n.getInput(i + 1));
            like.put(x, n.getInput(i));
        }
        String y = e.op("Concat", inputs, n.getAttributeList().toArray(new AttributeProto[0]));
        like.put(y, n.getOutput(0));
        String gy = requantizedGradient(n, c, y, 0, 1);
        asFloat(n, c, r, "Concat", inputs, to, scales, y, gy, n.getAttributeList(), like);
    }

    private static void asFloat(NodeProto q, BackwardContext c, GradientRegistry r, String op, List<String> inputs,
                                List<Integer> to, List<String> scales, String output, String outputGradient,
                                List<AttributeProto> attrs) {
        Map<String, String> like = new HashMap<>();
        for (int i = 0; i < inputs.size() && i < to.size(); i++) {
            int original = to.get(i) >= 0 ? to.get(i) : i;
            if (original < q.getInputCount()) {
                like.put(inputs.get(i), q.getInput(original));
            }
        }
        like.put(output, q.getOutput(0));
        asFloat(q, c, r, op, inputs, to, scales, output, outputGradient, attrs, like);
    }

    /**
     * Runs the float op's own rule on the quantized node's float meaning: a node {@code op} over
     * {@code inputs} (float32 tensors the backward made, shaped {@code like} the quantized ones)
     * giving {@code output}, whose gradient is {@code outputGradient}. Input i's gradient goes to
     * the quantized node's input {@code to[i]} (-1: none), times {@code scales[i]} (null: as it is).
     */
    private static void asFloat(NodeProto q, BackwardContext c, GradientRegistry r, String op, List<String> inputs,
                                List<Integer> to, List<String> scales, String output, String outputGradient,
                                List<AttributeProto> attrs, Map<String, String> like) {
        NodeProto f = NodeProto.newBuilder().setOpType(op).setName(q.getName() + "/float").addAllInput(inputs).addOutput(output)
                .addAllAttribute(attrs).build();
        GradientRule rule = r.find(op).orElseThrow(() -> c.unsupported(q, "no rule for its float meaning " + op));
        BackwardContext inner = new BackwardContext() {
            @Override
            public Emitter emit() {
                return c.emit();
            }

            @Override
            public Graph graph() {
                return c.graph();
            }

            @Override
            public ModelShapes shapes() {
                return c.shapes();
            }

            @Override
            public long[] shape(String tensor) {
                String original = like.get(tensor);
                return c.shape(original != null ? original : tensor);
            }

            @Override
            public Optional<String> outputGradient(int i) {
                return i == 0 ? Optional.of(outputGradient) : Optional.empty();
            }

            @Override
            public boolean wantsGradient(int i) {
                return i < to.size() && to.get(i) >= 0 && c.wantsGradient(to.get(i));
            }

            @Override
            public void setInputGradient(int i, String gradient) {
                if (wantsGradient(i)) {
                    String s = scales.get(i);
                    c.setInputGradient(to.get(i), s == null ? gradient : c.emit().mul(gradient, s));
                }
            }

            @Override
            public String requireForwardOutput(NodeProto node, int outputIndex) {
                throw c.unsupported(q, "its float meaning " + op + " would need a forward output the model does not compute");
            }

            @Override
            public Optional<long[]> constantLongs(String name) {
                return c.constantLongs(name);
            }

            @Override
            public boolean singleImage() {
                return c.singleImage();
            }

            @Override
            public boolean isBatchAxis(String tensor, int axis) {
                return c.isBatchAxis(tensor, axis);
            }
        };
        rule.backward(f, inner);
    }
}
