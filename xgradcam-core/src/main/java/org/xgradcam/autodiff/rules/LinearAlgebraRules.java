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
        r.register("Einsum", LinearAlgebraRules::einsum);
    }

    /**
     * Einsum (MaxViT's relative attention, "bghid,bghjd->bghij"): the gradient of operand i is
     * the Einsum of the output's gradient with the other operands back to operand i's indices.
     * An index of operand i that appears nowhere else was summed over: the result is expanded
     * back along it. Ellipses are spelt out from the operands' ranks; repeated indices within one
     * operand (diagonals) are not supported.
     */
    private static void einsum(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        String eq = Attributes.getString(n, "equation", "").replace(" ", "");
        if (!eq.contains("->")) {
            throw c.unsupported(n, "an Einsum without an explicit output (->) is not supported");
        }
        String[] lhsRhs = eq.split("->", -1);
        String[] ops = lhsRhs[0].split(",", -1);
        if (ops.length != n.getInputCount()) {
            throw c.unsupported(n, "its equation names " + ops.length + " operands for " + n.getInputCount() + " inputs");
        }
        // spell out "..." with capital letters, from each operand's rank
        int ell = 0;
        for (int i = 0; i < ops.length; i++) {
            if (ops[i].contains("...")) {
                ell = Math.max(ell, c.shape(n.getInput(i)).length - (ops[i].length() - 3));
            }
        }
        String fill = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".substring(0, Math.max(0, Math.min(26, ell)));
        String[] in = new String[ops.length];
        for (int i = 0; i < ops.length; i++) {
            if (ops[i].contains("...")) {
                int own = c.shape(n.getInput(i)).length - (ops[i].length() - 3);
                in[i] = ops[i].replace("...", fill.substring(fill.length() - own));
            } else {
                in[i] = ops[i];
            }
        }
        String out = lhsRhs[1].replace("...", fill);
        for (int i = 0; i < in.length; i++) {
            if (!c.wantsGradient(i)) {
                continue;
            }
            if (in[i].chars().distinct().count() != in[i].length()) {
                throw c.unsupported(n, "operand " + i + " repeats an index (a diagonal), which is not supported");
            }
            StringBuilder others = new StringBuilder(out);
            List<String> inputs = new java.util.ArrayList<>(List.of(c.gradOut()));
            for (int j = 0; j < in.length; j++) {
                if (j != i) {
                    others.append(',').append(in[j]);
                    inputs.add(n.getInput(j));
                }
            }
            String available = others.toString();
            StringBuilder kept = new StringBuilder();
            List<Long> missing = new java.util.ArrayList<>();
            for (int k = 0; k < in[i].length(); k++) {
                char ch = in[i].charAt(k);
                if (available.indexOf(ch) >= 0) {
                    kept.append(ch);
                } else {
                    missing.add((long) k);
                }
            }
            String g = e.op("Einsum", inputs, Attributes.ofString("equation", available + "->" + kept));
            if (!missing.isEmpty()) {
                // summed over in the forward: every position along it gets the same gradient
                g = e.op("Expand", List.of(e.unsqueeze(g, missing.stream().mapToLong(Long::longValue).toArray()),
                        e.shapeOf(n.getInput(i))));
            }
            c.setInputGradient(i, g);
        }
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
            c.setInputGradient(2, Broadcast.unbroadcast(c, dc, c.shape(n.getOutput(0)), c.shape(n.getInput(2))));
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
            c.setInputGradient(0, Broadcast.unbroadcast(c, da, outShape(ys, as), as));
        }
        if (c.wantsGradient(1)) {
            String db = e.op("MatMul", List.of(swapLast(e, a, as.length), c.gradOut()));
            c.setInputGradient(1, Broadcast.unbroadcast(c, db, outShape(ys, bs), bs));
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
