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
        r.register("ReduceMean", (n, c) -> reduce(n, c, Reduction.MEAN));
        r.register("ReduceSum", (n, c) -> reduce(n, c, Reduction.SUM));
        r.register("ReduceSumSquare", (n, c) -> reduce(n, c, Reduction.SUM_SQUARE));
        r.register("ReduceL1", (n, c) -> reduce(n, c, Reduction.L1));
        r.register("ReduceL2", (n, c) -> reduce(n, c, Reduction.L2));
        r.register("ReduceLogSumExp", (n, c) -> reduce(n, c, Reduction.LOG_SUM_EXP));
        r.register("ReduceMax", (n, c) -> reduce(n, c, Reduction.MAX));
        r.register("ReduceMin", (n, c) -> reduce(n, c, Reduction.MIN));
        r.register("ReduceProd", (n, c) -> reduce(n, c, Reduction.PROD));
    }

    /** The Reduce ops with a gradient, each dy/dx given y's gradient spread back over x. */
    private enum Reduction { SUM, MEAN, SUM_SQUARE, L1, L2, LOG_SUM_EXP, MAX, MIN, PROD }

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

    /**
     * The Reduce family. The output's gradient (and, where the rule needs it, the output itself)
     * is spread back over the reduced axes, then: sum 1, mean 1/count, sum of squares 2x, L1
     * sign(x), L2 x/y (0 where y is 0), log-sum-exp exp(x - y), max and min the indicator of the
     * entries equal to y shared equally between ties (as torch's amax), product y/x (at a zero the
     * product of the others, 0 with two zeros or more).
     */
    private static void reduce(NodeProto n, BackwardContext c, Reduction kind) {
        Emitter e = c.emit();
        long[] xs = c.shape(n.getInput(0));
        // axes as an input: ReduceSum from opset 13, the others from 18
        boolean axesAsInput = kind == Reduction.SUM ? e.opset() >= 13 : e.opset() >= 18;
        long[] axes;
        if (axesAsInput && n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
            axes = c.constantLongs(n.getInput(1))
                    .orElseThrow(() -> c.unsupported(n, "its axes are not a constant"));
        } else {
            axes = Attributes.getInts(n, "axes", null);
        }
        if (axes == null || axes.length == 0) {
            if (Attributes.getInt(n, "noop_with_empty_axes", 0) != 0) {
                // no reduction at all: sum, mean, max, min and product are x itself
                c.setInputGradient(0, switch (kind) {
                    case SUM, MEAN, MAX, MIN, PROD, LOG_SUM_EXP -> c.gradOut();
                    case SUM_SQUARE -> e.mul(c.gradOut(), e.mul(n.getInput(0), e.scalar(2f)));
                    case L1, L2 -> e.mul(c.gradOut(), e.op("Sign", n.getInput(0)));
                });
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
        boolean batchReduced = false;
        for (long a : axes) {
            batchReduced |= c.isBatchAxis(n.getInput(0), (int) (a < 0 ? a + xs.length : a));
        }
        if (batchReduced) {
            throw c.unsupported(n, "it reduces over the batch axis");
        }
        boolean dropped = Attributes.getInt(n, "keepdims", 1) == 0;
        String g = keptDims(e, c.gradOut(), dropped, kept, xs);
        String x = n.getInput(0);
        if (kind == Reduction.SUM || kind == Reduction.MEAN) {
            c.setInputGradient(0, ConvolutionRules.spread(e, g, x, xs, kind == Reduction.MEAN ? 1f / count : 1f));
            return;
        }
        String spreadG = ConvolutionRules.spread(e, g, x, xs, 1f);
        String y = keptDims(e, n.getOutput(0), dropped, kept, xs); // broadcasts against x
        String local = switch (kind) {
            case SUM_SQUARE -> e.mul(x, e.scalar(2f));
            case L1 -> e.op("Sign", x);
            case L2 -> e.div(x, e.op("Max", List.of(y, e.scalar(Float.MIN_NORMAL)))); // y = 0 only where x is all 0
            case LOG_SUM_EXP -> e.op("Exp", e.sub(x, y));
            case MAX, MIN -> {
                // "equal to the extreme" is "not beyond it" (float Equal needs opset 11)
                String hit = e.mask(e.op("Not", kind == Reduction.MAX ? e.less(x, y) : e.greater(x, y)));
                yield e.div(hit, e.reduceSum(hit, axes, true));
            }
            case PROD -> product(e, x, y, axes);
            default -> throw new IllegalStateException(kind.name());
        };
        c.setInputGradient(0, e.mul(spreadG, local));
    }

    /** A reduction's tensor (its output or gradient) with the reduced axes kept as 1s. */
    private static String keptDims(Emitter e, String t, boolean dropped, long[] kept, long[] xs) {
        if (!dropped) {
            return t;
        }
        return kept[0] == 1 && xs[0] != 1 ? e.reshape(t, e.longs(kept)) : e.reshapeKeepBatch(t, kept);
    }

    /** d prod / dx_i: y / x_i where x_i is not 0; at a zero, the product of the others when it is the only one; else 0. */
    private static String product(Emitter e, String x, String y, long[] axes) {
        String zero = e.mask(e.and(e.op("Not", e.less(x, e.scalar(0f))), e.op("Not", e.greater(x, e.scalar(0f)))));
        String one = e.scalar(1f);
        String safe = e.add(x, zero);                      // the zeros made 1
        String zeros = e.reduceSum(zero, axes, true);     // how many zeros each product has
        String others = reduceProd(e, safe, axes);        // the product of the non-zero entries
        String single = e.mask(e.and(e.op("Not", e.less(zeros, one)), e.op("Not", e.greater(zeros, one))));
        // non-zero entries: y / x (y is 0 where the product has a zero); zeros: the others' product, if alone
        return e.add(e.mul(e.sub(one, zero), e.div(y, safe)), e.mul(zero, e.mul(single, others)));
    }

    private static String reduceProd(Emitter e, String x, long[] axes) {
        if (e.opset() >= 18) {
            return e.op("ReduceProd", List.of(x, e.longs(axes)), Attributes.ofInt("keepdims", 1));
        }
        return e.op("ReduceProd", x, Attributes.ofInts("axes", axes), Attributes.ofInt("keepdims", 1));
    }
}
