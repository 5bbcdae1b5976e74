package org.xgradcam.autodiff;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.GradientFlow;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.TensorInfo;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.ModelProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorShapeProto;
import org.xgradcam.onnx.proto.OnnxProto.TypeProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * Reverse-mode differentiation by graph transformation. Only the nodes that lie between the
 * sources (the targets, and the input when its gradient is wanted) and the score get backward
 * nodes, visited in reverse topological order; gradients that fan in are summed. The forward
 * part is kept as it is, except that optional outputs a backward reuses (MaxPool's Indices,
 * LayerNormalization's statistics) are switched on, so nothing is computed twice.
 */
public final class GradientBuilder {
    private static final Set<String> ZERO_GRADIENT_OPS = GradientFlow.ZERO_GRADIENT_OPS;

    private static boolean differentiableInput(NodeProto n, int i) {
        return GradientFlow.carries(n, i);
    }

    /** What the score depends on through inputs that carry gradients. */
    private static Set<String> differentiableAncestors(Graph graph, String score) {
        return GradientFlow.ancestors(graph, score);
    }

    private static final String PREFIX = "xgradcam_bw/";

    private GradientBuilder() {}

    public static AugmentedModel build(Graph graph, ModelShapes shapes, GradientRequest request) {
        GradientRegistry registry = request.guided() ? GradientRegistry.guided() : GradientRegistry.standard();
        return new Run(graph, shapes, request, registry).build();
    }

    private static final class Run {
        final Graph graph;
        final ModelShapes shapes;
        final GradientRequest request;
        final GradientRegistry registry;
        final Emitter emit;
        final Set<String> reachable = new HashSet<>();
        final Map<String, List<String>> contributions = new HashMap<>();
        final Map<String, String> totals = new HashMap<>();
        final Map<NodeProto, Map<Integer, String>> extraOutputs = new IdentityHashMap<>();
        final boolean singleImage;
        private org.xgradcam.onnx.BatchAxes batchAxes;

        Run(Graph graph, ModelShapes shapes, GradientRequest request, GradientRegistry registry) {
            this.graph = graph;
            this.shapes = shapes;
            this.request = request;
            this.registry = registry;
            this.singleImage = org.xgradcam.onnx.GraphSurgery.runsOneImage(graph);
            this.emit = new Emitter(graph.model().opset(), request.pass().isEmpty() ? PREFIX : "xgradcam_bw" + request.pass() + "/");
        }

        AugmentedModel build() {
            String rawScore = request.score();
            String score = rawScore;
            TensorInfo scoreInfo = requireTensor(score, "score");
            if (!scoreInfo.isFloating()) {
                throw new XGradCamException("score tensor '" + score + "' is not a floating-point tensor ("
                        + scoreInfo.typeName() + ")");
            }
            // the backward reads fp16, bf16 and fp64 forward values as float32: one width for every rule
            Set<String> widened = new HashSet<>();
            for (NodeProto n : graph.nodes()) {
                for (String o : n.getOutputList()) {
                    shapes.find(o).filter(i -> i.isFloating() && !i.isFloat()).ifPresent(i -> widened.add(o));
                }
            }
            for (var t : graph.model().proto().getGraph().getInitializerList()) {
                if (TensorInfo.isFloating(t.getDataType()) && t.getDataType() != TensorInfo.FLOAT) {
                    widened.add(t.getName());
                }
            }
            emit.readInFloat32(widened);
            if (request.targets().isEmpty()) {
                throw new XGradCamException("no target layer given");
            }
            Set<String> sources = new LinkedHashSet<>(request.targets());
            String input = shapes.inputName();
            if (request.inputGradient()) {
                sources.add(input);
            }
            for (String t : request.targets()) {
                if (!requireTensor(t, "layer").isFloating()) {
                    throw new XGradCamException("layer '" + t + "' is not a floating-point tensor ("
                            + requireTensor(t, "layer").typeName() + "); pick a feature map", XGradCamException.Advice.LAYERS);
                }
            }
            markReachable(sources);
            Set<String> upstreamOfScore = differentiableAncestors(graph, score);
            for (String t : sources) {
                if (!upstreamOfScore.contains(t)) {
                    throw new XGradCamException("layer '" + t + "' " + noInfluence(t, score));
                }
            }
            List<NodeProto> path = new ArrayList<>();
            for (NodeProto n : graph.nodes()) {
                boolean outOnPath = n.getOutputList().stream().anyMatch(o -> reachable.contains(o) && upstreamOfScore.contains(o));
                boolean inOnPath = false;
                for (int i = 0; i < n.getInputCount(); i++) {
                    inOnPath |= reachable.contains(n.getInput(i)) && differentiableInput(n, i);
                }
                if (outOnPath && inOnPath) {
                    path.add(n);
                }
            }
            checkRules(path);

            List<String> extraInputs = new ArrayList<>();
            String seed = request.seedName();
            extraInputs.add(seed);
            Optional<String> top1 = Optional.empty();
            String effectiveSeed = seed;
            long[] scoreShape = scoreInfo.shape();
            if (scoreShape.length == 2) {
                top1 = Optional.of(request.topClassSeedName());
                extraInputs.add(top1.get());
                effectiveSeed = topClassSeed(score, scoreShape[1], seed, top1.get());
            }
            contributions.computeIfAbsent(transformedScore(score, scoreShape), k -> new ArrayList<>()).add(effectiveSeed);
            if (!transformed.isEmpty()) {
                // the transform's own backward first: it sits after every forward node
                for (int i = transformed.size() - 1; i >= 0; i--) {
                    backward(transformed.get(i));
                }
            }

            for (int i = path.size() - 1; i >= 0; i--) {
                NodeProto n = path.get(i);
                backward(n);
            }

            Map<String, String> targetGradients = new LinkedHashMap<>();
            for (String t : request.targets()) {
                targetGradients.put(t, publish(t));
            }
            Optional<String> inputGradient = request.inputGradient() ? Optional.of(publish(input)) : Optional.empty();
            List<BiasTerm> biasTerms = request.biasGradients() ? biasTerms(path) : List.of();

            LinkedHashSet<String> outputs = new LinkedHashSet<>();
            outputs.add(score);
            outputs.addAll(request.keepOutputs());
            outputs.addAll(request.targets());
            outputs.addAll(targetGradients.values());
            inputGradient.ifPresent(outputs::add);
            for (BiasTerm b : biasTerms) {
                outputs.add(b.gradient());
                if (b.isSaturation()) {
                    outputs.add(b.clipInput());
                }
            }
            ModelProto augmented = assemble(extraInputs, scoreShape, outputs);
            return new AugmentedModel(graph.model().withProto(augmented), input, shapes.inputShape(), score,
                    scoreShape, "", seed, top1, request.targets(), targetGradients, inputGradient, biasTerms);
        }

        private TensorInfo requireTensor(String name, String role) {
            return shapes.find(name).orElseThrow(() -> new XGradCamException("unknown " + role + " '" + name
                    + "': no tensor of that name in " + graph.model().source(), XGradCamException.Advice.LAYERS));
        }

        private void markReachable(Set<String> sources) {
            reachable.addAll(sources);
            for (NodeProto n : graph.nodes()) {
                if (ZERO_GRADIENT_OPS.contains(n.getOpType())) {
                    continue;
                }
                boolean reached = false;
                for (int i = 0; i < n.getInputCount(); i++) {
                    reached |= reachable.contains(n.getInput(i)) && differentiableInput(n, i);
                }
                if (reached) {
                    for (int k = 0; k < n.getOutputCount(); k++) {
                        String o = n.getOutput(k);
                        int index = k;
                        if (!o.isEmpty() && shapes.find(o).map(t -> Quantized.carries(n, index, t)).orElse(false)) {
                            reachable.add(o);
                        }
                    }
                }
            }
        }

        /**
         * Why a layer is not upstream of the score through inputs that carry gradients: it is not
         * upstream at all, or only through control flow (a subgraph reading it by name) or through
         * inputs that carry none (indices, shapes).
         */
        private String noInfluence(String layer, String score) {
            Set<String> between = new HashSet<>(graph.ancestors(score));
            between.retainAll(graph.descendants(List.of(layer)));
            if (between.isEmpty()) {
                return "does not influence the score '" + score + "'; pick a layer before it";
            }
            for (NodeProto n : graph.nodes()) {
                if (Set.of("If", "Loop", "Scan").contains(n.getOpType())
                        && n.getOutputList().stream().anyMatch(between::contains)) {
                    return "reaches the score '" + score + "' only through control flow (" + Graph.label(n) + "), which"
                            + " xgradcam does not differentiate through; pick a layer after it, or export the model"
                            + " without data-dependent branches or loops";
                }
            }
            for (NodeProto n : graph.nodes()) {
                for (int i = 0; i < n.getInputCount(); i++) {
                    if (between.contains(n.getInput(i)) && !differentiableInput(n, i)
                            && n.getOutputList().stream().anyMatch(between::contains)) {
                        return "reaches the score '" + score + "' only through input " + i + " of " + Graph.label(n)
                                + ", which carries no gradient (a shape, an index, a comparison or a quantization"
                                + " parameter); pick a layer after it";
                    }
                }
            }
            return "does not influence the score '" + score + "' through any input that carries a gradient; pick"
                    + " a layer after it";
        }

        /** What cuts the gradient off: ops whose gradient is zero, or control flow the builder does not enter. */
        private String whyNoGradient() {
            List<String> reasons = new ArrayList<>();
            for (NodeProto n : graph.nodes()) {
                if (Set.of("If", "Loop", "Scan").contains(n.getOpType())) {
                    reasons.add("the model has control flow (" + n.getOpType() + " node '" + n.getName() + "'), which"
                            + " xgradcam does not differentiate through (export it without data-dependent branches)");
                    break;
                }
            }
            List<String> zero = new ArrayList<>();
            for (NodeProto n : graph.nodes()) {
                if (ZERO_GRADIENT_OPS.contains(n.getOpType()) && n.getInputList().stream().anyMatch(reachable::contains)
                        && zero.size() < 3) {
                    zero.add(n.getOpType() + " node '" + n.getName() + "'");
                }
            }
            if (!zero.isEmpty()) {
                reasons.add("its paths to the score pass through " + String.join(", ", zero) + ", whose gradient is zero");
            }
            return reasons.isEmpty() ? "the score does not depend on it" : String.join("; ", reasons);
        }

        private void checkRules(List<NodeProto> path) {
            List<String> missing = new ArrayList<>();
            List<String> blocking = new ArrayList<>();
            for (NodeProto n : path) {
                boolean known = (org.xgradcam.onnx.OnnxModel.isDefaultDomain(n.getDomain())
                        || (n.getDomain().equals("com.microsoft") && Quantized.MICROSOFT_OPS.contains(n.getOpType())))
                        && registry.find(n.getOpType()).isPresent();
                if (!known) {
                    missing.add(Graph.label(n) + (n.getDomain().isEmpty() ? "" : " (domain " + n.getDomain() + ")"));
                    blocking.addAll(n.getOutputList());
                }
            }
            if (!missing.isEmpty()) {
                throw new UnsupportedOpsException("cannot differentiate " + missing.size() + " node(s) between the layer and"
                        + " the score, no gradient rule for: " + String.join(", ", missing.subList(0, Math.min(5, missing.size())))
                        + (missing.size() > 5 ? ", ..." : "") + ". Pick a later layer, or use a model with supported ops: "
                        + String.join(" ", new TreeSet<>(registry.supportedOps())), blocking);
            }
        }

        private final List<NodeProto> transformed = new ArrayList<>();
        private final Map<String, TensorInfo> extraShapes = new HashMap<>();

        /**
         * Appends the score transform as forward nodes (kept in the augmented graph) and returns
         * the tensor the seed weighs. Their shapes equal the score's.
         */
        private String transformedScore(String forwardScore, long[] shape) {
            if (request.transform() == GradientRequest.ScoreTransform.NONE) {
                return forwardScore;
            }
            String score = emit.view(forwardScore); // the transform runs in float32, as the backward does
            switch (request.transform()) {
                case SOFTMAX -> {
                    String p = emit.fresh("probabilities");
                    NodeProto n = NodeProto.newBuilder().setOpType("Softmax").setName(p + "_node").addInput(score)
                            .addOutput(p).addAttribute(Attributes.ofInt("axis", 1)).build();
                    if (emit.opset() < 13 && shape.length != 2) {
                        throw new XGradCamException("a probability target needs a [N, classes] score before opset 13");
                    }
                    addTransformNode(n, shape);
                    return p;
                }
                case L2_NORMALIZE -> {
                    String sq = emit.fresh("squares");
                    String sum = emit.fresh("sum_squares");
                    String norm = emit.fresh("norm");
                    String out = emit.fresh("normalised");
                    long[] reduced = shape.clone();
                    reduced[1] = 1;
                    addTransformNode(NodeProto.newBuilder().setOpType("Mul").setName(sq + "_node").addInput(score)
                            .addInput(score).addOutput(sq).build(), shape);
                    NodeProto.Builder rs = NodeProto.newBuilder().setOpType("ReduceSum").setName(sum + "_node")
                            .addInput(sq).addOutput(sum).addAttribute(Attributes.ofInt("keepdims", 1));
                    if (emit.opset() >= 13) {
                        rs.addInput(emit.longs(1));
                    } else {
                        rs.addAttribute(Attributes.ofInts("axes", 1));
                    }
                    addTransformNode(rs.build(), reduced);
                    addTransformNode(NodeProto.newBuilder().setOpType("Sqrt").setName(norm + "_node").addInput(sum)
                            .addOutput(norm).build(), reduced);
                    addTransformNode(NodeProto.newBuilder().setOpType("Div").setName(out + "_node").addInput(score)
                            .addInput(norm).addOutput(out).build(), shape);
                    return out;
                }
                default -> throw new IllegalStateException();
            }
        }

        private void addTransformNode(NodeProto n, long[] shape) {
            emit.nodes().add(n);
            transformed.add(n);
            for (String o : n.getOutputList()) {
                reachable.add(o);
                extraShapes.put(o, new TensorInfo(o, TensorInfo.FLOAT, shape));
            }
        }

        /** seed + top1 * onehot(argmax(score)): the default target resolved inside the graph. */
        private String topClassSeed(String score, long classes, String seed, String top1) {
            String arg = emit.op("ArgMax", score, Attributes.ofInt("axis", 1), Attributes.ofInt("keepdims", 1));
            long[] range = new long[(int) classes];
            for (int i = 0; i < classes; i++) {
                range[i] = i;
            }
            String hot = emit.mask(emit.op("Equal", List.of(arg, emit.longsShaped(range, 1, classes))));
            return emit.add(seed, emit.mul(hot, top1));
        }

        /** The total gradient of a tensor; its contributions are final once all consumers are done. */
        private Optional<String> total(String tensor) {
            String done = totals.get(tensor);
            if (done != null) {
                return Optional.of(done);
            }
            List<String> parts = contributions.get(tensor);
            if (parts == null || parts.isEmpty()) {
                return Optional.empty();
            }
            String sum = emit.sum(parts);
            totals.put(tensor, sum);
            return Optional.of(sum);
        }

        /** Gives a tensor's gradient a stable output name: grad:<tensor>. */
        private String publish(String tensor) {
            String g = total(tensor).orElseThrow(() -> new XGradCamException("no gradient reaches '" + tensor + "' from the"
                    + " score: " + whyNoGradient() + "; choose another layer", XGradCamException.Advice.LAYERS));
            String name = request.gradientName(tensor);
            if (!g.equals(name)) {
                emit.emit("Identity", List.of(g), List.of(name));
                totals.put(tensor, name);
            }
            return name;
        }

        private void backward(NodeProto n) {
            GradientRule rule = registry.find(n.getOpType()).orElseThrow();
            Map<Integer, String> produced = new HashMap<>();
            BackwardContext ctx = new BackwardContext() {
                @Override
                public Emitter emit() {
                    return emit;
                }

                @Override
                public Graph graph() {
                    return graph;
                }

                @Override
                public ModelShapes shapes() {
                    return shapes;
                }

                @Override
                public Optional<long[]> constantLongs(String name) {
                    for (var t : emit.initializers()) {
                        if (t.getName().equals(name)) {
                            return Optional.of(org.xgradcam.onnx.TensorProtos.toLongs(t, null));
                        }
                    }
                    Optional<long[]> c = graph.constantLongs(name);
                    // shapes measured on the input itself (a selecting detector's one image) also know
                    // the values its small integer tensors had: this backward is built for that input
                    return c.isPresent() ? c : shapes.measuredLongs(name);
                }

                @Override
                public long[] shape(String tensor) {
                    TensorInfo extra = extraShapes.get(tensor);
                    return extra != null ? extra.shape() : shapes.shape(tensor);
                }

                @Override
                public boolean singleImage() {
                    return singleImage;
                }

                @Override
                public boolean isBatchAxis(String tensor, int axis) {
                    if (singleImage) {
                        return false;
                    }
                    if (batchAxes == null) {
                        batchAxes = new org.xgradcam.onnx.BatchAxes(graph, shapes);
                    }
                    return batchAxes.isBatch(tensor, axis);
                }

                @Override
                public Optional<String> outputGradient(int i) {
                    return i < n.getOutputCount() ? total(n.getOutput(i)) : Optional.empty();
                }

                @Override
                public boolean wantsGradient(int i) {
                    return i < n.getInputCount() && reachable.contains(n.getInput(i)) && differentiableInput(n, i);
                }

                @Override
                public void setInputGradient(int i, String gradient) {
                    if (wantsGradient(i)) {
                        produced.put(i, gradient);
                    }
                }

                @Override
                public String requireForwardOutput(NodeProto node, int i) {
                    if (i < node.getOutputCount() && !node.getOutput(i).isEmpty()) {
                        return node.getOutput(i);
                    }
                    return extraOutputs.computeIfAbsent(node, k -> new HashMap<>())
                            .computeIfAbsent(i, k -> emit.fresh("fwd_out" + i));
                }
            };
            if (ctx.outputGradient(0).isEmpty()) {
                if (n.getOutputCount() == 1) {
                    return; // on the path to the score only through an output nobody differentiates
                }
                boolean any = false;
                for (int i = 0; i < n.getOutputCount(); i++) {
                    any |= ctx.outputGradient(i).isPresent();
                }
                if (!any) {
                    return;
                }
            }
            rule.backward(n, ctx);
            for (int i = 0; i < n.getInputCount(); i++) {
                if (ctx.wantsGradient(i)) {
                    String g = produced.get(i);
                    if (g == null) {
                        throw new XGradCamException("internal error: the " + n.getOpType() + " rule gave no gradient for input "
                                + i + " of " + Graph.label(n));
                    }
                    contributions.computeIfAbsent(n.getInput(i), k -> new ArrayList<>()).add(g);
                }
            }
        }

        private List<BiasTerm> biasTerms(List<NodeProto> path) {
            List<BiasTerm> terms = new ArrayList<>();
            for (NodeProto n : path) {
                Optional<String> grad = total(n.getOutput(0));
                if (grad.isEmpty()) {
                    continue;
                }
                long[] outShape = shapes.shape(n.getOutput(0));
                BiasTerm term = switch (n.getOpType()) {
                    case "Conv", "ConvTranspose" -> n.getInputCount() > 2 && !n.getInput(2).isEmpty()
                            ? channelBias(n, graph.constantFloats(n.getInput(2)), outShape, grad.get()) : null;
                    case "Gemm" -> gemmBias(n, outShape, grad.get());
                    case "BatchNormalization" -> batchNormBias(n, outShape, grad.get());
                    case "Add", "Sub" -> addBias(n, outShape, grad.get());
                    case "Clip" -> clipSaturation(n, outShape, grad.get());
                    default -> null;
                };
                if (term != null) {
                    terms.add(term);
                }
            }
            for (BiasTerm t : terms) {
                publish(t.output());
            }
            List<BiasTerm> named = new ArrayList<>();
            for (BiasTerm t : terms) {
                named.add(new BiasTerm(t.node(), t.opType(), t.output(), t.bias(), t.biasShape(), request.gradientName(t.output()),
                        t.clipInput(), t.clipMin(), t.clipMax()));
            }
            return named;
        }

        /** A Clip with constant bounds: its input (a forward tensor) is exposed to find saturated units. */
        private BiasTerm clipSaturation(NodeProto n, long[] outShape, String grad) {
            float min = Float.NEGATIVE_INFINITY;
            float max = Float.POSITIVE_INFINITY;
            if (emit.opset() < 11) {
                min = Attributes.getFloat(n, "min", min);
                max = Attributes.getFloat(n, "max", max);
            } else {
                if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
                    Optional<float[]> v = graph.constantFloats(n.getInput(1));
                    if (v.isEmpty()) {
                        return null;
                    }
                    min = v.get()[0];
                }
                if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
                    Optional<float[]> v = graph.constantFloats(n.getInput(2));
                    if (v.isEmpty()) {
                        return null;
                    }
                    max = v.get()[0];
                }
            }
            return new BiasTerm(nodeName(n), "Clip", n.getOutput(0), new float[0], outShape, grad, n.getInput(0), min, max);
        }

        private BiasTerm channelBias(NodeProto n, Optional<float[]> bias, long[] outShape, String grad) {
            if (bias.isEmpty()) {
                return null;
            }
            long[] shape = new long[outShape.length];
            java.util.Arrays.fill(shape, 1);
            shape[1] = outShape[1];
            return new BiasTerm(nodeName(n), n.getOpType(), n.getOutput(0), bias.get(), shape, grad);
        }

        private BiasTerm gemmBias(NodeProto n, long[] outShape, String grad) {
            if (n.getInputCount() < 3 || n.getInput(2).isEmpty()) {
                return null;
            }
            Optional<float[]> c = graph.constantFloats(n.getInput(2));
            if (c.isEmpty()) {
                return null;
            }
            float beta = Attributes.getFloat(n, "beta", 1f);
            float[] b = c.get().clone();
            for (int i = 0; i < b.length; i++) {
                b[i] *= beta;
            }
            return new BiasTerm(nodeName(n), n.getOpType(), n.getOutput(0), b,
                    aligned(shapes.shape(n.getInput(2)), outShape.length), grad);
        }

        private BiasTerm batchNormBias(NodeProto n, long[] outShape, String grad) {
            Optional<float[]> scale = graph.constantFloats(n.getInput(1));
            Optional<float[]> b = graph.constantFloats(n.getInput(2));
            Optional<float[]> mean = graph.constantFloats(n.getInput(3));
            Optional<float[]> var = graph.constantFloats(n.getInput(4));
            if (scale.isEmpty() || b.isEmpty() || mean.isEmpty() || var.isEmpty()) {
                return null;
            }
            float eps = Attributes.getFloat(n, "epsilon", 1e-5f);
            float[] eff = new float[b.get().length];
            for (int i = 0; i < eff.length; i++) {
                // y = x * s / sqrt(v + eps) + (b - m * s / sqrt(v + eps)): the second part is the bias
                eff[i] = (float) (b.get()[i] - mean.get()[i] * scale.get()[i] / Math.sqrt(var.get()[i] + eps));
            }
            return channelBias(n, Optional.of(eff), outShape, grad);
        }

        private BiasTerm addBias(NodeProto n, long[] outShape, String grad) {
            for (int i = 0; i < 2; i++) {
                String other = n.getInput(1 - i);
                if (reachable.contains(n.getInput(i)) && !reachable.contains(other)) {
                    Optional<float[]> c = graph.constantFloats(other);
                    if (c.isPresent()) {
                        float[] b = c.get().clone();
                        if (n.getOpType().equals("Sub") && i == 0) {
                            for (int k = 0; k < b.length; k++) {
                                b[k] = -b[k];
                            }
                        } else if (n.getOpType().equals("Sub")) {
                            return null; // constant - x is a bias plus a sign flip; rare, left out
                        }
                        return new BiasTerm(nodeName(n), n.getOpType(), n.getOutput(0), b,
                                aligned(shapes.shape(other), outShape.length), grad);
                    }
                }
            }
            return null;
        }

        private static long[] aligned(long[] shape, int rank) {
            long[] out = new long[rank];
            java.util.Arrays.fill(out, 1);
            int lead = rank - shape.length;
            for (int i = 0; i < shape.length; i++) {
                if (i + lead >= 1) {
                    out[i + lead] = shape[i];
                }
            }
            return out;
        }

        private static String nodeName(NodeProto n) {
            return n.getName().isEmpty() ? n.getOutput(0) : n.getName();
        }

        private ModelProto assemble(List<String> extraInputs, long[] scoreShape, Set<String> outputs) {
            ModelProto original = graph.model().proto();
            GraphProto.Builder g = original.getGraph().toBuilder();
            g.clearNode();
            // value_info may pin intermediate shapes to the exported batch size; ONNX Runtime infers them again
            g.clearValueInfo();
            freeBatchAxis(g);
            for (NodeProto n : graph.nodes()) {
                Map<Integer, String> extra = extraOutputs.get(n);
                if (extra == null) {
                    g.addNode(n);
                    continue;
                }
                NodeProto.Builder b = n.toBuilder();
                int needed = extra.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
                while (b.getOutputCount() < needed) {
                    b.addOutput("");
                }
                extra.forEach(b::setOutput);
                g.addNode(b);
            }
            g.addAllNode(emit.nodes());
            g.addAllInitializer(emit.initializers());
            for (String in : extraInputs) {
                g.addInput(floatInput(in, in.equals(request.topClassSeedName()) ? new long[] {-1, 1} : scoreShape));
            }
            g.clearOutput();
            for (String o : outputs) {
                // forward tensors keep their own type (an fp16 map); gradients and backward values are float32
                int type = shapes.find(o).map(TensorInfo::elemType).orElse(TensorInfo.FLOAT);
                g.addOutput(ValueInfoProto.newBuilder().setName(o)
                        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(type))));
            }
            return original.toBuilder().setGraph(g).build();
        }

        /** The image input gets a free batch axis, so one augmented model serves any batch size. */
        private void freeBatchAxis(GraphProto.Builder g) {
            for (int i = 0; i < g.getInputCount(); i++) {
                if (g.getInput(i).getName().equals(shapes.inputName())) {
                    ValueInfoProto.Builder v = g.getInput(i).toBuilder();
                    TensorShapeProto.Builder s = v.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
                    if (s.getDimCount() > 0) {
                        s.setDim(0, TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
                    }
                    g.setInput(i, v);
                }
            }
        }

        /** A float input with a free batch axis (-1) and the given static dims. */
        private static ValueInfoProto floatInput(String name, long[] shape) {
            TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
            for (int i = 0; i < shape.length; i++) {
                if (i == 0) {
                    s.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
                } else {
                    s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(shape[i]));
                }
            }
            return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorInfo.FLOAT).setShape(s))).build();
        }
    }
}
