package org.xgradcam.metrics;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.onnx.TensorProtos;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/**
 * The model-randomisation sanity check (Adebayo et al. 2018): re-initialise the weights of the
 * head (every Gemm, MatMul and Conv weight downstream of the target layer; when there is none, as
 * for SqueezeNet's class-map layer, the last weighted layer of the model) with Gaussian noise of
 * the same standard deviation; a map that explains the model, not the
 * image, must change. Compare maps with {@link Faithfulness#spearman}: a rank correlation near 1
 * between the original and the randomised maps is a failed check.
 */
public final class SanityCheck {
    private SanityCheck() {}

    private static void addWeights(Graph g, NodeProto n, Set<String> weights) {
        for (int i = 1; i < n.getInputCount(); i++) {
            if (g.isInitializer(n.getInput(i))) {
                weights.add(n.getInput(i));
            }
        }
    }

    public static OnnxModel randomiseHead(OnnxModel model, String layer, long seed) {
        Graph g = new Graph(model);
        Set<String> downstream = g.descendants(java.util.List.of(layer));
        Set<String> weights = new HashSet<>();
        NodeProto last = null;
        for (NodeProto n : g.nodes()) {
            boolean weighted = n.getOpType().equals("Gemm") || n.getOpType().equals("MatMul") || n.getOpType().equals("Conv");
            if (!weighted) {
                continue;
            }
            last = n;
            if (n.getInputList().stream().anyMatch(downstream::contains)) {
                addWeights(g, n, weights);
            }
        }
        if (weights.isEmpty() && last != null) {
            addWeights(g, last, weights);
        }
        Random rnd = new Random(seed);
        GraphProto.Builder gb = model.proto().getGraph().toBuilder();
        for (int i = 0; i < gb.getInitializerCount(); i++) {
            TensorProto t = gb.getInitializer(i);
            if (!weights.contains(t.getName()) || t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                continue;
            }
            float[] v = TensorProtos.toFloats(t, model.baseDir());
            double mean = 0;
            for (float f : v) {
                mean += f;
            }
            mean /= v.length;
            double var = 0;
            for (float f : v) {
                var += (f - mean) * (f - mean);
            }
            double std = Math.sqrt(var / v.length);
            float[] r = new float[v.length];
            for (int k = 0; k < r.length; k++) {
                r[k] = (float) (rnd.nextGaussian() * std);
            }
            gb.setInitializer(i, TensorProtos.ofFloats(t.getName(), r, TensorProtos.dims(t)));
        }
        return model.withProto(model.proto().toBuilder().setGraph(gb).build());
    }
}
