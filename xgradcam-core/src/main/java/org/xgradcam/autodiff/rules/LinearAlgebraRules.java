package org.xgradcam.autodiff.rules;

import java.util.List;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.autodiff.GradientRegistry;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/** Gemm and MatMul: the backward of a product is a product with the other factor transposed. */
public final class LinearAlgebraRules {
    private LinearAlgebraRules() {}

    public static void register(GradientRegistry r) {
        r.register("Gemm", LinearAlgebraRules::gemm);
        r.register("MatMul", LinearAlgebraRules::matMul);
    }

    private static void gemm(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        float alpha = Attributes.getFloat(n, "alpha", 1f);
        float beta = Attributes.getFloat(n, "beta", 1f);
        boolean transA = Attributes.getInt(n, "transA", 0) != 0;
        boolean transB = Attributes.getInt(n, "transB", 0) != 0;
        String a = n.getInput(0);
        String b = n.getInput(1);
        String g = c.gradOut();
        // Y = alpha A' B' + beta C with A' = op(A), B' = op(B)
        if (c.wantsGradient(0)) {
            String da = transA
                    ? gemm(e, b, g, alpha, transB, true)     // dA = alpha B' g^T
                    : gemm(e, g, b, alpha, false, !transB);  // dA = alpha g B'^T
            c.setInputGradient(0, da);
        }
        if (c.wantsGradient(1)) {
            String db = transB
                    ? gemm(e, g, a, alpha, true, transA)     // dB = alpha g^T A'
                    : gemm(e, a, g, alpha, !transA, false);  // dB = alpha A'^T g
            c.setInputGradient(1, db);
        }
        if (n.getInputCount() > 2 && !n.getInput(2).isEmpty() && c.wantsGradient(2)) {
            String dc = beta == 1f ? g : e.mul(g, e.scalar(beta));
            c.setInputGradient(2, Broadcast.unbroadcast(e, dc, c.shape(n.getOutput(0)), c.shape(n.getInput(2))));
        }
    }

    private static String gemm(Emitter e, String x, String y, float alpha, boolean tx, boolean ty) {
        return e.op("Gemm", List.of(x, y), Attributes.ofFloat("alpha", alpha),
                Attributes.ofInt("transA", tx ? 1 : 0), Attributes.ofInt("transB", ty ? 1 : 0));
    }

    private static void matMul(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String a = n.getInput(0);
        String b = n.getInput(1);
        long[] as = c.shape(a);
        long[] bs = c.shape(b);
        long[] ys = c.shape(n.getOutput(0));
        if (as.length < 2 || bs.length < 2) {
            throw c.unsupported(n, "MatMul with a 1-D operand is not supported");
        }
        if (c.wantsGradient(0)) {
            String da = e.op("MatMul", List.of(c.gradOut(), swapLast(e, b, bs.length)));
            c.setInputGradient(0, Broadcast.unbroadcast(e, da, outShape(ys, as), as));
        }
        if (c.wantsGradient(1)) {
            String db = e.op("MatMul", List.of(swapLast(e, a, as.length), c.gradOut()));
            c.setInputGradient(1, Broadcast.unbroadcast(e, db, outShape(ys, bs), bs));
        }
    }

    /** The shape of a factor's raw gradient: the output's batch dims with the factor's matrix dims. */
    private static long[] outShape(long[] ys, long[] factor) {
        long[] s = ys.clone();
        s[s.length - 2] = factor[factor.length - 2];
        s[s.length - 1] = factor[factor.length - 1];
        return s;
    }

    private static String swapLast(Emitter e, String x, int rank) {
        long[] perm = new long[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = i;
        }
        perm[rank - 2] = rank - 1;
        perm[rank - 1] = rank - 2;
        return e.transpose(x, perm);
    }
}
