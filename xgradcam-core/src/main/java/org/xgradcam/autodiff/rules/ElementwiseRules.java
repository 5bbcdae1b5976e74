package org.xgradcam.autodiff.rules;

import java.util.ArrayList;
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
        r.register("Expand", (n, c) -> c.setInputGradient(0,
                Broadcast.unbroadcast(c, c.gradOut(), c.shape(n.getOutput(0)), c.shape(n.getInput(0)))));
        r.register("Where", ElementwiseRules::where);
        r.register("Max", (n, c) -> extremum(n, c, true));
        r.register("Min", (n, c) -> extremum(n, c, false));
        for (String passThrough : List.of("Identity", "Dropout", "Cast")) {
            r.register(passThrough, ElementwiseRules::identity);
        }
    }

    /**
     * Identity, Dropout and Cast pass the gradient on. The backward is float32 whatever the
     * forward's width, so a cast between float types (fp16 <-> fp32) is the identity here; a cast
     * from integers passes it only to integers on the differentiated path (a quantized tensor,
     * an integer product's accumulator), which the builder alone marks as wanting one.
     */
    private static void identity(NodeProto n, BackwardContext c) {
        if (c.wantsGradient(0)) {
            c.setInputGradient(0, c.gradOut());
        }
    }

    private static void binary(NodeProto n, BackwardContext c, boolean unused, boolean negateSecond) {
        Emitter e = c.emit();
        long[] out = c.shape(n.getOutput(0));
        if (c.wantsGradient(0)) {
            c.setInputGradient(0, Broadcast.unbroadcast(c, c.gradOut(), out, c.shape(n.getInput(0))));
        }
        if (c.wantsGradient(1)) {
            String g = negateSecond ? e.neg(c.gradOut()) : c.gradOut();
            c.setInputGradient(1, Broadcast.unbroadcast(c, g, out, c.shape(n.getInput(1))));
        }
    }

    private static void sum(NodeProto n, BackwardContext c) {
        long[] out = c.shape(n.getOutput(0));
        for (int i = 0; i < n.getInputCount(); i++) {
            if (c.wantsGradient(i)) {
                c.setInputGradient(i, Broadcast.unbroadcast(c, c.gradOut(), out, c.shape(n.getInput(i))));
            }
        }
    }

    private static void mul(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        long[] out = c.shape(n.getOutput(0));
        for (int i = 0; i < 2; i++) {
            if (c.wantsGradient(i)) {
                String g = e.mul(c.gradOut(), n.getInput(1 - i));
                c.setInputGradient(i, Broadcast.unbroadcast(c, g, out, c.shape(n.getInput(i))));
            }
        }
    }

    private static void div(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        long[] out = c.shape(n.getOutput(0));
        String b = n.getInput(1);
        if (c.wantsGradient(0)) {
            c.setInputGradient(0, Broadcast.unbroadcast(c, e.div(c.gradOut(), b), out, c.shape(n.getInput(0))));
        }
        if (c.wantsGradient(1)) {
            // d(a/b)/db = -(a/b)/b = -y/b
            String g = e.neg(e.div(e.mul(c.gradOut(), n.getOutput(0)), b));
            c.setInputGradient(1, Broadcast.unbroadcast(c, g, out, c.shape(b)));
        }
    }

    /** Where(cond, x, y): the gradient goes to x where cond holds, to y elsewhere. */
    private static void where(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        long[] out = c.shape(n.getOutput(0));
        String toX = e.mul(c.gradOut(), e.mask(n.getInput(0)));
        if (c.wantsGradient(1)) {
            c.setInputGradient(1, Broadcast.unbroadcast(c, toX, out, c.shape(n.getInput(1))));
        }
        if (c.wantsGradient(2)) {
            c.setInputGradient(2, Broadcast.unbroadcast(c, e.sub(c.gradOut(), toX), out, c.shape(n.getInput(2))));
        }
    }

    /**
     * Max/Min over inputs: the gradient goes to the inputs equal to the result, shared equally
     * between ties (as PyTorch's maximum/minimum). "Equal" is written as "not below the maximum"
     * (resp. "not above the minimum"), since Equal takes floats only from opset 11.
     */
    private static void extremum(NodeProto n, BackwardContext c, boolean max) {
        Emitter e = c.emit();
        long[] out = c.shape(n.getOutput(0));
        String y = n.getOutput(0);
        String one = e.scalar(1f);
        List<String> hits = new ArrayList<>();
        for (int i = 0; i < n.getInputCount(); i++) {
            String x = n.getInput(i);
            hits.add(e.sub(one, e.mask(max ? e.less(x, y) : e.greater(x, y))));
        }
        String share = hits.size() == 1 ? c.gradOut() : e.div(c.gradOut(), e.sum(hits));
        for (int i = 0; i < n.getInputCount(); i++) {
            if (c.wantsGradient(i)) {
                c.setInputGradient(i, Broadcast.unbroadcast(c, e.mul(share, hits.get(i)), out, c.shape(n.getInput(i))));
            }
        }
    }
}
