package org.xgradcam.onnx;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * A sequence output [N, T, C]: every step t classified over C symbols by the same linear layer (a
 * text recogniser's CTC head). Told apart from a dense detection head of the same rank by how the
 * graph makes it, not by its shape: a sequence comes from a MatMul or Gemm with constant weights
 * whose columns are its C classes (then perhaps a bias, a sigmoid or a softmax); a detection head
 * assembles its boxes and scores (a Concat, a decoding). Its T steps are the tokens of a 1 x T grid.
 */
public final class SequenceOutputs {
    /** Ops that keep a per-step classifier a classifier between its linear layer and the output. */
    private static final Set<String> PASS = Set.of("Softmax", "LogSoftmax", "Identity", "Cast", "Add", "Sigmoid");

    private SequenceOutputs() {}

    /** Whether a rank-3 score [N, T, C] is a sequence of per-step classifications (see the class comment). */
    public static boolean recognises(Graph graph, String score, long[] shape) {
        if (shape.length != 3 || shape[2] < 2) {
            return false;
        }
        String t = score;
        for (int hops = 0; hops < 8; hops++) {
            Optional<NodeProto> p = graph.producer(t);
            if (p.isEmpty()) {
                return false;
            }
            NodeProto n = p.get();
            switch (n.getOpType()) {
                case "MatMul", "Gemm" -> {
                    return graph.constant(n.getInput(1)).map(w -> {
                        List<Long> d = w.getDimsList();
                        boolean transposed = n.getOpType().equals("Gemm") && Attributes.getInt(n, "transB", 0) != 0;
                        return d.size() == 2 && d.get(transposed ? 0 : 1) == shape[2];
                    }).orElse(false);
                }
                default -> {
                    if (!PASS.contains(n.getOpType())) {
                        return false;
                    }
                    // an Add passes only as a bias: one operand a constant
                    if (n.getOpType().equals("Add") && n.getInputCount() == 2 && graph.constant(n.getInput(1)).isEmpty()
                            && graph.constant(n.getInput(0)).isEmpty()) {
                        return false;
                    }
                    String next = n.getInput(0);
                    if (n.getOpType().equals("Add") && graph.constant(next).isPresent()) {
                        next = n.getInput(1);
                    }
                    t = next;
                }
            }
        }
        return false;
    }
}
