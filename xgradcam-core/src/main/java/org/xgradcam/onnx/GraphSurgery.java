package org.xgradcam.onnx;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorShapeProto;
import org.xgradcam.onnx.proto.OnnxProto.TypeProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;

/** Rewrites of a model's graph that keep its nodes and weights. */
public final class GraphSurgery {
    private GraphSurgery() {}

    /**
     * The part of the model after a layer: input = the layer's tensor (free batch axis),
     * output = the score. Used to re-score modified activations (Ablation-CAM, the sensitivity
     * axiom, finite-difference checks) without running the layers before it again. With the
     * model input as the layer, it is the whole model with the score as its output.
     */
    public static OnnxModel tail(Graph graph, ModelShapes shapes, String layer, String score) {
        return tail(graph, shapes, layer, score, false);
    }

    /**
     * As {@link #tail(Graph, ModelShapes, String, String)}, for a layer inside a branch too (a
     * transformer block's norm, which the residual bypasses): with {@code keepInput}, a path from
     * the model input that bypasses the layer stays, and the model input is a second input of the
     * result, so the layer's tensor is replaced within the whole forward (pytorch-grad-cam's
     * AblationLayerVit does the same by a hook).
     */
    public static OnnxModel tail(Graph graph, ModelShapes shapes, String layer, String score, boolean keepInput) {
        Set<String> needed = new HashSet<>();
        Set<NodeProto> nodes = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(score));
        while (!todo.isEmpty()) {
            String t = todo.poll();
            if (!needed.add(t) || t.equals(layer)) {
                continue;
            }
            graph.producer(t).ifPresent(p -> {
                nodes.add(p);
                p.getInputList().stream().filter(i -> !i.isEmpty()).forEach(todo::add);
            });
        }
        if (!needed.contains(layer)) {
            throw new XGradCamException("layer '" + layer + "' does not influence the score '" + score + "'");
        }
        boolean bypassed = !layer.equals(shapes.inputName()) && needed.contains(shapes.inputName());
        if (bypassed && !keepInput) {
            throw new XGradCamException("the score depends on the input by a path that bypasses layer '" + layer
                    + "' (a skip connection around it); pick a layer every path goes through");
        }
        GraphProto original = graph.model().proto().getGraph();
        GraphProto.Builder g = GraphProto.newBuilder().setName(original.getName() + "_tail");
        for (NodeProto n : graph.nodes()) {
            if (nodes.contains(n)) {
                g.addNode(n);
            }
        }
        for (TensorProto t : original.getInitializerList()) {
            if (needed.contains(t.getName())) {
                g.addInitializer(t);
            }
        }
        if (bypassed) {
            g.addInput(floatValue(shapes.inputName(), shapes.inputShape(), true));
        }
        g.addInput(floatValue(layer, shapes.shape(layer), true));
        g.addOutput(floatValue(score, shapes.shape(score), false));
        return graph.model().withProto(graph.model().proto().toBuilder().setGraph(g).build());
    }

    /** The model with the given tensors as outputs besides the score (and only them). */
    public static OnnxModel withOutputs(Graph graph, ModelShapes shapes, String score, List<String> tensors) {
        GraphProto.Builder g = graph.model().proto().getGraph().toBuilder().clearOutput().clearValueInfo();
        g.addOutput(floatValue(score, shapes.shape(score), false));
        for (String t : tensors) {
            if (!t.equals(score)) {
                g.addOutput(floatValue(t, shapes.shape(t), false));
            }
        }
        return graph.model().withProto(graph.model().proto().toBuilder().setGraph(g).build());
    }

    static ValueInfoProto floatValue(String name, long[] shape, boolean withShape) {
        TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(TensorInfo.FLOAT);
        if (withShape) {
            TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
            for (int i = 0; i < shape.length; i++) {
                s.addDim(i == 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
                        : TensorShapeProto.Dimension.newBuilder().setDimValue(shape[i]));
            }
            t.setShape(s);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(t)).build();
    }
}
