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
        r.register("Tile", ShapeRules::tile);
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
        if (c.isBatchAxis(n.getInput(0), axis)) {
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
            if (e.opset() >= 16 || (long) k * size > SelectionRules.MAX_ONE_HOT) {
                // a detector's selection (thousands of candidates): a scatter, not a k x size matrix
                gatherByScatter(n, c, in, axis, k);
                return;
            }
            oneHot = e.op("OneHot", List.of(e.reshape(n.getInput(1), e.longs(k)), e.longs(size), e.constant(new float[] {0f, 1f}, 2)));
        }
        // the index dimensions of the output as one axis of k: [batch, .., k, ..]
        long[] grouped = in.clone();
        grouped[axis] = k;
        for (int d = 0; d < axis; d++) {
            grouped[d] = 0; // 0 copies the axis, the batch included
        }
        for (int d = axis + 1; d < rank; d++) {
            if (c.isBatchAxis(n.getInput(0), d)) {
                grouped[d] = -1; // a batch after the gathered axis (a transposed q/k/v): inferred, not pinned to 1
            }
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

    /**
     * Gather's backward as a scatter-add of the output gradient, grouped as [.., k, ..], with the
     * indices broadcast along the other axes.
     */
    private static void gatherByScatter(NodeProto n, BackwardContext c, long[] in, int axis, int k) {
        Emitter e = c.emit();
        long[] grouped = in.clone();
        grouped[axis] = k;
        String g = e.reshape(c.gradOut(), e.longs(grouped));
        long[] line = new long[in.length];
        java.util.Arrays.fill(line, 1);
        line[axis] = k;
        String idx = e.op("Expand", List.of(e.reshape(n.getInput(1), e.longs(line)), e.longs(grouped)));
        c.setInputGradient(0, SelectionRules.scatterAdd(n, c, n.getInput(0), idx, g, axis, n.getInput(1)));
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
            boolean hasAxes = n.getInputCount() > 3 && !n.getInput(3).isEmpty();
            boolean hasSteps = n.getInputCount() > 4 && !n.getInput(4).isEmpty();
            steps = hasSteps ? constantInput(n, c, 4) : null;
            axes = hasAxes ? c.constantLongs(n.getInput(3)).orElse(null) : null;
            Optional<long[]> s = c.constantLongs(n.getInput(1));
            Optional<long[]> en = c.constantLongs(n.getInput(2));
            if ((c.emit().opset() < 13 || c.singleImage()) && s.isPresent() && en.isEmpty() && (!hasAxes || axes != null) && (steps == null
                    || java.util.Arrays.stream(steps).allMatch(st -> st == 1))) {
                // constant starts, an end computed at run time (torchvision's keep[:n]): the end is
                // where the output stops, in the shapes measured for this input (one image's run, or
                // before opset 13, whose int64 Min/Max the general run-time backward needs)
                long[] st = s.get();
                long[] ax = axes != null ? axes : java.util.stream.LongStream.range(0, st.length).toArray();
                long[] ys = c.shape(n.getOutput(0));
                long[] ends2 = new long[st.length];
                for (int i = 0; i < st.length; i++) {
                    int a = (int) (ax[i] < 0 ? ax[i] + rank : ax[i]);
                    ends2[i] = clamp(st[i] < 0 ? st[i] + xs[a] : st[i], xs[a]) + ys[a];
                }
                starts = st;
                ends = ends2;
                axes = ax;
            } else if (s.isEmpty() || en.isEmpty() || (hasAxes && axes == null)) {
                sliceAtRunTime(n, c, steps);
                return;
            } else {
                starts = s.get();
                ends = en.get();
            }
        }
        if (axes == null) {
            axes = new long[starts.length];
            for (int i = 0; i < axes.length; i++) {
                axes[i] = i;
            }
        }
        if (steps != null && java.util.Arrays.stream(steps).anyMatch(st -> st != 1)) {
            stridedSlice(n, c, starts, ends, axes, steps);
            return;
        }
        long[] pads = new long[2 * rank];
        for (int i = 0; i < axes.length; i++) {
            int ax = (int) (axes[i] < 0 ? axes[i] + rank : axes[i]);
            long dim = xs[ax];
            long s = clamp(starts[i] < 0 ? starts[i] + dim : starts[i], dim);
            long en = clamp(ends[i] < 0 ? ends[i] + dim : ends[i], dim);
            if (c.isBatchAxis(n.getInput(0), ax)) {
                throw c.unsupported(n, "it slices the batch axis");
            }
            pads[ax] = s;
            pads[rank + ax] = dim - Math.max(en, s);
        }
        c.setInputGradient(0, c.emit().pad(c.gradOut(), pads));
    }

    /**
     * Slice with constant bounds and positive steps (Swin's patch merging takes every second row
     * and column): axis by axis, the gradient is spread out with step - 1 zeros after each value
     * (unsqueeze, pad, merge), then padded back to the input's extent from the start.
     */
    private static void stridedSlice(NodeProto n, BackwardContext c, long[] starts, long[] ends, long[] axes, long[] steps) {
        Emitter e = c.emit();
        long[] xs = c.shape(n.getInput(0));
        int rank = xs.length;
        long[] cur = c.shape(n.getOutput(0)).clone();
        String g = c.gradOut();
        for (int i = 0; i < axes.length; i++) {
            int ax = (int) (axes[i] < 0 ? axes[i] + rank : axes[i]);
            long step = steps[i];
            if (step < 1) {
                throw c.unsupported(n, "only slices with positive steps are supported (step " + step + ")");
            }
            if (c.isBatchAxis(n.getInput(0), ax)) {
                throw c.unsupported(n, "it slices the batch axis");
            }
            long dim = xs[ax];
            long s = clamp(starts[i] < 0 ? starts[i] + dim : starts[i], dim);
            long len = cur[ax];
            if (step > 1 && len > 0) {
                String u = e.unsqueeze(g, ax + 1);
                long[] pads = new long[2 * (rank + 1)];
                pads[rank + 1 + ax + 1] = step - 1;
                u = e.pad(u, pads);
                cur[ax] = len * step;
                g = e.reshapeKeepBatch(u, cur);
            }
            long extent = cur[ax];
            if (s + extent > dim) {
                g = e.slice(g, new long[] {0}, new long[] {dim - s}, new long[] {ax});
                extent = dim - s;
            }
            long[] pads = new long[2 * rank];
            pads[ax] = s;
            pads[rank + ax] = dim - s - extent;
            g = e.pad(g, pads);
            cur[ax] = dim;
        }
        c.setInputGradient(0, g);
    }

    /**
     * Slice with bounds computed at run time (torch's attention export derives them from Shape):
     * the bounds are not differentiated, their values are read from the forward pass. The pads
     * that put the gradient back, before = clamp(start) and after = dim - max(clamp(end), before)
     * per sliced axis, are computed by ONNX ops from those values and scattered into a pads
     * vector for Pad.
     */
    private static void sliceAtRunTime(NodeProto n, BackwardContext c, long[] steps) {
        Emitter e = c.emit();
        if (e.opset() < 13) {
            throw c.unsupported(n, "its bounds are computed at run time, which needs opset 13 (int64 Min/Max,"
                    + " ScatterElements); re-export with opset >= 13");
        }
        if (steps != null) {
            for (long st : steps) {
                if (st != 1) {
                    throw c.unsupported(n, "only slices with step 1 are supported (step " + st + ")");
                }
            }
        }
        long[] xs = c.shape(n.getInput(0));
        int rank = xs.length;
        long k = c.shape(n.getInput(1)).length == 0 ? 1 : c.shape(n.getInput(1))[0];
        String zero = e.longs(0);
        String dims = e.shapeOf(n.getInput(0));
        String axes;
        if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
            String raw = n.getInput(3);
            axes = e.op("Where", List.of(e.op("Less", List.of(raw, zero)), e.add(raw, e.longs(rank)), raw));
            c.constantLongs(n.getInput(3)).ifPresent(a -> {
                for (long v : a) {
                    if (c.isBatchAxis(n.getInput(0), (int) (v < 0 ? v + rank : v))) {
                        throw c.unsupported(n, "it slices the batch axis");
                    }
                }
            });
        } else {
            long[] r = new long[(int) k];
            for (int i = 0; i < k; i++) {
                r[i] = i;
            }
            axes = e.longs(r);
        }
        String dim = e.op("Gather", List.of(dims, axes), Attributes.ofInt("axis", 0));
        String start = clampAtRunTime(e, n.getInput(1), dim, zero);
        String end = clampAtRunTime(e, n.getInput(2), dim, zero);
        String before = start;
        String after = e.sub(dim, e.op("Max", List.of(end, start)));
        String where = e.concat(List.of(axes, e.add(axes, e.longs(rank))), 0);
        String values = e.concat(List.of(before, after), 0);
        String pads = e.op("ScatterElements", List.of(e.longs(new long[2 * rank]), where, values), Attributes.ofInt("axis", 0));
        c.setInputGradient(0, e.op("Pad", List.of(c.gradOut(), pads)));
    }

    /** A run-time bound made non-negative (counted from the end) and clamped to [0, dim]. */
    private static String clampAtRunTime(Emitter e, String bound, String dim, String zero) {
        String fromEnd = e.op("Where", List.of(e.op("Less", List.of(bound, zero)), e.add(bound, dim), bound));
        return e.op("Min", List.of(e.op("Max", List.of(fromEnd, zero)), dim));
    }

    /**
     * Pad with amounts computed at run time (Swin pads each stage to a multiple of its window):
     * the gradient is the slice of the output's gradient where the input went, starts = the
     * leading pads, ends = starts + the input's dims, on every axis but the batch. (Padding by
     * negative amounts, a crop, is not expected here: exporters pad to grow.)
     */
    private static void padAtRunTime(NodeProto n, BackwardContext c, int rank) {
        Emitter e = c.emit();
        String one = e.longs(1);
        String last = e.longs(rank);
        String starts = e.op("Slice", List.of(n.getInput(1), one, last));
        String dims = e.op("Slice", List.of(e.shapeOf(n.getInput(0)), one, last));
        long[] axes = new long[rank - 1];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        c.setInputGradient(0, e.op("Slice", List.of(c.gradOut(), starts, e.add(starts, dims), e.longs(axes))));
    }

    /**
     * Tile: every copy's gradient adds up. The gradient [r0 d0, r1 d1, ...] is reshaped to
     * [r0, d0, r1, d1, ...] and summed over the repeat axes; the repeats (constant or computed at
     * run time) and the input's dims are read from the forward and interleaved by ONNX ops.
     */
    private static void tile(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        int rank = c.shape(n.getInput(0)).length;
        String repeats = n.getInput(1);
        c.constantLongs(repeats).ifPresent(rp -> {
            for (int i = 0; i < rp.length; i++) {
                if (rp[i] != 1 && c.isBatchAxis(n.getInput(0), i)) {
                    throw c.unsupported(n, "it repeats the batch axis");
                }
            }
        });
        String dims = e.shapeOf(n.getInput(0));
        // [rank] and [rank] -> [rank, 2] -> [2 rank]: r0, d0, r1, d1, ...
        String pairs = e.concat(List.of(e.unsqueeze(repeats, 1), e.unsqueeze(dims, 1)), 1);
        String split = e.reshape(c.gradOut(), e.reshape(pairs, e.longs(2L * rank)));
        long[] even = new long[rank];
        for (int i = 0; i < rank; i++) {
            even[i] = 2L * i;
        }
        c.setInputGradient(0, e.reduceSum(split, even, false));
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
        if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
            throw c.unsupported(n, "padding with an axes input is not supported");
        }
        if (c.emit().opset() >= 11 && c.constantLongs(n.getInput(1)).isEmpty()) {
            padAtRunTime(n, c, rank);
            return;
        }
        long[] pads = c.emit().opset() < 11 ? Attributes.getInts(n, "pads", null) : constantInput(n, c, 1);
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
        int batch = -1;
        for (int i = 0; i < rank && batch < 0; i++) {
            batch = c.isBatchAxis(n.getInput(0), i) ? i : -1;
        }
        int kept = batch < 0 ? rank : rank - 1;
        long[] s2 = new long[kept];
        long[] e2 = new long[kept];
        long[] a2 = new long[kept];
        for (int i = 0, j = 0; i < rank; i++) {
            if (i != batch) {
                s2[j] = starts[i];
                e2[j] = ends[i];
                a2[j++] = axes[i];
            }
        }
        c.setInputGradient(0, c.emit().slice(c.gradOut(), s2, e2, a2));
    }
}
