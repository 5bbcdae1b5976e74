package org.xgradcam.autodiff.rules;

import java.util.List;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.autodiff.GradientRegistry;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/** Arithmetic with broadcasting, and the ops that pass gradients through unchanged. */
public final class ElementwiseRules {
    private ElementwiseRules() {}

    public static void register(GradientRegistry r) {
        r.register("Add", (n, c) -> binary(n, c, false, false));
        r.register("Sub", (n, c) -> binary(n, c, false, true));
        r.register("Sum", ElementwiseRules::sum);
        r.register("Mul", ElementwiseRules::mul);
        r.register("Div", ElementwiseRules::div);
        r.register("Neg", (n, c) -> c.setInputGradient(0, c.emit().neg(c.gradOut())));
        for (String passThrough : List.of("Identity", "Dropout", "Cast")) {
            r.register(passThrough, ElementwiseRules::identity);
        }
    }

    private static void identity(NodeProto n, BackwardContext c) {
        if (n.getOpType().equals("Cast") && !c.shapes().get(n.getInput(0)).isFloat()) {
            return; // a non-float source has no gradient
        }
        c.setInputGradient(0, c.gradOut());
    }

    private static void binary(NodeProto n, BackwardContext c, boolean unused, boolean negateSecond) {
        Emitter e = c.emit();
        long[] out = c.shape(n.getOutput(0));
        if (c.wantsGradient(0)) {
            c.setInputGradient(0, Broadcast.unbroadcast(e, c.gradOut(), out, c.shape(n.getInput(0))));
        }
        if (c.wantsGradient(1)) {
            String g = negateSecond ? e.neg(c.gradOut()) : c.gradOut();
            c.setInputGradient(1, Broadcast.unbroadcast(e, g, out, c.shape(n.getInput(1))));
        }
    }

    private static void sum(NodeProto n, BackwardContext c) {
        long[] out = c.shape(n.getOutput(0));
        for (int i = 0; i < n.getInputCount(); i++) {
            if (c.wantsGradient(i)) {
                c.setInputGradient(i, Broadcast.unbroadcast(c.emit(), c.gradOut(), out, c.shape(n.getInput(i))));
            }
        }
    }

    private static void mul(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        long[] out = c.shape(n.getOutput(0));
        for (int i = 0; i < 2; i++) {
            if (c.wantsGradient(i)) {
                String g = e.mul(c.gradOut(), n.getInput(1 - i));
                c.setInputGradient(i, Broadcast.unbroadcast(e, g, out, c.shape(n.getInput(i))));
            }
        }
    }

    private static void div(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        long[] out = c.shape(n.getOutput(0));
        String b = n.getInput(1);
        if (c.wantsGradient(0)) {
            c.setInputGradient(0, Broadcast.unbroadcast(e, e.div(c.gradOut(), b), out, c.shape(n.getInput(0))));
        }
        if (c.wantsGradient(1)) {
            // d(a/b)/db = -(a/b)/b = -y/b
            String g = e.neg(e.div(e.mul(c.gradOut(), n.getOutput(0)), b));
            c.setInputGradient(1, Broadcast.unbroadcast(e, g, out, c.shape(b)));
        }
    }
}
