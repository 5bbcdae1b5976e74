package org.xgradcam.autodiff.rules;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.proto.OnnxProto.AttributeProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * The sliding-window geometry shared by Conv and the pools, with auto_pad resolved to explicit
 * pads from the static shapes, and the ConvTranspose that scatters window values back onto the
 * input grid at exactly the input's size.
 */
final class Window {
    final long[] in;      // spatial input size
    final long[] out;     // spatial output size
    final long[] kernel;
    final long[] strides;
    final long[] dilations;
    final long[] padBegin;
    final long[] padEnd;

    private Window(long[] in, long[] out, long[] kernel, long[] strides, long[] dilations, long[] padBegin, long[] padEnd) {
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.strides = strides;
        this.dilations = dilations;
        this.padBegin = padBegin;
        this.padEnd = padEnd;
    }

    static Window of(NodeProto n, BackwardContext c, long[] kernel) {
        long[] x = c.shape(n.getInput(0));
        long[] y = c.shape(n.getOutput(0));
        int s = x.length - 2;
        long[] in = Arrays.copyOfRange(x, 2, x.length);
        long[] out = Arrays.copyOfRange(y, 2, y.length);
        long[] strides = Attributes.getInts(n, "strides", ones(s));
        long[] dil = Attributes.getInts(n, "dilations", ones(s));
        long[] pads = Attributes.getInts(n, "pads", new long[2 * s]);
        String autoPad = Attributes.getString(n, "auto_pad", "NOTSET");
        long[] begin = Arrays.copyOfRange(pads, 0, s);
        long[] end = Arrays.copyOfRange(pads, s, 2 * s);
        if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
            for (int i = 0; i < s; i++) {
                long total = Math.max(0, (out[i] - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - in[i]);
                long small = total / 2;
                begin[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
                end[i] = total - begin[i];
            }
        } else if (autoPad.equals("VALID")) {
            Arrays.fill(begin, 0);
            Arrays.fill(end, 0);
        }
        return new Window(in, out, kernel, strides, dil, begin, end);
    }

    static long[] ones(int n) {
        long[] a = new long[n];
        Arrays.fill(a, 1);
        return a;
    }

    int spatialRank() {
        return in.length;
    }

    long kernelSize() {
        long k = 1;
        for (long v : kernel) {
            k *= v;
        }
        return k;
    }

    /**
     * ConvTranspose(x, w) with this window's strides, dilations and pads, sized to the input:
     * the natural transpose size is corrected with output_padding when short and with extra end
     * cropping when long (ceil_mode windows that hang past the input).
     */
    String scatter(Emitter e, String x, String weights, long group) {
        int s = spatialRank();
        long[] outPad = new long[s];
        long[] pads = new long[2 * s];
        for (int i = 0; i < s; i++) {
            long natural = strides[i] * (out[i] - 1) + (kernel[i] - 1) * dilations[i] + 1 - padBegin[i] - padEnd[i];
            pads[i] = padBegin[i];
            pads[s + i] = padEnd[i];
            if (natural < in[i]) {
                outPad[i] = in[i] - natural;
            } else {
                pads[s + i] += natural - in[i];
            }
        }
        List<AttributeProto> attrs = new ArrayList<>(List.of(
                Attributes.ofInts("kernel_shape", kernel),
                Attributes.ofInts("strides", strides),
                Attributes.ofInts("dilations", dilations),
                Attributes.ofInts("pads", pads),
                Attributes.ofInt("group", group)));
        if (Arrays.stream(outPad).anyMatch(v -> v != 0)) {
            attrs.add(Attributes.ofInts("output_padding", outPad));
        }
        return e.op("ConvTranspose", List.of(x, weights), attrs.toArray(AttributeProto[]::new));
    }
}
