package org.xgradcam.autodiff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.TensorProtos;
import org.xgradcam.onnx.proto.OnnxProto.AttributeProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/**
 * Appends backward nodes and constants to a model, spelling each op the way the model's operator
 * set wants it (axes as attribute or input, pads as attribute or input, ...), so that the
 * augmented model keeps the original opset (7 to 22) and its forward part is untouched.
 */
public final class Emitter {
    private final long opset;
    private final String prefix;
    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    private int counter;

    /**
     * Forward tensors whose values the backward reads in float32 (fp16, bf16, fp64 ones): every
     * emitted node that reads one reads its float32 cast instead, made once. So every rule works
     * in float32, whatever width the forward runs in, and gradients do not underflow.
     */
    private java.util.Set<String> widened = java.util.Set.of();
    private final java.util.Map<String, String> casts = new java.util.HashMap<>();

    /** Declares the forward tensors read in float32 by the backward. */
    void readInFloat32(java.util.Set<String> tensors) {
        this.widened = tensors;
    }

    /** The name the backward reads a forward tensor by: itself, or its float32 cast. */
    public String view(String tensor) {
        if (!widened.contains(tensor)) {
            return tensor;
        }
        return casts.computeIfAbsent(tensor, t -> {
            String out = fresh("f32");
            nodes.add(NodeProto.newBuilder().setOpType("Cast").setName(out + "_node").addInput(t).addOutput(out)
                    .addAttribute(Attributes.ofInt("to", TensorProto.DataType.FLOAT_VALUE)).build());
            return out;
        });
    }

    public Emitter(long opset, String prefix) {
        this.opset = opset;
        this.prefix = prefix;
    }

    public long opset() {
        return opset;
    }

    public List<NodeProto> nodes() {
        return nodes;
    }

    public List<TensorProto> initializers() {
        return initializers;
    }

    public String fresh(String hint) {
        return prefix + hint + "_" + (counter++);
    }

    /** Emits a one-output node and returns the output's name. */
    public String op(String opType, List<String> inputs, AttributeProto... attrs) {
        return op(opType, inputs, 1, attrs).get(0);
    }

    public String op(String opType, String input, AttributeProto... attrs) {
        return op(opType, List.of(input), attrs);
    }

    public List<String> op(String opType, List<String> inputs, int outputs, AttributeProto... attrs) {
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            outs.add(fresh(opType.toLowerCase()));
        }
        emit(opType, inputs, outs, attrs);
        return outs;
    }

    /** Emits a node with given output names (used where a later stage needs a stable name). */
    public void emit(String opType, List<String> inputs, List<String> outputs, AttributeProto... attrs) {
        List<String> read = new ArrayList<>(inputs.size());
        for (String in : inputs) {
            read.add(view(in));
        }
        nodes.add(NodeProto.newBuilder().setOpType(opType).setName(outputs.get(0) + "_node")
                .addAllInput(read).addAllOutput(outputs).addAllAttribute(Arrays.asList(attrs)).build());
    }

    // ---- constants -------------------------------------------------------------------------

    public String constant(float[] values, long... dims) {
        String name = fresh("const");
        initializers.add(TensorProtos.ofFloats(name, values, dims));
        return name;
    }

    public String scalar(float v) {
        return constant(new float[] {v});
    }

    public String longs(long... values) {
        String name = fresh("ints");
        initializers.add(TensorProtos.ofLongs(name, values, values.length));
        return name;
    }

    public String longsShaped(long[] values, long... dims) {
        String name = fresh("ints");
        initializers.add(TensorProtos.ofLongs(name, values, dims));
        return name;
    }

    // ---- arithmetic ------------------------------------------------------------------------

    public String add(String a, String b) {
        return op("Add", List.of(a, b));
    }

    public String sub(String a, String b) {
        return op("Sub", List.of(a, b));
    }

    public String mul(String a, String b) {
        return op("Mul", List.of(a, b));
    }

    public String div(String a, String b) {
        return op("Div", List.of(a, b));
    }

    public String neg(String a) {
        return op("Neg", a);
    }

    /** A float 0/1 mask from a boolean tensor (Cast keeps the augmented model valid from opset 7). */
    public String mask(String bool) {
        return op("Cast", bool, Attributes.ofInt("to", TensorProto.DataType.FLOAT_VALUE));
    }

    public String greater(String a, String b) {
        return op("Greater", List.of(a, b));
    }

    public String less(String a, String b) {
        return op("Less", List.of(a, b));
    }

    public String and(String a, String b) {
        return op("And", List.of(a, b));
    }

    // ---- shapes ----------------------------------------------------------------------------

    public String shapeOf(String x) {
        return op("Shape", x);
    }

    public String reshape(String x, String shapeTensor) {
        return op("Reshape", List.of(x, shapeTensor));
    }

    /** Reshape to a static per-sample shape, keeping the (dynamic) batch axis of x. */
    public String reshapeKeepBatch(String x, long[] staticShape) {
        long[] s = staticShape.clone();
        s[0] = 0; // 0 copies x's own axis 0: the batch
        return reshape(x, longs(s));
    }

    public String transpose(String x, long[] perm) {
        boolean identity = true;
        for (int i = 0; i < perm.length; i++) {
            identity &= perm[i] == i;
        }
        if (identity) {
            // no node: ONNX Runtime's GemmTransposeFusion folds any Transpose before a Gemm as a 2-D swap
            return x;
        }
        return op("Transpose", x, Attributes.ofInts("perm", perm));
    }

    public String reduceSum(String x, long[] axes, boolean keepDims) {
        if (axes.length == 0) {
            return x;
        }
        if (opset >= 13) {
            return op("ReduceSum", List.of(x, longs(axes)), Attributes.ofInt("keepdims", keepDims ? 1 : 0));
        }
        return op("ReduceSum", x, Attributes.ofInts("axes", axes), Attributes.ofInt("keepdims", keepDims ? 1 : 0));
    }

    public String unsqueeze(String x, long... axes) {
        if (opset >= 13) {
            return op("Unsqueeze", List.of(x, longs(axes)));
        }
        return op("Unsqueeze", x, Attributes.ofInts("axes", axes));
    }

    /** Slice along the given axes with step 1. */
    public String slice(String x, long[] starts, long[] ends, long[] axes) {
        if (opset >= 10) {
            return op("Slice", List.of(x, longs(starts), longs(ends), longs(axes)));
        }
        return op("Slice", x, Attributes.ofInts("starts", starts), Attributes.ofInts("ends", ends),
                Attributes.ofInts("axes", axes));
    }

    /** Constant zero padding; pads in ONNX order (all begins, then all ends). */
    public String pad(String x, long[] pads) {
        boolean any = false;
        for (long p : pads) {
            any |= p != 0;
        }
        if (!any) {
            return x;
        }
        if (opset >= 11) {
            return op("Pad", List.of(x, longs(pads)));
        }
        return op("Pad", x, Attributes.ofInts("pads", pads));
    }

    public String concat(List<String> parts, long axis) {
        return op("Concat", parts, Attributes.ofInt("axis", axis));
    }

    /** Zeros shaped like x (for outputs that received no gradient). */
    public String zerosLike(String x) {
        return mul(x, scalar(0f));
    }

    /** Sums gradient contributions pairwise (the Sum op would need same-shaped inputs before opset 8). */
    public String sum(List<String> parts) {
        String acc = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            acc = add(acc, parts.get(i));
        }
        return acc;
    }
}
