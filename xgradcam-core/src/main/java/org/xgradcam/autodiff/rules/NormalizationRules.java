package org.xgradcam.autodiff.rules;

import java.util.List;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.autodiff.GradientRegistry;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/** Normalisations and reductions: BatchNorm (inference), LayerNorm, Softmax, LogSoftmax, ReduceMean/Sum. */
public final class NormalizationRules {
    private NormalizationRules() {}

    public static void register(GradientRegistry r) {
        r.register("BatchNormalization", NormalizationRules::batchNorm);
        r.register("LayerNormalization", NormalizationRules::layerNorm);
        r.register("InstanceNormalization", NormalizationRules::instanceNorm);
        r.register("Softmax", (n, c) -> softmax(n, c, false));
        r.register("LogSoftmax", (n, c) -> softmax(n, c, true));
        r.register("ReduceMean", (n, c) -> reduce(n, c, true));
        r.register("ReduceSum", (n, c) -> reduce(n, c, false));
    }

    private static void batchNorm(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        if (Attributes.getInt(n, "training_mode", 0) != 0) {
            throw c.unsupported(n, "training-mode batch normalisation is not supported; export the model in eval mode");
        }
        for (int i = 1; i < n.getInputCount(); i++) {
            if (c.wantsGradient(i)) {
                throw c.unsupported(n, "its parameters depend on the target layer");
            }
        }
        float eps = Attributes.getFloat(n, "epsilon", 1e-5f);
        long[] xs = c.shape(n.getInput(0));
        long[] scaleShape = c.shape(n.getInput(1));
        // y = (x - mean) * scale / sqrt(var + eps) + b, so dy/dx = scale / sqrt(var + eps) per channel
        String factor = e.div(n.getInput(1), e.op("Sqrt", e.add(n.getInput(4), e.scalar(eps))));
        long[] target = new long[xs.length - 1];
        java.util.Arrays.fill(target, 1);
        System.arraycopy(scaleShape, 0, target, 0, scaleShape.length); // [C, 1, 1] or opset-7 spatial=0 [C, H, W]
        String f = e.reshape(factor, e.longs(target));
        c.setInputGradient(0, e.mul(c.gradOut(), f));
    }

    private static long[] axesFrom(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        long[] axes = new long[(int) (rank - a)];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = a + i;
        }
        return axes;
    }

    private static void layerNorm(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        if (c.wantsGradient(1) || (n.getInputCount() > 2 && c.wantsGradient(2))) {
            throw c.unsupported(n, "its scale or bias depend on the target layer");
        }
        long[] xs = c.shape(n.getInput(0));
        long[] axes = axesFrom(Attributes.getInt(n, "axis", -1), xs.length);
        long count = 1;
        for (long a : axes) {
            count *= xs[(int) a];
        }
        String x = n.getInput(0);
        String mean = c.requireForwardOutput(n, 1);
        String invStd = c.requireForwardOutput(n, 2);
        java.util.List<String> parts = new java.util.ArrayList<>();
        if (c.outputGradient(0).isPresent()) {
            String xhat = e.mul(e.sub(x, mean), invStd);
            String gx = e.mul(c.gradOut(), n.getInput(1));
            String meanG = e.mul(e.reduceSum(gx, axes, true), e.scalar(1f / count));
            String meanGx = e.mul(e.reduceSum(e.mul(gx, xhat), axes, true), e.scalar(1f / count));
            // dx = invStd * (g' - mean(g') - xhat * mean(g' xhat)), g' = g * scale
            parts.add(e.mul(invStd, e.sub(e.sub(gx, meanG), e.mul(xhat, meanGx))));
        }
        // a second differentiation pass also reaches the saved mean and inverse std, which the
        // first pass's backward used: d mean / dx = 1 / count, d invStd / dx = -invStd^3 (x - mean) / count
        if (c.outputGradient(1).isPresent()) {
            parts.add(e.add(e.zerosLike(x), e.mul(c.outputGradient(1).get(), e.scalar(1f / count))));
        }
        if (c.outputGradient(2).isPresent()) {
            String cube = e.mul(invStd, e.mul(invStd, invStd));
            parts.add(e.mul(e.mul(c.outputGradient(2).get(), e.neg(cube)), e.mul(e.sub(x, mean), e.scalar(1f / count))));
        }
        if (!parts.isEmpty()) {
            c.setInputGradient(0, parts.size() == 1 ? parts.get(0) : e.sum(parts));
        }
    }

    /**
     * InstanceNormalization (as torch exports GroupNorm): per sample and channel,
     * y = scale * (x - mean) / sqrt(var + eps) + B over the spatial axes; the backward is
     * LayerNorm's over those axes, with the statistics recomputed (the op does not output them).
     */
    private static void instanceNorm(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        if (c.wantsGradient(1) || c.wantsGradient(2)) {
            throw c.unsupported(n, "its scale or bias depend on the target layer");
        }
        long[] xs = c.shape(n.getInput(0));
        long[] axes = axesFrom(2, xs.length);
        long count = 1;
        for (long a : axes) {
            count *= xs[(int) a];
        }
        float eps = Attributes.getFloat(n, "epsilon", 1e-5f);
        String x = n.getInput(0);
        String inv = e.scalar(1f / count);
        String mean = e.mul(e.reduceSum(x, axes, true), inv);
        String centred = e.sub(x, mean);
        String var = e.mul(e.reduceSum(e.mul(centred, centred), axes, true), inv);
        String invStd = e.op("Reciprocal", e.op("Sqrt", e.add(var, e.scalar(eps))));
        long[] scaleShape = new long[xs.length - 1];
        java.util.Arrays.fill(scaleShape, 1);
        scaleShape[0] = xs[1];
        String scale = e.reshape(n.getInput(1), e.longs(scaleShape));
        String xhat = e.mul(centred, invStd);
        String gx = e.mul(c.gradOut(), scale);
        String meanG = e.mul(e.reduceSum(gx, axes, true), inv);
        String meanGx = e.mul(e.reduceSum(e.mul(gx, xhat), axes, true), inv);
        c.setInputGradient(0, e.mul(invStd, e.sub(e.sub(gx, meanG), e.mul(xhat, meanGx))));
    }

    private static void softmax(NodeProto n, BackwardContext c, boolean log) {
        Emitter e = c.emit();
        int rank = c.shape(n.getInput(0)).length;
        long axis = Attributes.getInt(n, "axis", e.opset() >= 13 ? -1 : 1);
        // before opset 13 the op normalises over all axes from `axis` on (input coerced to 2-D)
        long[] axes = e.opset() >= 13 ? new long[] {axis < 0 ? axis + rank : axis} : axesFrom(axis, rank);
        String y = n.getOutput(0);
        String g = c.gradOut();
        if (log) {
            // y = x - logsumexp(x): dx = g - softmax(x) * sum(g)
            c.setInputGradient(0, e.sub(g, e.mul(e.op("Exp", y), e.reduceSum(g, axes, true))));
        } else {
            // dx = y * (g - sum(g * y))
            c.setInputGradient(0, e.mul(y, e.sub(g, e.reduceSum(e.mul(g, y), axes, true))));
        }
    }

    private static void reduce(NodeProto n, BackwardContext c, boolean mean) {
        Emitter e = c.emit();
        long[] xs = c.shape(n.getInput(0));
        boolean axesAsInput = mean ? e.opset() >= 18 : e.opset() >= 13;
        long[] axes;
        if (axesAsInput && n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
            axes = c.constantLongs(n.getInput(1))
                    .orElseThrow(() -> c.unsupported(n, "its axes are not a constant"));
        } else {
            axes = Attributes.getInts(n, "axes", null);
        }
        if (axes == null || axes.length == 0) {
            if (Attributes.getInt(n, "noop_with_empty_axes", 0) != 0) {
                c.setInputGradient(0, c.gradOut());
                return;
            }
            axes = new long[xs.length];
            for (int i = 0; i < xs.length; i++) {
                axes[i] = i;
            }
        }
        long count = 1;
        long[] kept = xs.clone();
        for (long a : axes) {
            int ax = (int) (a < 0 ? a + xs.length : a);
            count *= xs[ax];
            kept[ax] = 1;
        }
        String g = c.gradOut();
        if (Attributes.getInt(n, "keepdims", 1) == 0) {
            g = kept[0] == 1 && xs[0] != 1 ? e.reshape(g, e.longs(kept)) : e.reshapeKeepBatch(g, kept);
        }
        boolean batchReduced = false;
        for (long a : axes) {
            batchReduced |= (a < 0 ? a + xs.length : a) == 0;
        }
        if (batchReduced && !c.singleImage()) {
            throw c.unsupported(n, "it reduces over the batch axis");
        }
        c.setInputGradient(0, ConvolutionRules.spread(e, g, n.getInput(0), xs, mean ? 1f / count : 1f));
    }
}
