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
        GraphProto.Builder g = part(graph, nodes, needed, "_tail");
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

    /**
     * The part of the model after a layer, as {@link #tail(Graph, ModelShapes, String, String)},
     * with everything it reads from outside that part given as inputs ({@code fed}, in the order
     * of the model's inputs after the layer) rather than recomputed: a detector's boxes, anchors
     * and image size beside its class scores. For one image whose values before the layer are
     * known (a forward that output them), the tail then runs only what the layer changes.
     */
    public record FedTail(OnnxModel model, List<String> fed) {}

    public static FedTail fedTail(Graph graph, ModelShapes shapes, String layer, String score) {
        Set<String> after = graph.descendants(List.of(layer));
        if (!after.contains(score)) {
            throw new XGradCamException("layer '" + layer + "' does not influence the score '" + score + "'");
        }
        java.util.Set<String> initializers = new HashSet<>();
        graph.model().proto().getGraph().getInitializerList().forEach(t -> initializers.add(t.getName()));
        Set<String> seen = new HashSet<>();
        Set<NodeProto> nodes = new HashSet<>();
        java.util.List<String> fed = new java.util.ArrayList<>();
        Deque<String> todo = new ArrayDeque<>(List.of(score));
        while (!todo.isEmpty()) {
            String t = todo.poll();
            if (!seen.add(t) || t.equals(layer) || initializers.contains(t)) {
                continue;
            }
            java.util.Optional<NodeProto> p = graph.producer(t);
            if (p.isPresent() && (after.contains(t) || p.get().getInputCount() == 0)) {
                nodes.add(p.get()); // the layer's consequences, and constants
                todo.addAll(Graph.dependencies(p.get()));
            } else {
                fed.add(t); // computed before the layer (or the model's input): a value of the run
            }
        }
        GraphProto.Builder g = part(graph, nodes, seen, "_fed_tail");
        g.addInput(floatValue(layer, shapes.shape(layer), true));
        for (String f : fed) {
            // its type and its shape in this run (ONNX Runtime's shape inference reads them: a Resize's sizes)
            TensorShapeProto.Builder dims = TensorShapeProto.newBuilder();
            for (long d : shapes.get(f).shape()) {
                dims.addDim(d >= 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(d)
                        : TensorShapeProto.Dimension.newBuilder().setDimParam("free"));
            }
            g.addInput(ValueInfoProto.newBuilder().setName(f).setType(TypeProto.newBuilder().setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(shapes.get(f).elemType()).setShape(dims))).build());
        }
        g.addOutput(floatValue(score, shapes.shape(score), false));
        var proto = graph.model().proto().toBuilder().setGraph(g);
        if (runsOneImage(graph)) {
            proto.addMetadataProps(org.xgradcam.onnx.proto.OnnxProto.StringStringEntryProto.newBuilder().setKey(ONE_IMAGE)
                    .setValue("true"));
        }
        return new FedTail(graph.model().withProto(proto.build()), List.copyOf(fed));
    }

    /**
     * A model extended with backward nodes (forward, then backward from the seed input) with its
     * backward copied {@code k} times: copy j reads seed input {@code seed + "_" + j} and writes
     * {@code gradient + "_" + j}; the forward runs once for all of them. The backward of k targets
     * of one image for one forward, where the graph cannot run k rows (it selects one image's
     * boxes). Only the score and the k gradients are outputs.
     */
    public static OnnxModel backwardCopies(OnnxModel augmented, String seed, String gradient, String score, int k) {
        Graph graph = new Graph(augmented);
        Set<String> backward = graph.descendants(List.of(seed));
        GraphProto original = augmented.proto().getGraph();
        GraphProto.Builder g = original.toBuilder().clearNode().clearOutput().clearValueInfo().clearInput();
        List<NodeProto> copied = new java.util.ArrayList<>();
        for (NodeProto n : graph.nodes()) {
            boolean inBackward = n.getOutputList().stream().anyMatch(backward::contains);
            if (!inBackward) {
                g.addNode(n); // the forward (and constants): once
            } else {
                copied.add(n);
            }
        }
        for (int j = 0; j < k; j++) {
            String suffix = "_" + j;
            for (NodeProto n : copied) {
                NodeProto.Builder c = n.toBuilder().setName(n.getName() + suffix).clearInput().clearOutput();
                for (String in : n.getInputList()) {
                    c.addInput(!in.isEmpty() && backward.contains(in) ? in + suffix : in);
                }
                for (String out : n.getOutputList()) {
                    c.addOutput(out.isEmpty() ? out : out + suffix);
                }
                g.addNode(c);
            }
        }
        ValueInfoProto seedInfo = null;
        for (ValueInfoProto in : original.getInputList()) {
            if (in.getName().equals(seed)) {
                seedInfo = in;
            } else {
                g.addInput(in);
            }
        }
        for (int j = 0; j < k; j++) {
            g.addInput(seedInfo.toBuilder().setName(seed + "_" + j));
        }
        for (ValueInfoProto out : original.getOutputList()) {
            if (out.getName().equals(score)) {
                g.addOutput(out);
            }
        }
        for (ValueInfoProto out : original.getOutputList()) {
            if (out.getName().equals(gradient)) {
                for (int j = 0; j < k; j++) {
                    g.addOutput(out.toBuilder().setName(gradient + "_" + j));
                }
            }
        }
        return augmented.withProto(augmented.proto().toBuilder().setGraph(g).build());
    }

    /** A graph of some of the model's nodes (in its order) and the initializers among the tensors they read; no inputs or outputs yet. */
    private static GraphProto.Builder part(Graph graph, Set<NodeProto> nodes, Set<String> read, String suffix) {
        GraphProto original = graph.model().proto().getGraph();
        GraphProto.Builder g = GraphProto.newBuilder().setName(original.getName() + suffix);
        for (NodeProto n : graph.nodes()) {
            if (nodes.contains(n)) {
                g.addNode(n);
            }
        }
        for (TensorProto t : original.getInitializerList()) {
            if (read.contains(t.getName())) {
                g.addInitializer(t);
            }
        }
        return g;
    }

    private static ValueInfoProto typedValue(String name, int elemType) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(elemType))).build();
    }

    /** The outputs of {@link #rankedCopies}: row r's score of its rank-r class, that class, all rows' scores. */
    public static final String RANKED_SCORE = "xgradcam_ranked_score";
    public static final String RANKED_CLASS = "xgradcam_ranked_class";
    public static final String RANKED_SCORES = "xgradcam_ranked_scores";

    /** The layer's k copies inside a model from {@link #rankedCopies}. */
    public static String rankedLayer(String layer) {
        return layer + "/xgradcam_ranked";
    }

    /**
     * The model with its part after a layer (every path through it) run on k copies of the
     * layer's tensor, row r scoring its rank-r class: one image in, k rows out. The layers before
     * run once, the part after once at batch k (a memory-bound head such as VGG16's 120 million
     * weights costs no more at batch k than at 1), and the backward of the k rows' scores then
     * gives the k best classes' gradients in the same run. Outputs: {@link #RANKED_SCORE} [k, 1],
     * {@link #RANKED_CLASS} [k, 1] (as floats) and {@link #RANKED_SCORES} [k, classes]; the
     * copies of the layer are {@link #rankedLayer}. Needs opset 11 (TopK with k as an input,
     * GatherElements).
     */
    public static OnnxModel rankedCopies(Graph graph, ModelShapes shapes, String layer, String score, int k) {
        long opset = graph.model().opset();
        if (opset < 11) {
            throw new XGradCamException("ranked copies need ONNX opset 11 or later; this model has " + opset);
        }
        long[] scoreShape = shapes.shape(score);
        if (scoreShape.length != 2) {
            throw new XGradCamException("ranked copies need class scores [N, classes]; '" + score + "' has shape "
                    + java.util.Arrays.toString(scoreShape));
        }
        GraphProto tail = tail(graph, shapes, layer, score).proto().getGraph();
        Set<String> produced = new HashSet<>();
        for (NodeProto n : tail.getNodeList()) {
            produced.addAll(n.getOutputList());
        }
        String copies = rankedLayer(layer);
        java.util.function.UnaryOperator<String> renamed = t -> t.equals(layer) ? copies
                : produced.contains(t) && !t.isEmpty() ? t + "/xgradcam_ranked" : t;
        GraphProto.Builder g = graph.model().proto().getGraph().toBuilder().clearOutput().clearNode();
        Set<NodeProto> after = new HashSet<>(tail.getNodeList());
        for (NodeProto n : graph.model().proto().getGraph().getNodeList()) {
            if (!after.contains(n)) {
                g.addNode(n); // the part before the layer, once; the part after only as copies
            }
        }
        int rank = shapes.shape(layer).length;
        long[] repeats = new long[rank];
        java.util.Arrays.fill(repeats, 1);
        repeats[0] = k;
        String repeatsName = "xgradcam_ranked_repeats";
        g.addInitializer(TensorProtos.ofLongs(repeatsName, repeats, rank));
        g.addNode(NodeProto.newBuilder().setOpType("Tile").setName("xgradcam_ranked_tile").addInput(layer).addInput(repeatsName)
                .addOutput(copies));
        for (NodeProto n : tail.getNodeList()) {
            NodeProto.Builder c = n.toBuilder().clearInput().clearOutput();
            if (!n.getName().isEmpty()) {
                c.setName(n.getName() + "/xgradcam_ranked");
            }
            n.getInputList().forEach(i -> c.addInput(renamed.apply(i)));
            n.getOutputList().forEach(o -> c.addOutput(renamed.apply(o)));
            g.addNode(c);
        }
        String scores = renamed.apply(score);
        int classes = (int) scoreShape[1];
        long[] diag = new long[k];
        long[] range = new long[classes];
        for (int i = 0; i < k; i++) {
            diag[i] = i;
        }
        for (int i = 0; i < classes; i++) {
            range[i] = i;
        }
        g.addInitializer(TensorProtos.ofLongs("xgradcam_ranked_k", new long[] {k}, 1));
        g.addInitializer(TensorProtos.ofLongs("xgradcam_ranked_diagonal", diag, k, 1));
        g.addInitializer(TensorProtos.ofLongs("xgradcam_ranked_range", range, 1, classes));
        g.addNode(node("TopK", List.of(scores, "xgradcam_ranked_k"), List.of("xgradcam_ranked_values", "xgradcam_ranked_order"),
                Attributes.ofInt("axis", 1)));
        g.addNode(node("GatherElements", List.of("xgradcam_ranked_order", "xgradcam_ranked_diagonal"),
                List.of("xgradcam_ranked_index"), Attributes.ofInt("axis", 1)));
        g.addNode(node("Equal", List.of("xgradcam_ranked_index", "xgradcam_ranked_range"), List.of("xgradcam_ranked_hot")));
        g.addNode(node("Cast", List.of("xgradcam_ranked_hot"), List.of("xgradcam_ranked_mask"),
                Attributes.ofInt("to", TensorProto.DataType.FLOAT_VALUE)));
        g.addNode(node("Mul", List.of(scores, "xgradcam_ranked_mask"), List.of("xgradcam_ranked_masked")));
        if (opset >= 13) {
            g.addInitializer(TensorProtos.ofLongs("xgradcam_ranked_axes", new long[] {1}, 1));
            g.addNode(node("ReduceSum", List.of("xgradcam_ranked_masked", "xgradcam_ranked_axes"), List.of(RANKED_SCORE),
                    Attributes.ofInt("keepdims", 1)));
        } else {
            g.addNode(node("ReduceSum", List.of("xgradcam_ranked_masked"), List.of(RANKED_SCORE),
                    Attributes.ofInts("axes", 1), Attributes.ofInt("keepdims", 1)));
        }
        g.addNode(node("Cast", List.of("xgradcam_ranked_index"), List.of(RANKED_CLASS),
                Attributes.ofInt("to", TensorProto.DataType.FLOAT_VALUE)));
        g.addNode(node("Identity", List.of(scores), List.of(RANKED_SCORES)));
        g.addOutput(floatValue(RANKED_SCORE, new long[] {k, 1}, true));
        g.addOutput(floatValue(RANKED_CLASS, new long[] {k, 1}, true));
        g.addOutput(floatValue(RANKED_SCORES, new long[] {k, classes}, true));
        return graph.model().withProto(graph.model().proto().toBuilder().setGraph(g).build());
    }

    private static NodeProto node(String op, List<String> inputs, List<String> outputs,
                                  org.xgradcam.onnx.proto.OnnxProto.AttributeProto... attrs) {
        // named after its output (each surgery's outputs carry its own prefix): unique in the graph
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName("xgradcam_" + op + "_" + outputs.get(0));
        inputs.forEach(b::addInput);
        outputs.forEach(b::addOutput);
        for (var a : attrs) {
            b.addAttribute(a);
        }
        return b.build();
    }

    /** The graph's one input that is not an initializer, if it is a tensor; else null. */
    private static ValueInfoProto soleTensorInput(GraphProto g) {
        Set<String> init = new HashSet<>();
        g.getInitializerList().forEach(t -> init.add(t.getName()));
        List<ValueInfoProto> inputs = g.getInputList().stream().filter(v -> !init.contains(v.getName())).toList();
        return inputs.size() == 1 && inputs.get(0).getType().hasTensorType() ? inputs.get(0) : null;
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
        ValueInfoProto in = soleTensorInput(g);
        if (in == null) {
            return model;
        }
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

    /**
     * A model whose image input is fp16, bf16 or fp64 takes float32 under the same name, cast to
     * its own type before anything reads it: images are fed as float32 everywhere, and the model
     * computes in its own width from there on.
     */
    public static OnnxModel withFloatInput(OnnxModel model) {
        GraphProto g = model.proto().getGraph();
        ValueInfoProto in = soleTensorInput(g);
        if (in == null) {
            return model;
        }
        int type = in.getType().getTensorType().getElemType();
        if (type == TensorInfo.FLOAT || !TensorInfo.isFloating(type)) {
            return model;
        }
        String name = in.getName();
        String inner = name + "::" + TensorInfo.typeName(type);
        GraphProto.Builder b = g.toBuilder().clearNode();
        b.addNode(NodeProto.newBuilder().setOpType("Cast").setName(inner).addInput(name).addOutput(inner)
                .addAttribute(Attributes.ofInt("to", type)));
        for (NodeProto n : g.getNodeList()) {
            NodeProto.Builder nb = n.toBuilder();
            for (int i = 0; i < nb.getInputCount(); i++) {
                if (nb.getInput(i).equals(name)) {
                    nb.setInput(i, inner);
                }
            }
            b.addNode(nb);
        }
        for (int i = 0; i < b.getInputCount(); i++) {
            if (b.getInput(i).getName().equals(name)) {
                b.setInput(i, in.toBuilder().setType(in.getType().toBuilder().setTensorType(
                        in.getType().getTensorType().toBuilder().setElemType(TensorInfo.FLOAT))));
            }
        }
        return model.withProto(model.proto().toBuilder().setGraph(b).build());
    }

    /** The output scale and zero point inputs of the QOperator ops that write quantized maps. */
    private static final java.util.Map<String, int[]> QUANTIZED_OUTPUT_PARAMS = java.util.Map.of(
            "QLinearConv", new int[] {6, 7}, "QLinearAdd", new int[] {6, 7}, "QLinearMul", new int[] {6, 7},
            "QLinearAveragePool", new int[] {3, 4}, "QLinearGlobalAveragePool", new int[] {3, 4},
            "QLinearSigmoid", new int[] {3, 4}, "QLinearLeakyRelu", new int[] {3, 4}, "QLinearConcat", new int[] {0, 1});

    /** The quantized tensor a dequantized tap shows (the QOperator op's own output, renamed). */
    public static final String QUANTIZED_SUFFIX = "::quantized";
    public static final String REQUANTIZED_SUFFIX = "::requantized";

    /**
     * QOperator models (QLinearConv, QLinearAdd, ...) hold their maps as uint8/int8 only. Each
     * map such an op writes is given its float32 meaning under its own name, as a layer to
     * explain: the op writes NAME::quantized, DequantizeLinear gives NAME (float32), and
     * QuantizeLinear with the same scale and zero point gives back the exact integers its
     * consumers read (round(s (q - z) / s) + z = q). The forward computes what it computed.
     */
    public static OnnxModel withDequantizedMaps(OnnxModel model) {
        GraphProto g = model.proto().getGraph();
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(v -> outputs.add(v.getName()));
        java.util.Map<String, String> renamed = new java.util.HashMap<>();
        List<NodeProto> taps = new java.util.ArrayList<>();
        for (NodeProto n : g.getNodeList()) {
            int[] p = QUANTIZED_OUTPUT_PARAMS.get(n.getOpType());
            if (p == null || n.getOutputCount() != 1 || outputs.contains(n.getOutput(0)) || n.getInputCount() <= p[1]
                    || n.getInput(p[0]).isEmpty()) {
                continue;
            }
            String y = n.getOutput(0);
            renamed.put(y, y + REQUANTIZED_SUFFIX);
            List<String> params = new java.util.ArrayList<>(List.of(n.getInput(p[0])));
            if (!n.getInput(p[1]).isEmpty()) {
                params.add(n.getInput(p[1]));
            }
            List<String> dq = new java.util.ArrayList<>(List.of(y + QUANTIZED_SUFFIX));
            dq.addAll(params);
            taps.add(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(y + "/dequantize").addAllInput(dq)
                    .addOutput(y).build());
            List<String> q = new java.util.ArrayList<>(List.of(y));
            q.addAll(params);
            taps.add(NodeProto.newBuilder().setOpType("QuantizeLinear").setName(y + "/requantize").addAllInput(q)
                    .addOutput(y + REQUANTIZED_SUFFIX).build());
        }
        if (renamed.isEmpty()) {
            return model;
        }
        GraphProto.Builder b = g.toBuilder().clearNode();
        int tap = 0;
        for (NodeProto n : g.getNodeList()) {
            NodeProto.Builder nb = n.toBuilder();
            for (int i = 0; i < nb.getInputCount(); i++) {
                String to = renamed.get(nb.getInput(i));
                if (to != null) {
                    nb.setInput(i, to);
                }
            }
            boolean tapped = n.getOutputCount() == 1 && renamed.containsKey(n.getOutput(0));
            if (tapped) {
                nb.setOutput(0, n.getOutput(0) + QUANTIZED_SUFFIX);
            }
            b.addNode(nb);
            if (tapped) {
                b.addNode(taps.get(tap++));
                b.addNode(taps.get(tap++));
            }
        }
        // what the file declares of a tapped map is now said of its quantized tensor
        for (int i = 0; i < b.getValueInfoCount(); i++) {
            String v = b.getValueInfo(i).getName();
            if (renamed.containsKey(v)) {
                b.setValueInfo(i, b.getValueInfo(i).toBuilder().setName(v + QUANTIZED_SUFFIX));
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
        return isUnbatched(graph) || DetectionOutputs.of(graph.model()).isPresent() || graph.model().proto().getMetadataPropsList()
                .stream().anyMatch(p -> p.getKey().equals(ONE_IMAGE) && p.getValue().equals("true"));
    }

    /** The metadata key a part cut out of a one-image model carries (it runs one image too). */
    static final String ONE_IMAGE = "xgradcam.one_image";

    /** The model with the given tensors as outputs besides the score (and only them). */
    /** The input of {@link #channelAblation}: per row, 1 for each channel to ablate, [M, C, 1, 1]. */
    public static final String ABLATION_MASK = "xgradcam_ablation_mask";

    /**
     * The whole model with the same channels ablated at several layers at once, as pytorch-grad-cam's
     * multi-layer Ablation-CAM replaces each layer's output in one forward: where the mask input
     * {@link #ABLATION_MASK} [M, C, 1, 1] is 1, a layer's channel becomes 0 when the layer's
     * minimum over the whole batch is 0, else that minimum - 1e5. Every consumer of a layer reads
     * the ablated tensor; the output is the score.
     */
    public static OnnxModel channelAblation(Graph graph, ModelShapes shapes, List<String> layers, String score) {
        GraphProto.Builder g = graph.model().proto().getGraph().toBuilder().clearOutput().clearValueInfo().clearNode();
        long[] first = shapes.shape(layers.get(0));
        g.addInput(ValueInfoProto.newBuilder().setName(ABLATION_MASK).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorInfo.FLOAT).setShape(TensorShapeProto.newBuilder()
                        .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("rows"))
                        .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(first[1]))
                        .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(1))
                        .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(1))))).build());
        g.addInitializer(TensorProtos.ofFloats("xgradcam_ablation_zero", new float[] {0f}));
        g.addInitializer(TensorProtos.ofFloats("xgradcam_ablation_offset", new float[] {1e5f}));
        g.addInitializer(TensorProtos.ofFloats("xgradcam_ablation_half", new float[] {0.5f}));
        g.addNode(node("Greater", List.of(ABLATION_MASK, "xgradcam_ablation_half"), List.of("xgradcam_ablation_where")));
        java.util.Map<String, String> ablated = new java.util.HashMap<>();
        for (String l : layers) {
            ablated.put(l, l + "/xgradcam_ablated");
        }
        for (NodeProto n : graph.model().proto().getGraph().getNodeList()) {
            NodeProto.Builder c = n.toBuilder().clearInput();
            n.getInputList().forEach(i -> c.addInput(ablated.getOrDefault(i, i)));
            g.addNode(c);
            for (String out : n.getOutputList()) {
                if (!ablated.containsKey(out)) {
                    continue;
                }
                String p = out + "/xgradcam_ablation";
                g.addNode(node("ReduceMin", List.of(out), List.of(p + "_min"), Attributes.ofInt("keepdims", 0)));
                g.addNode(node("Equal", List.of(p + "_min", "xgradcam_ablation_zero"), List.of(p + "_zero")));
                g.addNode(node("Sub", List.of(p + "_min", "xgradcam_ablation_offset"), List.of(p + "_low")));
                g.addNode(node("Where", List.of(p + "_zero", "xgradcam_ablation_zero", p + "_low"), List.of(p + "_value")));
                g.addNode(node("Where", List.of("xgradcam_ablation_where", p + "_value", out), List.of(ablated.get(out))));
            }
        }
        g.addOutput(floatValue(score, shapes.shape(score), false));
        return graph.model().withProto(graph.model().proto().toBuilder().setGraph(g).build());
    }

    public static OnnxModel withOutputs(Graph graph, ModelShapes shapes, String score, List<String> tensors) {
        GraphProto.Builder g = graph.model().proto().getGraph().toBuilder().clearOutput().clearValueInfo();
        g.addOutput(floatValue(score, shapes.shape(score), false));
        for (String t : tensors) {
            if (!t.equals(score)) {
                g.addOutput(typedValue(t, shapes.get(t).elemType())); // a float layer, or any value a fed tail reads
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
