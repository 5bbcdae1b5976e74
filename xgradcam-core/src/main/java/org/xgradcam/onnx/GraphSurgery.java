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
        return tail(graph, shapes, layer, List.of(score), keepInput);
    }

    /**
     * As {@link #tail(Graph, ModelShapes, String, String, boolean)} with several outputs, the
     * score first (a detector's boxes and labels besides its scores, to match re-scored boxes).
     */
    public static OnnxModel tail(Graph graph, ModelShapes shapes, String layer, List<String> outputs, boolean keepInput) {
        String score = outputs.get(0);
        Set<String> needed = new HashSet<>();
        Set<NodeProto> nodes = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(outputs);
        while (!todo.isEmpty()) {
            String t = todo.poll();
            if (!needed.add(t) || t.equals(layer)) {
                continue;
            }
            graph.producer(t).ifPresent(p -> {
                nodes.add(p);
                todo.addAll(Graph.dependencies(p)); // control flow's subgraphs read outer tensors by name
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
        for (String o : outputs.subList(1, outputs.size())) {
            g.addOutput(ValueInfoProto.newBuilder().setName(o).setType(TypeProto.newBuilder().setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(shapes.get(o).elemType()))));
        }
        return graph.model().withProto(graph.model().proto().toBuilder().setGraph(g).build());
    }

    /** The name the original rank-3 image tensor gets inside a model given a batch axis. */
    public static final String UNBATCHED_SUFFIX = "/xgradcam_unbatched";

    /**
     * A model whose image input has no batch axis ([C, H, W], as torchvision's detectors are
     * exported) gets one: the input becomes [1, C, H, W] under the same name, and a Squeeze hands
     * the original graph its [C, H, W]. Every other model comes back unchanged. Such a model runs
     * one image at a time ({@link #isUnbatched}).
     */
    public static OnnxModel withBatchAxis(OnnxModel model) {
        GraphProto g = model.proto().getGraph();
        Set<String> init = new HashSet<>();
        g.getInitializerList().forEach(t -> init.add(t.getName()));
        List<ValueInfoProto> inputs = g.getInputList().stream().filter(v -> !init.contains(v.getName())).toList();
        if (inputs.size() != 1 || !inputs.get(0).getType().hasTensorType()) {
            return model;
        }
        ValueInfoProto in = inputs.get(0);
        TypeProto.Tensor t = in.getType().getTensorType();
        if (t.getElemType() != TensorInfo.FLOAT || !t.hasShape() || t.getShape().getDimCount() != 3
                || !t.getShape().getDim(0).hasDimValue() || t.getShape().getDim(0).getDimValue() != 3) {
            return model; // not one RGB image [3, H, W] (a free first axis is a batch of something else)
        }
        String name = in.getName();
        String inner = name + UNBATCHED_SUFFIX;
        GraphProto.Builder b = g.toBuilder().clearNode();
        b.addNode(NodeProto.newBuilder().setOpType("Squeeze").setName(inner).addInput(name)
                .addInput(inner + "_axes").addOutput(inner));
        boolean squeezeTakesAxes = model.opset() >= 13;
        if (squeezeTakesAxes) {
            b.addInitializer(TensorProto.newBuilder().setName(inner + "_axes").setDataType(TensorProto.DataType.INT64_VALUE)
                    .addDims(1).addInt64Data(0));
        } else {
            b.setNode(0, b.getNode(0).toBuilder().clearInput().addInput(name)
                    .addAttribute(Attributes.ofInts("axes", 0)));
        }
        for (NodeProto n : g.getNodeList()) {
            NodeProto.Builder nb = n.toBuilder();
            for (int i = 0; i < nb.getInputCount(); i++) {
                if (nb.getInput(i).equals(name)) {
                    nb.setInput(i, inner);
                }
            }
            b.addNode(nb);
        }
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(1));
        t.getShape().getDimList().forEach(shape::addDim);
        for (int i = 0; i < b.getInputCount(); i++) {
            if (b.getInput(i).getName().equals(name)) {
                b.setInput(i, in.toBuilder().setType(TypeProto.newBuilder().setTensorType(t.toBuilder().setShape(shape))));
            }
        }
        return model.withProto(model.proto().toBuilder().setGraph(b).build());
    }

    /** Whether the model's image input was given a batch axis by {@link #withBatchAxis}: one image per run. */
    public static boolean isUnbatched(Graph graph) {
        return graph.producer(graph.inputs().get(0) + UNBATCHED_SUFFIX).isPresent();
    }

    /**
     * Whether the model runs one image at a time: its input had no batch axis, or it batches its one
     * image itself (a detector selecting its boxes). Axis 0 of its tensors is then no batch of images.
     */
    public static boolean runsOneImage(Graph graph) {
        return isUnbatched(graph) || DetectionOutputs.of(graph.model()).isPresent();
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
