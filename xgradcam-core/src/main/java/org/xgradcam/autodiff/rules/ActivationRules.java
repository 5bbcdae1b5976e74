package org.xgradcam.autodiff.rules;

import java.util.List;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.autodiff.GradientRegistry;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * Pointwise nonlinearities. Masks of piecewise ops use strict comparisons, as torch does for
 * ReLU and ReLU6 (hardtanh): at a kink the gradient is 0.
 */
public final class ActivationRules {
    private ActivationRules() {}

    public static void register(GradientRegistry r) {
        r.register("Relu", (n, c) -> relu(n, c, false));
        r.register("LeakyRelu", ActivationRules::leakyRelu);
        r.register("PRelu", ActivationRules::prelu);
        r.register("Elu", ActivationRules::elu);
        r.register("Clip", ActivationRules::clip);
        r.register("Sigmoid", ActivationRules::sigmoid);
        r.register("HardSigmoid", ActivationRules::hardSigmoid);
        r.register("HardSwish", ActivationRules::hardSwish);
        r.register("Tanh", ActivationRules::tanh);
        r.register("Erf", ActivationRules::erf);
        r.register("Gelu", ActivationRules::gelu);
        r.register("Softplus", (n, c) -> c.setInputGradient(0, c.emit().mul(c.gradOut(), c.emit().op("Sigmoid", n.getInput(0)))));
        r.register("Abs", ActivationRules::abs);
        r.register("Selu", ActivationRules::selu);
        r.register("Pow", ActivationRules::pow);
        r.register("Sqrt", ActivationRules::sqrt);
        r.register("Exp", (n, c) -> c.setInputGradient(0, c.emit().mul(c.gradOut(), n.getOutput(0))));
        r.register("Log", (n, c) -> c.setInputGradient(0, c.emit().div(c.gradOut(), n.getInput(0))));
        r.register("Reciprocal", (n, c) -> {
            Emitter e = c.emit();
            c.setInputGradient(0, e.neg(e.mul(c.gradOut(), e.mul(n.getOutput(0), n.getOutput(0)))));
        });
    }

    /**
     * ReLU's rule; the guided variant (Springenberg et al. 2015, as used by Guided Grad-CAM) also
     * drops negative incoming gradients.
     */
    public static void relu(NodeProto n, BackwardContext c, boolean guided) {
        Emitter e = c.emit();
        String g = c.gradOut();
        if (guided) {
            g = e.op("Relu", g);
        }
        c.setInputGradient(0, e.mul(g, e.mask(e.greater(n.getInput(0), e.scalar(0f)))));
    }

    private static void leakyRelu(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        float alpha = Attributes.getFloat(n, "alpha", 0.01f);
        String pos = e.mask(e.greater(n.getInput(0), e.scalar(0f)));
        // factor = pos + (1 - pos) * alpha = pos * (1 - alpha) + alpha
        String factor = e.add(e.mul(pos, e.scalar(1f - alpha)), e.scalar(alpha));
        c.setInputGradient(0, e.mul(c.gradOut(), factor));
    }

    private static void prelu(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        if (c.wantsGradient(1)) {
            throw c.unsupported(n, "the slope depends on the target layer");
        }
        String pos = e.mask(e.greater(n.getInput(0), e.scalar(0f)));
        String neg = e.sub(e.scalar(1f), pos);
        String factor = e.add(pos, e.mul(neg, n.getInput(1)));
        c.setInputGradient(0, e.mul(c.gradOut(), factor));
    }

    private static void elu(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        float alpha = Attributes.getFloat(n, "alpha", 1f);
        String pos = e.mask(e.greater(n.getInput(0), e.scalar(0f)));
        String neg = e.sub(e.scalar(1f), pos);
        // for x <= 0: y = alpha (exp(x) - 1), dy/dx = y + alpha
        String factor = e.add(pos, e.mul(neg, e.add(n.getOutput(0), e.scalar(alpha))));
        c.setInputGradient(0, e.mul(c.gradOut(), factor));
    }

    private static void clip(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String x = n.getInput(0);
        String min;
        String max;
        if (e.opset() < 11) {
            min = Attributes.find(n, "min").isPresent() ? e.scalar(Attributes.getFloat(n, "min", 0f)) : null;
            max = Attributes.find(n, "max").isPresent() ? e.scalar(Attributes.getFloat(n, "max", 0f)) : null;
        } else {
            min = n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? n.getInput(1) : null;
            max = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? n.getInput(2) : null;
        }
        for (int i = 1; i < n.getInputCount(); i++) {
            if (c.wantsGradient(i)) {
                throw c.unsupported(n, "its bounds depend on the target layer");
            }
        }
        String inside = null;
        if (min != null) {
            inside = e.greater(x, min);
        }
        if (max != null) {
            String below = e.less(x, max);
            inside = inside == null ? below : e.and(inside, below);
        }
        c.setInputGradient(0, inside == null ? c.gradOut() : e.mul(c.gradOut(), e.mask(inside)));
    }

    private static void sigmoid(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String y = n.getOutput(0);
        c.setInputGradient(0, e.mul(c.gradOut(), e.mul(y, e.sub(e.scalar(1f), y))));
    }

    private static void hardSigmoid(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        float alpha = Attributes.getFloat(n, "alpha", 0.2f);
        float beta = Attributes.getFloat(n, "beta", 0.5f);
        String u = e.add(e.mul(n.getInput(0), e.scalar(alpha)), e.scalar(beta));
        String inside = e.mask(e.and(e.greater(u, e.scalar(0f)), e.less(u, e.scalar(1f))));
        c.setInputGradient(0, e.mul(c.gradOut(), e.mul(inside, e.scalar(alpha))));
    }

    private static void hardSwish(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String x = n.getInput(0);
        // y = x * relu6(x + 3) / 6: slope 0 below -3, (2x + 3) / 6 between, 1 above 3
        String mid = e.mask(e.and(e.greater(x, e.scalar(-3f)), e.less(x, e.scalar(3f))));
        String high = e.mask(e.greater(x, e.scalar(3f)));
        String slope = e.add(e.mul(mid, e.add(e.mul(x, e.scalar(1f / 3f)), e.scalar(0.5f))), high);
        c.setInputGradient(0, e.mul(c.gradOut(), slope));
    }

    private static void tanh(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String y = n.getOutput(0);
        c.setInputGradient(0, e.mul(c.gradOut(), e.sub(e.scalar(1f), e.mul(y, y))));
    }

    private static void erf(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String x = n.getInput(0);
        String gauss = e.op("Exp", e.neg(e.mul(x, x)));
        c.setInputGradient(0, e.mul(c.gradOut(), e.mul(gauss, e.scalar((float) (2.0 / Math.sqrt(Math.PI))))));
    }

    private static void pow(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        if (c.wantsGradient(1)) {
            throw c.unsupported(n, "only a constant exponent is supported");
        }
        float[] p = c.graph().constantFloats(n.getInput(1))
                .orElseThrow(() -> c.unsupported(n, "only a constant exponent is supported"));
        if (p.length != 1) {
            throw c.unsupported(n, "only a scalar exponent is supported");
        }
        String x = n.getInput(0);
        String d = p[0] == 2f ? e.mul(x, e.scalar(2f))
                : e.mul(e.op("Pow", List.of(x, e.scalar(p[0] - 1f))), e.scalar(p[0]));
        c.setInputGradient(0, e.mul(c.gradOut(), d));
    }

    private static void sqrt(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        c.setInputGradient(0, e.div(e.mul(c.gradOut(), e.scalar(0.5f)), n.getOutput(0)));
    }

    /** Gelu (opset 20): exact, Phi(x) + x phi(x); or its tanh approximation, differentiated as written. */
    private static void gelu(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String x = n.getInput(0);
        String slope;
        if (Attributes.getString(n, "approximate", "none").equals("tanh")) {
            // y = x/2 (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3)
            float k = (float) Math.sqrt(2.0 / Math.PI);
            String x2 = e.mul(x, x);
            String t = e.op("Tanh", e.mul(e.scalar(k), e.add(x, e.mul(e.scalar(0.044715f), e.mul(x2, x)))));
            String du = e.mul(e.scalar(k), e.add(e.scalar(1f), e.mul(e.scalar(3f * 0.044715f), x2)));
            String half = e.mul(e.scalar(0.5f), e.add(e.scalar(1f), t));
            slope = e.add(half, e.mul(e.mul(e.scalar(0.5f), x), e.mul(e.sub(e.scalar(1f), e.mul(t, t)), du)));
        } else {
            String cdf = e.mul(e.scalar(0.5f), e.add(e.scalar(1f), e.op("Erf", e.mul(x, e.scalar((float) (1 / Math.sqrt(2)))))));
            String pdf = e.mul(e.op("Exp", e.mul(e.mul(x, x), e.scalar(-0.5f))), e.scalar((float) (1 / Math.sqrt(2 * Math.PI))));
            slope = e.add(cdf, e.mul(x, pdf));
        }
        c.setInputGradient(0, e.mul(c.gradOut(), slope));
    }

    /** Abs: the sign of x (0 at 0, as torch); Sign exists from opset 9. */
    private static void abs(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String x = n.getInput(0);
        String sign = e.opset() >= 9 ? e.op("Sign", x)
                : e.sub(e.mask(e.greater(x, e.scalar(0f))), e.mask(e.less(x, e.scalar(0f))));
        c.setInputGradient(0, e.mul(c.gradOut(), sign));
    }

    /** Selu: gamma for x > 0, gamma alpha exp(x) = y + gamma alpha otherwise. */
    private static void selu(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        float alpha = Attributes.getFloat(n, "alpha", 1.67326319217681884765625f);
        float gamma = Attributes.getFloat(n, "gamma", 1.05070102214813232421875f);
        String pos = e.mask(e.greater(n.getInput(0), e.scalar(0f)));
        String neg = e.sub(e.scalar(1f), pos);
        String slope = e.add(e.mul(pos, e.scalar(gamma)), e.mul(neg, e.add(n.getOutput(0), e.scalar(gamma * alpha))));
        c.setInputGradient(0, e.mul(c.gradOut(), slope));
    }
}
