package org.xgradcam.autodiff.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.autodiff.GradientRegistry;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/** Ops that only move values: their backward moves gradients back where the values came from. */
public final class ShapeRules {
    private ShapeRules() {}

    public static void register(GradientRegistry r) {
        for (String op : List.of("Flatten", "Reshape", "Squeeze", "Unsqueeze")) {
            r.register(op, (n, c) -> c.setInputGradient(0, c.emit().reshape(c.gradOut(), c.emit().shapeOf(n.getInput(0)))));
        }
        r.register("Transpose", ShapeRules::transpose);
        r.register("Concat", ShapeRules::concat);
        r.register("Split", ShapeRules::split);
        r.register("Slice", ShapeRules::slice);
        r.register("Pad", ShapeRules::pad);
        r.register("Gather", ShapeRules::gather);
    }

    /**
     * Gather: the gradient is a scatter-add, written as a product with the one-hot matrix
     * O[j, index_j] along the axis, so repeated indices add up and no opset-16 ScatterND is
     * needed. O is a constant for constant indices (a class token, a fixed selection), and a
     * OneHot node (opset 11, negative indices counted from the end) for indices computed at run time.
     */
    private static void gather(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        long[] in = c.shape(n.getInput(0));
        int rank = in.length;
        int axis = (int) Attributes.getInt(n, "axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        if (axis == 0) {
            throw c.unsupported(n, "it gathers along the batch axis");
        }
        int size = (int) in[axis];
        Optional<long[]> constant = c.constantLongs(n.getInput(1));
        String oneHot;
        int k;
        if (constant.isPresent()) {
            long[] indices = constant.get();
            k = indices.length;
            float[] o = new float[k * size];
            for (int j = 0; j < k; j++) {
                long i = indices[j] < 0 ? indices[j] + size : indices[j];
                if (i < 0 || i >= size) {
                    throw c.unsupported(n, "index " + indices[j] + " is out of range for an axis of " + size);
                }
                o[j * size + (int) i] = 1f;
            }
            oneHot = e.constant(o, k, size);
        } else {
            if (e.opset() < 11) {
                throw c.unsupported(n, "its indices are computed at run time, which needs opset 11 (OneHot with "
                        + "negative indices); re-export with opset >= 11");
            }
            k = 1;
            for (long d : c.shape(n.getInput(1))) {
                k *= (int) d;
            }
            oneHot = e.op("OneHot", List.of(e.reshape(n.getInput(1), e.longs(k)), e.longs(size), e.constant(new float[] {0f, 1f}, 2)));
        }
        // the index dimensions of the output as one axis of k: [batch, .., k, ..]
        long[] grouped = in.clone();
        grouped[axis] = k;
        for (int d = 0; d < axis; d++) {
            grouped[d] = 0; // 0 copies the axis, the batch included
        }
        String g = e.reshape(c.gradOut(), e.longs(grouped));
        long[] toLast = new long[rank];
        long[] back = new long[rank];
        for (int d = 0, p = 0; d < rank; d++) {
            if (d != axis) {
                toLast[p++] = d;
            }
        }
        toLast[rank - 1] = axis;
        for (int d = 0; d < rank; d++) {
            back[(int) toLast[d]] = d;
        }
        String scattered = e.op("MatMul", List.of(e.transpose(g, toLast), oneHot));
        c.setInputGradient(0, e.transpose(scattered, back));
    }

    private static void transpose(NodeProto n, BackwardContext c) {
        int rank = c.shape(n.getInput(0)).length;
        long[] perm = Attributes.getInts(n, "perm", null);
        if (perm == null) {
            perm = new long[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
        }
        long[] inverse = new long[rank];
        for (int i = 0; i < rank; i++) {
            inverse[(int) perm[i]] = i;
        }
        c.setInputGradient(0, c.emit().transpose(c.gradOut(), inverse));
    }

    private static void concat(NodeProto n, BackwardContext c) {
        int rank = c.shape(n.getOutput(0)).length;
        long axis = Attributes.getInt(n, "axis", 1);
        axis = axis < 0 ? axis + rank : axis;
        long start = 0;
        for (int i = 0; i < n.getInputCount(); i++) {
            long size = c.shape(n.getInput(i))[(int) axis];
            if (c.wantsGradient(i)) {
                c.setInputGradient(i, c.emit().slice(c.gradOut(), new long[] {start}, new long[] {start + size},
                        new long[] {axis}));
            }
            start += size;
        }
    }

    private static void split(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        int rank = c.shape(n.getInput(0)).length;
        long axis = Attributes.getInt(n, "axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < n.getOutputCount(); i++) {
            String out = n.getOutput(i);
            parts.add(c.outputGradient(i).orElseGet(() -> e.zerosLike(out)));
        }
        c.setInputGradient(0, e.concat(parts, axis));
    }

    private static void slice(NodeProto n, BackwardContext c) {
        long[] xs = c.shape(n.getInput(0));
        int rank = xs.length;
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (c.emit().opset() < 10) {
            starts = Attributes.getInts(n, "starts", null);
            ends = Attributes.getInts(n, "ends", null);
            axes = Attributes.getInts(n, "axes", null);
        } else {
            starts = constantInput(n, c, 1);
            ends = constantInput(n, c, 2);
            axes = n.getInputCount() > 3 && !n.getInput(3).isEmpty() ? constantInput(n, c, 3) : null;
            steps = n.getInputCount() > 4 && !n.getInput(4).isEmpty() ? constantInput(n, c, 4) : null;
        }
        if (axes == null) {
            axes = new long[starts.length];
            for (int i = 0; i < axes.length; i++) {
                axes[i] = i;
            }
        }
        long[] pads = new long[2 * rank];
        for (int i = 0; i < axes.length; i++) {
            if (steps != null && steps[i] != 1) {
                throw c.unsupported(n, "only slices with step 1 are supported (step " + steps[i] + ")");
            }
            int ax = (int) (axes[i] < 0 ? axes[i] + rank : axes[i]);
            long dim = xs[ax];
            long s = clamp(starts[i] < 0 ? starts[i] + dim : starts[i], dim);
            long en = clamp(ends[i] < 0 ? ends[i] + dim : ends[i], dim);
            if (ax == 0) {
                throw c.unsupported(n, "it slices the batch axis");
            }
            pads[ax] = s;
            pads[rank + ax] = dim - Math.max(en, s);
        }
        c.setInputGradient(0, c.emit().pad(c.gradOut(), pads));
    }

    private static long clamp(long v, long dim) {
        return Math.max(0, Math.min(v, dim));
    }

    private static long[] constantInput(NodeProto n, BackwardContext c, int i) {
        return c.constantLongs(n.getInput(i))
                .orElseThrow(() -> c.unsupported(n, "input " + i + " is not a constant"));
    }

    private static void pad(NodeProto n, BackwardContext c) {
        String mode = Attributes.getString(n, "mode", "constant");
        if (!mode.equals("constant")) {
            throw c.unsupported(n, "only constant padding is supported (mode " + mode + ")");
        }
        long[] xs = c.shape(n.getInput(0));
        int rank = xs.length;
        long[] pads = c.emit().opset() < 11 ? Attributes.getInts(n, "pads", null) : constantInput(n, c, 1);
        if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
            throw c.unsupported(n, "padding with an axes input is not supported");
        }
        long[] starts = new long[rank];
        long[] ends = new long[rank];
        long[] axes = new long[rank];
        for (int i = 0; i < rank; i++) {
            if (pads[i] < 0 || pads[rank + i] < 0) {
                throw c.unsupported(n, "negative pads (cropping) are not supported");
            }
            starts[i] = pads[i];
            ends[i] = pads[i] + xs[i];
            axes[i] = i;
        }
        // the batch axis is never padded; slicing it would pin the batch size
        c.setInputGradient(0, c.emit().slice(c.gradOut(), java.util.Arrays.copyOfRange(starts, 1, rank),
                java.util.Arrays.copyOfRange(ends, 1, rank), java.util.Arrays.copyOfRange(axes, 1, rank)));
    }
}
