package org.xgradcam.autodiff.rules;

import java.util.Arrays;
import java.util.List;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.autodiff.GradientRegistry;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/**
 * Conv and the pools. Every backward here is a ConvTranspose: with the conv's own weights for
 * Conv, with one-hot kernels picked by MaxPool's Indices output (a scatter-add that needs no
 * opset-16 ScatterElements), with averaging kernels for AveragePool.
 */
public final class ConvolutionRules {
    private ConvolutionRules() {}

    public static void register(GradientRegistry r) {
        r.register("Conv", ConvolutionRules::conv);
        r.register("ConvTranspose", ConvolutionRules::convTranspose);
        r.register("MaxPool", ConvolutionRules::maxPool);
        r.register("AveragePool", ConvolutionRules::averagePool);
        r.register("GlobalAveragePool", ConvolutionRules::globalAveragePool);
        r.register("GlobalMaxPool", ConvolutionRules::globalMaxPool);
        r.register("LRN", ConvolutionRules::lrn);
    }

    private static void conv(NodeProto n, BackwardContext c) {
        if (c.wantsGradient(1) || (n.getInputCount() > 2 && c.wantsGradient(2))) {
            throw c.unsupported(n, "its weights or bias depend on the target layer");
        }
        long[] w = c.shape(n.getInput(1));
        long[] kernel = Arrays.copyOfRange(w, 2, w.length);
        Window win = Window.of(n, c, kernel);
        long group = Attributes.getInt(n, "group", 1);
        // Conv weights [M, C/g, k...] are exactly ConvTranspose weights [M, C/g, k...] mapping M -> C.
        c.setInputGradient(0, win.scatter(c.emit(), c.gradOut(), n.getInput(1), group));
    }

    /**
     * ConvTranspose's backward is the Conv with the same weights, strides, pads, dilations and
     * group ([C_in, C_out/g, k...] is a Conv weight mapping C_out to C_in); output_padding only
     * added rows the Conv never reads.
     */
    private static void convTranspose(NodeProto n, BackwardContext c) {
        if (c.wantsGradient(1) || (n.getInputCount() > 2 && c.wantsGradient(2))) {
            throw c.unsupported(n, "its weights or bias depend on the target layer");
        }
        String autoPad = Attributes.getString(n, "auto_pad", "NOTSET");
        if (!autoPad.equals("NOTSET") || Attributes.find(n, "output_shape").isPresent()) {
            throw c.unsupported(n, "ConvTranspose with auto_pad or output_shape is not supported; give explicit pads");
        }
        long[] w = c.shape(n.getInput(1));
        int s = w.length - 2;
        long[] kernel = Arrays.copyOfRange(w, 2, w.length);
        c.setInputGradient(0, c.emit().op("Conv", List.of(c.gradOut(), n.getInput(1)),
                Attributes.ofInts("kernel_shape", kernel),
                Attributes.ofInts("strides", Attributes.getInts(n, "strides", Window.ones(s))),
                Attributes.ofInts("dilations", Attributes.getInts(n, "dilations", Window.ones(s))),
                Attributes.ofInts("pads", Attributes.getInts(n, "pads", new long[2 * s])),
                Attributes.ofInt("group", Attributes.getInt(n, "group", 1))));
    }

    private static void maxPool(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        if (Attributes.getInt(n, "storage_order", 0) != 0) {
            throw c.unsupported(n, "column-major storage_order is not supported");
        }
        long[] kernel = Attributes.getInts(n, "kernel_shape", null);
        Window win = Window.of(n, c, kernel);
        long[] x = c.shape(n.getInput(0));
        long[] y = c.shape(n.getOutput(0));
        int s = win.spatialRank();
        long channels = x[1];
        long k = win.kernelSize();
        // which position of its window each output took its value from
        String offset = e.opset() >= 8 ? offsetFromIndices(e, indices(n, c), win)
                : offsetFromValues(e, n, win, channels, oneHotKernels(channels, k, kernel, s));
        // one-hot over the k window positions, as k channels per input channel: [N, C, k, out...]
        long[] range = new long[(int) k];
        for (int i = 0; i < k; i++) {
            range[i] = i;
        }
        long[] rangeDims = new long[s + 3];
        Arrays.fill(rangeDims, 1);
        rangeDims[2] = k;
        String hot = e.mask(e.op("Equal", List.of(e.unsqueeze(offset, 2), e.longsShaped(range, rangeDims))));
        String spread = e.mul(hot, e.unsqueeze(c.gradOut(), 2));
        long[] grouped = new long[s + 2];
        grouped[1] = channels * k;
        System.arraycopy(y, 2, grouped, 2, s);
        String z = e.reshapeKeepBatch(spread, grouped);
        c.setInputGradient(0, win.scatter(e, z, e.constant(oneHotKernels(channels, k, kernel, s), wDims(channels * k, kernel)), channels));
    }

    /**
     * MaxPool's Indices. Over quantized integers ONNX Runtime breaks ties among equal values
     * (common on an 8-bit grid) its own way: the argmax is then taken by a float MaxPool over the
     * integers cast to float, the same order, so ties go where the float model's (and torch's) go.
     */
    private static String indices(NodeProto n, BackwardContext c) {
        boolean floating = c.shapes().find(n.getInput(0)).map(t -> t.isFloating()).orElse(true);
        if (floating) {
            return c.requireForwardOutput(n, 1);
        }
        Emitter e = c.emit();
        String asFloat = e.op("Cast", n.getInput(0), Attributes.ofInt("to", TensorProto.DataType.FLOAT_VALUE));
        NodeProto.Builder pool = NodeProto.newBuilder(n).clearInput().clearOutput().setName(e.fresh("argmax") + "_node")
                .addInput(asFloat).addOutput(e.fresh("pooled")).addOutput(e.fresh("indices"));
        e.nodes().add(pool.build());
        return pool.getOutput(1);
    }

    private static long[] wDims(long outChannels, long[] kernel) {
        long[] d = new long[kernel.length + 2];
        d[0] = outChannels;
        d[1] = 1;
        System.arraycopy(kernel, 0, d, 2, kernel.length);
        return d;
    }

    /** Weights [C*k, 1, kernel...]: channel (c, o) of group c is one-hot at window position o. */
    private static float[] oneHotKernels(long channels, long k, long[] kernel, int s) {
        float[] w = new float[Math.toIntExact(channels * k * k)];
        for (int ch = 0; ch < channels; ch++) {
            for (int o = 0; o < k; o++) {
                w[Math.toIntExact((ch * k + o) * k + o)] = 1f;
            }
        }
        return w;
    }

    /**
     * Each window's argmax as an offset into the window, read off MaxPool's flat Indices:
     * o = sum_j ((coord_j - start_j) / dil_j) * kstride_j, coord_j the argmax position on axis j.
     */
    private static String offsetFromIndices(Emitter e, String indices, Window win) {
        int s = win.spatialRank();
        String offset = null;
        long inner = 1;
        long kinner = 1;
        for (int j = s - 1; j >= 0; j--) {
            String scaled = inner == 1 ? indices : e.div(indices, e.longs(inner));
            // coord = scaled mod in_j, spelled with Div/Mul/Sub so it works before opset 10's Mod
            String coord = e.sub(scaled, e.mul(e.div(scaled, e.longs(win.in[j])), e.longs(win.in[j])));
            long[] starts = new long[(int) win.out[j]];
            for (int o = 0; o < starts.length; o++) {
                starts[o] = o * win.strides[j] - win.padBegin[j];
            }
            long[] dims = new long[s + 2];
            Arrays.fill(dims, 1);
            dims[2 + j] = win.out[j];
            String rel = e.sub(coord, e.longsShaped(starts, dims));
            if (win.dilations[j] != 1) {
                rel = e.div(rel, e.longs(win.dilations[j]));
            }
            String term = kinner == 1 ? rel : e.mul(rel, e.longs(kinner));
            offset = offset == null ? term : e.add(offset, term);
            inner *= win.in[j];
            kinner *= win.kernel[j];
        }
        return offset;
    }

    /**
     * Before opset 8 MaxPool has no Indices output: gather every window's values with a one-hot
     * grouped Conv over the input padded with -1e30, and take the first position equal to the max.
     */
    private static String offsetFromValues(Emitter e, NodeProto n, Window win, long channels, float[] oneHot) {
        int s = win.spatialRank();
        long k = win.kernelSize();
        long[] pads = new long[2 * (s + 2)];
        for (int j = 0; j < s; j++) {
            long needed = (win.out[j] - 1) * win.strides[j] + (win.kernel[j] - 1) * win.dilations[j] + 1;
            pads[2 + j] = win.padBegin[j];
            pads[s + 4 + j] = Math.max(win.padEnd[j], needed - win.in[j] - win.padBegin[j]);
        }
        String padded = e.op("Pad", n.getInput(0), Attributes.ofInts("pads", pads), Attributes.ofFloat("value", -1e30f));
        String values = e.op("Conv", List.of(padded, e.constant(oneHot, wDims(channels * k, win.kernel))),
                Attributes.ofInts("kernel_shape", win.kernel), Attributes.ofInts("strides", win.strides),
                Attributes.ofInts("dilations", win.dilations), Attributes.ofInt("group", channels));
        long[] grouped = new long[s + 3];
        grouped[1] = channels;
        grouped[2] = k;
        System.arraycopy(win.out, 0, grouped, 3, s);
        String windows = e.reshapeKeepBatch(values, grouped);
        // a window value is never above the max, so "equal" is "not less" (float Equal needs opset 11)
        String isMax = e.mask(e.op("Not", e.less(windows, e.unsqueeze(n.getOutput(0), 2))));
        float[] rank = new float[(int) k];
        for (int o = 0; o < k; o++) {
            rank[o] = k - o; // earlier positions score higher: ArgMax picks the first maximum
        }
        long[] rankDims = new long[s + 3];
        Arrays.fill(rankDims, 1);
        rankDims[2] = k;
        return e.op("ArgMax", e.mul(isMax, e.constant(rank, rankDims)), Attributes.ofInt("axis", 2),
                Attributes.ofInt("keepdims", 0));
    }

    private static void averagePool(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        long[] kernel = Attributes.getInts(n, "kernel_shape", null);
        Window win = Window.of(n, c, kernel);
        if (Arrays.stream(win.dilations).anyMatch(d -> d != 1)) {
            throw c.unsupported(n, "dilated average pooling is not supported");
        }
        boolean includePad = Attributes.getInt(n, "count_include_pad", 0) != 0;
        long[] x = c.shape(n.getInput(0));
        int s = win.spatialRank();
        long channels = x[1];
        // ONNX Runtime's divisor per window: the whole kernel when pads count (even for ceil_mode
        // windows that hang past the padded input, where torch would clip), else the part of the
        // window inside the input.
        int outCount = 1;
        for (long o : win.out) {
            outCount *= (int) o;
        }
        float[] inv = new float[outCount];
        for (int idx = 0; idx < outCount; idx++) {
            int rest = idx;
            long size = 1;
            for (int j = s - 1; j >= 0; j--) {
                long o = rest % win.out[j];
                rest /= (int) win.out[j];
                long start = o * win.strides[j] - win.padBegin[j];
                long clipped = Math.min(start + win.kernel[j], win.in[j]) - Math.max(start, 0);
                size *= includePad ? win.kernel[j] : clipped;
            }
            inv[idx] = 1f / size;
        }
        long[] invDims = new long[s + 2];
        invDims[0] = 1;
        invDims[1] = 1;
        System.arraycopy(win.out, 0, invDims, 2, s);
        String scaled = e.mul(c.gradOut(), e.constant(inv, invDims));
        long k = win.kernelSize();
        long[] wDims = new long[s + 2];
        wDims[0] = channels;
        wDims[1] = 1;
        System.arraycopy(kernel, 0, wDims, 2, s);
        float[] w = new float[Math.toIntExact(channels * k)];
        Arrays.fill(w, 1f);
        c.setInputGradient(0, win.scatter(e, scaled, e.constant(w, wDims), channels));
    }

    /** Broadcasts g (x's shape with 1s on reduced axes) back over x's shape, times a factor. */
    static String spread(Emitter e, String g, String x, long[] xShape, float factor) {
        String scaled = factor == 1f ? g : e.mul(g, e.scalar(factor));
        if (e.opset() >= 8) {
            return e.op("Expand", List.of(scaled, e.shapeOf(x)));
        }
        long[] dims = xShape.clone();
        dims[0] = 1;
        float[] ones = new float[Math.toIntExact(org.xgradcam.tensor.FloatTensor.numel(dims))];
        Arrays.fill(ones, 1f);
        return e.mul(scaled, e.constant(ones, dims));
    }

    private static void globalAveragePool(NodeProto n, BackwardContext c) {
        long[] x = c.shape(n.getInput(0));
        long area = 1;
        for (int i = 2; i < x.length; i++) {
            area *= x[i];
        }
        c.setInputGradient(0, spread(c.emit(), c.gradOut(), n.getInput(0), x, 1f / area));
    }

    private static void globalMaxPool(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        long[] x = c.shape(n.getInput(0));
        long area = 1;
        for (int i = 2; i < x.length; i++) {
            area *= x[i];
        }
        // the first maximum of each channel takes the gradient, as torch's max does
        String flat = e.reshapeKeepBatch(n.getInput(0), new long[] {0, x[1], area});
        String arg = e.op("ArgMax", flat, Attributes.ofInt("axis", 2), Attributes.ofInt("keepdims", 1));
        long[] range = new long[(int) area];
        for (int i = 0; i < area; i++) {
            range[i] = i;
        }
        String hot = e.mask(e.op("Equal", List.of(arg, e.longsShaped(range, 1, 1, area))));
        String g = e.reshapeKeepBatch(c.gradOut(), new long[] {0, x[1], 1});
        c.setInputGradient(0, e.reshapeKeepBatch(e.mul(hot, g), x));
    }

    private static void lrn(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        float alpha = Attributes.getFloat(n, "alpha", 1e-4f);
        float beta = Attributes.getFloat(n, "beta", 0.75f);
        float bias = Attributes.getFloat(n, "bias", 1f);
        long size = Attributes.getInt(n, "size", 1);
        long[] xs = c.shape(n.getInput(0));
        if (xs.length != 4) {
            throw c.unsupported(n, "only 4-D LRN is supported");
        }
        String x = n.getInput(0);
        long lo = (size - 1) / 2;
        long hi = size - 1 - lo;
        // d = bias + alpha/size * sum over the channel window [c-lo, c+hi] of x^2
        String d = e.add(e.scalar(bias), e.mul(channelWindowSum(e, e.mul(x, x), xs, size, lo, hi), e.scalar(alpha / size)));
        String dPowBeta = e.op("Pow", List.of(d, e.scalar(beta)));
        String direct = e.div(c.gradOut(), dPowBeta);
        // cross term: -2 alpha beta / size * x_c * sum over c' whose window holds c of g y / d
        String t = e.div(e.mul(c.gradOut(), n.getOutput(0)), d);
        String cross = e.mul(e.mul(x, channelWindowSum(e, t, xs, size, hi, lo)), e.scalar(-2f * alpha * beta / size));
        c.setInputGradient(0, e.add(direct, cross));
    }

    /** Sum over channels [c - before, c + after] (zero outside), as a 3-D convolution. */
    private static String channelWindowSum(Emitter e, String v, long[] xs, long size, long before, long after) {
        String u = e.unsqueeze(v, 1); // [N, 1, C, H, W]
        float[] ones = new float[(int) size];
        Arrays.fill(ones, 1f);
        String w = e.constant(ones, 1, 1, size, 1, 1);
        String conv = e.op("Conv", List.of(u, w), Attributes.ofInts("kernel_shape", size, 1, 1),
                Attributes.ofInts("pads", before, 0, 0, after, 0, 0));
        return e.reshapeKeepBatch(conv, xs);
    }
}
