package org.xgradcam.onnx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * The tensors of a model that can serve as CAM target layers (4-D float feature maps that
 * influence the score), the default one, and the score tensor itself.
 */
public final class LayerCatalog {
    /** Ops that pass a tensor on unchanged (in value and shape) at inference. */
    private static final Set<String> ALIASES = Set.of("Identity", "Dropout");
    private static final Set<String> SOFTMAX = Set.of("Softmax", "LogSoftmax");
    private static final Set<String> RESHAPES = Set.of("Identity", "Flatten", "Reshape", "Squeeze");

    /**
     * A candidate layer: the tensor, the op and node that produce it, its shape as a feature map
     * [1, C, H, W] (batch 1), and how the tensor is seen as that map (tokens and channels-last
     * tensors are reshaped, see {@link LayerView}).
     */
    public record Layer(String tensor, String opType, String node, long[] shape, LayerView view) {
        public String describe() {
            StringBuilder s = new StringBuilder();
            long[] own = view.ownShape(); // a 3-D map as C x D x H x W
            for (int i = 1; i < own.length; i++) {
                s.append(i == 1 ? "" : "x").append(own[i]);
            }
            return s.toString();
        }
    }

    private final Graph graph;
    private final ModelShapes shapes;
    private final String score;
    private final String scoreNote;
    private final List<Layer> layers;
    private final Layer defaultLayer;

    /**
     * How token tensors [N, T, C] lie on the patch grid, when the model does not say it plainly:
     * the grid (height x width; 0 x 0 to infer it) and the number of leading tokens (-1 to infer
     * it as T - height * width).
     */
    public record TokenLayout(int prefixTokens, int height, int width) {
        public TokenLayout {
            if (prefixTokens < -1 || prefixTokens > 64 || height < 0 || width < 0 || (height == 0) != (width == 0)) {
                throw new XGradCamException("a token layout needs a grid HxW of positive sizes (or none) and 0 to 64"
                        + " leading tokens, got " + height + "x" + width + " with " + prefixTokens);
            }
        }
    }

    private final TokenLayout tokenLayout;
    /** The steps T of a sequence score [1, T, C] (a text recogniser), or -1. */
    private final long sequenceSteps;

    public LayerCatalog(Graph graph, ModelShapes shapes) {
        this(graph, shapes, null);
    }

    public LayerCatalog(Graph graph, ModelShapes shapes, TokenLayout tokenLayout) {
        this.graph = graph;
        this.tokenLayout = tokenLayout;
        this.shapes = shapes;
        // a detector selecting its boxes in the graph: the score is an entry of its scores output
        String output = DetectionOutputs.of(graph.model()).map(DetectionOutputs::scores).orElse(graph.outputs().get(0));
        String s = output;
        String note = "";
        // Pre-softmax logits are the score, as in the original work and pytorch-grad-cam.
        String t = output;
        while (true) {
            Optional<NodeProto> p = graph.producer(t);
            if (p.isEmpty()) {
                break;
            }
            if (SOFTMAX.contains(p.get().getOpType())) {
                s = p.get().getInput(0);
                note = "the model ends in " + p.get().getOpType() + "; its input '" + s
                        + "' (the pre-softmax logits) is used as the score";
                break;
            }
            if (!RESHAPES.contains(p.get().getOpType())) {
                break;
            }
            t = p.get().getInput(0);
        }
        this.score = s;
        this.scoreNote = note;
        long[] scoreShape = shapes.find(score).map(TensorInfo::shape).orElse(new long[0]);
        this.sequenceSteps = SequenceOutputs.recognises(graph, score, scoreShape) ? scoreShape[1] : -1;
        Set<String> upstream = graph.ancestors(score);
        java.util.Map<String, int[]> layouts = layouts(graph, shapes);
        this.attention = graph.nodes().stream().anyMatch(n -> n.getOpType().equals("Softmax") && upstream.contains(n.getOutput(0))
                && readsProduct(graph, n.getInput(0), 4));
        this.grid = tokenLayout != null && tokenLayout.height() > 0 ? new int[] {tokenLayout.height(), tokenLayout.width()}
                : patchGrid(graph, shapes);
        List<Layer> found = new ArrayList<>();
        boolean volumeInput = shapes.inputShape().length == 5;
        for (NodeProto n : graph.nodes()) {
            for (String out : n.getOutputList()) {
                if (out.isEmpty() || !upstream.contains(out) || out.equals(score)) {
                    continue;
                }
                Optional<TensorInfo> info = shapes.find(out).filter(i -> i.isFloating() && i.shape().length > 0 && i.shape()[0] == 1);
                if (info.isEmpty()) {
                    continue; // not float, or its first axis is not the batch (e.g. Swin's windows)
                }
                long[] shape = info.get().shape();
                LayerView view = null;
                if (shape.length == 4) {
                    int[] layout = layouts.get(out);
                    if (layout == null || java.util.Arrays.equals(layout, NCHW)) {
                        view = LayerView.nchw(shape);
                    } else if (java.util.Arrays.equals(layout, NHWC)) {
                        view = LayerView.nhwc(shape); // channels last: Swin's stages, TensorFlow exports
                    }
                    // other axis orders (e.g. MaxViT's partitions) are not feature maps
                } else if (shape.length == 3) {
                    view = tokenView(shape).orElse(null);
                } else if (shape.length == 5 && volumeInput && !REORDERING.contains(n.getOpType())) {
                    view = LayerView.volume(shape); // a 3-D map of a video or volume model [N, C, D, H, W]
                }
                if (view != null) {
                    found.add(new Layer(out, shippedOp(n), n.getName(), view.shape(), view));
                }
            }
        }
        this.layers = Collections.unmodifiableList(found);
        this.gradientReaches = GradientFlow.ancestors(graph, score);
        this.defaultLayer = pickDefault();
    }

    /** The op a map comes from as shipped: a QLinear op's, not that of the dequantization read after it. */
    private String shippedOp(NodeProto n) {
        if (n.getOpType().equals("DequantizeLinear") && n.getInput(0).endsWith(GraphSurgery.QUANTIZED_SUFFIX)) {
            return graph.producer(n.getInput(0)).map(NodeProto::getOpType).orElse(n.getOpType());
        }
        return n.getOpType();
    }

    /** The patch grid of a vision transformer: the output of its patch-embedding convolution, or null. */
    private final int[] grid;
    /** Whether attention (a softmax over a matrix product) leads to the score: tokens may lie on a square without a patch grid. */
    private final boolean attention;

    /** The tensors the score depends on through inputs that carry gradients. */
    private final Set<String> gradientReaches;

    /**
     * Whether a gradient from the score reaches the layer (not only a Shape, an index or a
     * quantization parameter reads it): only such layers are proposed as the default.
     */
    public boolean gradientReaches(String tensor) {
        return gradientReaches.contains(tensor);
    }

    /**
     * What a map holds, as shipped: its float type (fp32, fp16, bf16), or the integer type it
     * dequantizes, "uint8 via QDQ" for a QuantizeLinear/DequantizeLinear pair and "uint8
     * (QOperator)" for a QLinear op's output read through its dequantization.
     */
    public String typeOf(String tensor) {
        Optional<NodeProto> p = graph.producer(tensor);
        if (p.isPresent() && p.get().getOpType().equals("DequantizeLinear")) {
            String q = p.get().getInput(0);
            String integer = shapes.find(q).map(TensorInfo::typeName).orElse("integer");
            // a QuantizeLinear of the model's own (not the requantization read after a QLinear op)
            boolean pair = !q.endsWith(GraphSurgery.REQUANTIZED_SUFFIX)
                    && graph.producer(q).map(n -> n.getOpType().equals("QuantizeLinear")).orElse(false);
            return integer + (pair ? " via QDQ" : " (QOperator)");
        }
        return shapes.find(tensor).map(TensorInfo::typeName).orElse("?");
    }

    /** At most this many leading tokens before the grid's: class, distillation and register tokens. */
    public static final int MAX_PREFIX_TOKENS = 8;

    /**
     * The grid of a patch-embedding convolution (kernel equal to its stride, as ViT, DeiT and
     * Swin have) on the way to the score, or null: the first such convolution's output H x W.
     */
    /**
     * Whether a tensor is a matrix product, seen through a few scalings and masks (attention's
     * softmax(q k^T / sqrt(d) + mask)); a classifier's or a detector's softmax over classes reads a
     * convolution or a reshape.
     */
    private static boolean readsProduct(Graph graph, String tensor, int depth) {
        Optional<NodeProto> p = graph.producer(tensor);
        if (p.isEmpty() || depth < 0) {
            return false;
        }
        String op = p.get().getOpType();
        if (op.equals("MatMul") || op.equals("Einsum")) {
            return true;
        }
        return Set.of("Mul", "Div", "Add", "Sub", "Where", "Cast").contains(op) && p.get().getInputList().stream()
                .anyMatch(i -> !i.isEmpty() && readsProduct(graph, i, depth - 1));
    }

    private static int[] patchGrid(Graph graph, ModelShapes shapes) {
        for (NodeProto n : graph.nodes()) {
            if (!n.getOpType().equals("Conv")) {
                continue;
            }
            long[] k = Attributes.getInts(n, "kernel_shape", new long[0]);
            long[] st = Attributes.getInts(n, "strides", new long[0]);
            if (k.length == 2 && java.util.Arrays.equals(k, st) && k[0] > 1) {
                Optional<TensorInfo> o = shapes.find(n.getOutput(0));
                if (o.isPresent() && o.get().rank() == 4) {
                    return new int[] {(int) o.get().shape()[2], (int) o.get().shape()[3]};
                }
            }
        }
        return null;
    }

    /**
     * A tensor [1, T, C] as tokens on a grid: the patch grid when T exceeds it by at most 8
     * leading tokens, else, in a model with attention, the nearest square (T - K = s * s, K <= 8 as
     * small as possible), with s >= 2; for a sequence model, its T steps as a 1 x T row. Anything
     * else (attention scores, a CNN detector's [1, anchors, classes]) is not a map.
     */
    private Optional<LayerView> tokenView(long[] shape) {
        long t = shape[1];
        int c = (int) shape[2];
        if (tokenLayout == null && sequenceSteps > 0) {
            // a sequence's steps: a row along the image's width; other rank-3 tensors of a text
            // recogniser ([1, C, T] before its transpose) are no square grid
            return t == sequenceSteps ? Optional.of(LayerView.tokens(0, 1, (int) t, c)) : Optional.empty();
        }
        if (tokenLayout != null && tokenLayout.prefixTokens() >= 0) {
            long rest = t - tokenLayout.prefixTokens();
            if (grid != null) {
                return rest == (long) grid[0] * grid[1] ? Optional.of(LayerView.tokens(tokenLayout.prefixTokens(), grid[0],
                        grid[1], c)) : Optional.empty();
            }
            long side = Math.round(Math.sqrt(Math.max(rest, 0)));
            return side >= 2 && side * side == rest
                    ? Optional.of(LayerView.tokens(tokenLayout.prefixTokens(), (int) side, (int) side, c)) : Optional.empty();
        }
        if (grid != null) {
            long k = t - (long) grid[0] * grid[1];
            if (k >= 0 && k <= MAX_PREFIX_TOKENS) {
                return Optional.of(LayerView.tokens((int) k, grid[0], grid[1], c));
            }
            return Optional.empty();
        }
        if (!attention) {
            // no patch grid and no attention: a [1, T, C] tensor is a CNN's reshape (a detection head's
            // [1, anchors, classes]), not tokens on a square
            return Optional.empty();
        }
        for (int k = 0; k <= MAX_PREFIX_TOKENS && k < t; k++) {
            long side = Math.round(Math.sqrt(t - k));
            if (side >= 2 && side * side == t - k) {
                return Optional.of(LayerView.tokens(k, (int) side, (int) side, c));
            }
        }
        return Optional.empty();
    }

    /** Ops whose 5-D outputs may hold the axes in another order (no [N, C, D, H, W] map). */
    private static final Set<String> REORDERING = Set.of("Reshape", "Transpose", "Flatten", "Split", "Slice", "Gather");

    private static final int[] NCHW = {0, 1, 2, 3};
    private static final int[] NHWC = {0, 2, 3, 1};

    /**
     * The axis order of each 4-D tensor relative to NCHW, followed through Transposes: conv-like
     * ops produce NCHW, other ops keep the order of their first non-NCHW 4-D input. An NHWC
     * image input (channels last, as TensorFlow exports) starts as {0, 2, 3, 1}.
     */
    private static java.util.Map<String, int[]> layouts(Graph graph, ModelShapes shapes) {
        java.util.Map<String, int[]> layout = new java.util.HashMap<>();
        long[] in = shapes.inputShape();
        if (in.length == 4) {
            layout.put(shapes.inputName(), in[3] == 3 && in[1] != 3 ? new int[] {0, 2, 3, 1} : NCHW);
        }
        Set<String> channelFirst = Set.of("Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool",
                "GlobalMaxPool", "BatchNormalization", "LRN", "Reshape", "Flatten");
        for (NodeProto n : graph.nodes()) {
            int[] result = NCHW;
            if (n.getOpType().equals("Transpose")) {
                int[] src = layout.getOrDefault(n.getInput(0), NCHW);
                long[] perm = Attributes.getInts(n, "perm", new long[] {3, 2, 1, 0});
                if (perm.length == 4) {
                    result = new int[4];
                    for (int i = 0; i < 4; i++) {
                        result[i] = src[(int) perm[i]];
                    }
                }
            } else if (!channelFirst.contains(n.getOpType())) {
                for (String i : n.getInputList()) {
                    int[] l = layout.get(i);
                    if (l != null && !java.util.Arrays.equals(l, NCHW)) {
                        result = l;
                        break;
                    }
                }
            }
            for (String out : n.getOutputList()) {
                if (!out.isEmpty() && shapes.find(out).map(t -> t.rank() == 4).orElse(false)) {
                    layout.put(out, result);
                }
            }
        }
        return layout;
    }

    public static LayerCatalog of(Graph graph, ModelShapes shapes) {
        return new LayerCatalog(graph, shapes);
    }

    public static LayerCatalog of(Graph graph, ModelShapes shapes, TokenLayout tokens) {
        return new LayerCatalog(graph, shapes, tokens);
    }

    public String score() {
        return score;
    }

    /** Empty unless the score is not the model's output (e.g. the input of a final Softmax). */
    public String scoreNote() {
        return scoreNote;
    }

    public List<Layer> layers() {
        return layers;
    }

    public Optional<Layer> defaultLayer() {
        return Optional.ofNullable(defaultLayer);
    }

    public Layer requireDefault() {
        if (defaultLayer == null) {
            Optional<NodeProto> flow = controlFlow();
            if (flow.isPresent()) {
                throw new XGradCamException(graph.model().source() + " has control flow (" + flow.get().getOpType()
                        + " node '" + flow.get().getName() + "'), and xgradcam does not look inside If/Loop/Scan subgraphs:"
                        + " no feature map with a spatial size above 1 is left outside them. Export the model without"
                        + " data-dependent branches (torch.onnx.export tracing a fixed path, or fold constant branches with"
                        + " onnx-simplifier)");
            }
            throw new XGradCamException(graph.model().source() + " has no 4-D feature map with a spatial size above 1 on"
                    + " the way to its score; xgradcam explains image models with convolutional feature maps (name a"
                    + " layer if the model has one)", XGradCamException.Advice.LAYERS);
        }
        return defaultLayer;
    }

    /** The first If, Loop or Scan node on the way to the score, if any. */
    private Optional<NodeProto> controlFlow() {
        Set<String> upstream = graph.ancestors(score);
        for (NodeProto n : graph.nodes()) {
            if (Set.of("If", "Loop", "Scan").contains(n.getOpType())
                    && n.getOutputList().stream().anyMatch(o -> upstream.contains(o) || o.equals(score))) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /**
     * The last 4-D map with more than one spatial cell on the path to the score, as torch-cam
     * picks it; when that map merely repeats an earlier one (Identity, Dropout, a 1x1 stride-1
     * average pool such as VGG's adaptive pool at 224x224), the earlier one is named instead.
     */
    private Layer pickDefault() {
        // a text recogniser: the last map of its convolutional backbone (each step's own columns),
        // not the tokens after its attention, where every step has seen the whole line
        Layer transformer = sequenceSteps > 0 ? null : transformerDefault();
        if (transformer != null) {
            return transformer;
        }
        Layer backbone = detectorDefault();
        if (backbone != null) {
            return backbone;
        }
        // one channel explains nothing (every CAM of it is the channel itself, the model's own
        // output in a mask model's head): the last map with several channels, else the last one
        Layer best = null;
        Layer single = null;
        for (Layer l : layers) {
            if (l.view().isConvMap() && l.shape()[2] * l.shape()[3] > 1 && gradientReaches(l.tensor())) {
                if (l.shape()[1] > 1) {
                    best = l;
                } else {
                    single = l;
                }
            }
        }
        if (best == null) {
            best = single;
        }
        if (best == null) {
            // no gradient reaches any map: the last one still, so the run names the op that stops it
            for (Layer l : layers) {
                if (l.view().isConvMap() && l.shape()[2] * l.shape()[3] > 1) {
                    best = l;
                }
            }
        }
        while (best != null) {
            Optional<NodeProto> p = graph.producer(best.tensor());
            if (p.isEmpty() || !isAlias(p.get())) {
                break;
            }
            String in = p.get().getInput(0);
            Layer prev = find(in).orElse(null);
            if (prev == null) {
                break;
            }
            best = prev;
        }
        // a raw detection head ([1, 4+K, N] scores): the last map is the head's own convolution (box
        // and class values, not features); explain what it reads, the last features, as
        // pytorch-grad-cam's YOLO examples take the layer before the detection head
        boolean head = shapes.find(score).map(i -> i.shape().length == 3).orElse(false);
        if (head && best != null && !graph.producer(best.tensor()).map(n -> n.getOpType().equals("Conv")).orElse(false)) {
            // a head that decodes its convolution's output (slices, sigmoid, exp, concat) in the graph:
            // the last convolution every path passes through is the head's, the decoding is not features
            for (Layer l : layers) {
                if (l.view().isConvMap() && l.shape()[2] * l.shape()[3] > 1 && gradientReaches(l.tensor()) && isCut(l.tensor())
                        && graph.producer(l.tensor()).map(n -> n.getOpType().equals("Conv")).orElse(false)) {
                    best = l;
                }
            }
        }
        Optional<NodeProto> p = best == null || !head ? Optional.empty() : graph.producer(best.tensor());
        if (p.isPresent() && p.get().getOpType().equals("Conv")) {
            Layer features = find(p.get().getInput(0)).orElse(null);
            if (features != null && features.view().isConvMap() && features.shape()[2] * features.shape()[3] > 1) {
                best = features;
            }
        }
        if (head && best != null && !isCut(best.tensor())) {
            // a head over several scales: the features of one scale do not reach the others'
            // detections (their gradient there is zero); the last map every scale's path passes
            for (Layer l : layers) {
                if (l.view().isConvMap() && l.shape()[2] * l.shape()[3] > 1 && gradientReaches(l.tensor()) && isCut(l.tensor())) {
                    best = l;
                }
            }
        }
        return best;
    }

    /**
     * A detector that selects its boxes (torchvision's, named by module scopes): its heads' maps
     * hold box and class values per anchor, so the default is the finest feature map the
     * backbone (with its FPN) hands to them: a map made inside {@code /backbone/} and read outside.
     */
    private Layer detectorDefault() {
        if (DetectionOutputs.of(graph.model()).isEmpty()) {
            return null;
        }
        Layer best = null;
        for (Layer l : layers) {
            if (!l.view().isIdentity() || !l.node().startsWith("/backbone/")) {
                continue;
            }
            boolean handedOver = graph.consumers(l.tensor()).stream().anyMatch(n -> !n.getName().startsWith("/backbone/"));
            long cells = l.shape()[2] * l.shape()[3];
            if (handedOver && cells > 1 && (best == null || cells > best.shape()[2] * best.shape()[3])) {
                best = l;
            }
        }
        return best;
    }

    /**
     * A transformer's layer as pytorch-grad-cam's examples choose it: the output of the last
     * block normalisation (a LayerNorm over tokens or channels-last maps that another LayerNorm
     * follows, so not the final one; pre-norm or post-norm as Swin v2) from which the score
     * still depends on every patch: through attention (ViT, DeiT: the last
     * block's first norm; after it only the class token reaches the head) or through pooling
     * over the patches (Swin: the last block's norm). Only for models with attention (a Softmax
     * on the way to the score): ConvNeXt's channels-last LayerNorms keep the CNN rule.
     */
    private Layer transformerDefault() {
        Set<String> upstream = graph.ancestors(score);
        boolean attention = graph.nodes().stream().anyMatch(n -> n.getOpType().equals("Softmax")
                && upstream.contains(n.getOutput(0)));
        if (!attention) {
            return null;
        }
        Layer best = null;
        for (Layer l : layers) {
            if (l.view().isConvMap() || l.shape()[2] * l.shape()[3] <= 1) {
                continue;
            }
            Optional<NodeProto> p = graph.producer(l.tensor());
            if (p.isEmpty() || !isLayerNorm(p.get())) {
                continue;
            }
            Set<String> down = graph.descendants(List.of(l.tensor()));
            if (!normFollows(l.tensor(), down, upstream) || !reachesEveryPatch(down, upstream)) {
                continue;
            }
            best = l;
        }
        return best;
    }

    /** LayerNormalization, or its decomposed export: Add(Mul(Div(Sub(x, mean), Sqrt(var + eps)), gamma), beta). */
    private boolean isLayerNorm(NodeProto n) {
        if (n.getOpType().equals("LayerNormalization")) {
            return true;
        }
        if (!n.getOpType().equals("Add")) {
            return false;
        }
        for (String in : n.getInputList()) {
            Optional<NodeProto> mul = graph.producer(in).filter(m -> m.getOpType().equals("Mul"));
            if (mul.isEmpty()) {
                continue;
            }
            for (String min : mul.get().getInputList()) {
                Optional<NodeProto> div = graph.producer(min).filter(d -> d.getOpType().equals("Div"));
                if (div.isPresent() && div.get().getInputCount() == 2
                        && graph.producer(div.get().getInput(0)).map(x -> x.getOpType().equals("Sub")).orElse(false)
                        && graph.producer(div.get().getInput(1)).map(x -> x.getOpType().equals("Sqrt")).orElse(false)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether another LayerNorm follows on the way to the score: a block's norm, not the final one
     * ({@code down}: what the tensor reaches, {@code up}: what the score depends on).
     */
    private boolean normFollows(String tensor, Set<String> down, Set<String> up) {
        for (NodeProto n : graph.nodes()) {
            String o = n.getOutput(0);
            if (!o.equals(tensor) && down.contains(o) && up.contains(o) && isLayerNorm(n)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an attention Softmax or a pooling over positions lies between a tensor (what it reaches: {@code down}) and the score. */
    private boolean reachesEveryPatch(Set<String> down, Set<String> up) {
        for (NodeProto n : graph.nodes()) {
            String o = n.getOutput(0);
            if (!down.contains(o) || !(up.contains(o) || o.equals(score))) {
                continue;
            }
            switch (n.getOpType()) {
                case "Softmax", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceMax" -> {
                    if (!n.getOpType().startsWith("Reduce") || reducesPositions(n)) {
                        return true;
                    }
                }
                default -> { }
            }
        }
        return false;
    }

    /** A reduction over the token axis (1 of [N, T, C]) or the spatial axes, not over channels (LayerNorm's). */
    private boolean reducesPositions(NodeProto n) {
        long[] axes = Attributes.getInts(n, "axes", null);
        if (axes == null && n.getInputCount() > 1) {
            axes = graph.constantLongs(n.getInput(1)).orElse(null);
        }
        if (axes == null) {
            return false;
        }
        int rank = shapes.find(n.getInput(0)).map(TensorInfo::rank).orElse(0);
        for (long a : axes) {
            long ax = a < 0 ? a + rank : a;
            if (ax != rank - 1) {
                return true;
            }
        }
        return false;
    }

    private boolean isAlias(NodeProto n) {
        if (ALIASES.contains(n.getOpType())) {
            return true;
        }
        if (n.getOpType().equals("AveragePool") || n.getOpType().equals("MaxPool")) {
            long[] k = Attributes.getInts(n, "kernel_shape", new long[0]);
            long[] st = Attributes.getInts(n, "strides", new long[] {1, 1});
            long[] pads = Attributes.getInts(n, "pads", new long[4]);
            boolean unit = k.length == 2 && k[0] == 1 && k[1] == 1 && st[0] == 1 && st[1] == 1;
            for (long p : pads) {
                unit &= p == 0;
            }
            return unit;
        }
        return false;
    }

    /**
     * Whether every path from the input to the score passes through the tensor: only then is
     * the score a function of that layer alone (the graph after it can re-score modified
     * activations, and Eq. 5 of the paper applies).
     */
    public boolean isCut(String tensor) {
        java.util.Deque<String> todo = new java.util.ArrayDeque<>(List.of(score));
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (!todo.isEmpty()) {
            String t = todo.poll();
            if (t.equals(tensor) || !seen.add(t)) {
                continue;
            }
            if (t.equals(shapes.inputName())) {
                return false;
            }
            graph.producer(t).ifPresent(p -> p.getInputList().stream().filter(i -> !i.isEmpty()).forEach(todo::add));
        }
        return seen.contains(score) || tensor.equals(score);
    }

    /**
     * The layer a name denotes: the tensor of that name; only where no tensor has the name, the
     * one layer a node of that name writes. In the ONNX Model Zoo's SqueezeNet the Conv node
     * "conv25" writes "conv25_preact" and the ReLU after it writes tensor "conv25": "conv25" is
     * the ReLU's output. A node name that several layers share is refused with them.
     */
    public Optional<Layer> find(String tensorOrNode) {
        for (Layer l : layers) {
            if (l.tensor().equals(tensorOrNode)) {
                return Optional.of(l);
            }
        }
        if (shapes.find(tensorOrNode).isPresent()) {
            return Optional.empty(); // a tensor, but not a feature map: never a node of the same name instead
        }
        List<Layer> byNode = layers.stream().filter(l -> !l.node().isEmpty() && l.node().equals(tensorOrNode)).toList();
        if (byNode.size() > 1) {
            throw new XGradCamException("layer name '" + tensorOrNode + "' is ambiguous: node '" + tensorOrNode + "' writes "
                    + byNode.size() + " feature maps (" + String.join(", ", byNode.stream().map(Layer::tensor).toList())
                    + "); name one of those tensors");
        }
        return byNode.stream().findFirst();
    }

    /**
     * A layer by tensor name, node name (where no tensor has the name), or the name of the torch
     * module that produced it ("layer4", "features.30": the last feature map under the
     * exporter's scope "/layer4/"), in that order; or an error that lists the closest candidates.
     * A 1x1 map is refused: it has no spatial extent to explain.
     */
    public Layer resolve(String tensorOrNode) {
        if (tensorOrNode == null || tensorOrNode.isBlank()) {
            throw new XGradCamException("the layer name is empty", XGradCamException.Advice.LAYERS);
        }
        Optional<Layer> l = find(tensorOrNode).or(() -> moduleOutput(tensorOrNode));
        if (l.isPresent()) {
            Layer found = l.get();
            if (found.shape()[2] * found.shape()[3] <= 1) {
                throw new XGradCamException("layer '" + tensorOrNode + "' is " + found.shape()[2] + "x" + found.shape()[3]
                        + " (shape " + java.util.Arrays.toString(found.shape()) + "): a map needs a spatial size above 1."
                        + " Choose a layer before the global pooling" + defaultLayer().map(d -> ", e.g. the default "
                        + d.tensor()).orElse(""), XGradCamException.Advice.LAYERS);
            }
            return found;
        }
        if (shapes.find(tensorOrNode).isPresent()) {
            TensorInfo info = shapes.get(tensorOrNode);
            if (!graph.ancestors(score).contains(tensorOrNode)) {
                throw new XGradCamException("layer '" + tensorOrNode + "' does not influence the score",
                        XGradCamException.Advice.LAYERS);
            }
            throw new XGradCamException("layer '" + tensorOrNode + "' is not a 4-D float feature map (shape "
                    + java.util.Arrays.toString(info.shape()) + ")", XGradCamException.Advice.LAYERS);
        }
        List<Layer> close = new ArrayList<>(layers);
        close.sort(Comparator.comparingInt(x -> distance(x.tensor(), tensorOrNode)));
        StringBuilder hint = new StringBuilder();
        for (int i = 0; i < Math.min(3, close.size()); i++) {
            hint.append(i == 0 ? "" : ", ").append(close.get(i).tensor());
        }
        throw new XGradCamException("unknown layer '" + tensorOrNode + "' in " + graph.model().source()
                + (hint.length() > 0 ? "; closest: " + hint : ""), XGradCamException.Advice.LAYERS);
    }

    /**
     * The output of a torch module, found by the scope torch.onnx.export gives node names: each
     * attribute by its name, each element of a container by the container's name and its index,
     * so module "layer1.0.downsample.0" lives under "/layer1/layer1.0/downsample/downsample.0/"
     * and "features.30" under "/features/features.30/". (Fully dotted and plain spellings of the
     * scope, as other exporters write them, are tried too.) The module's output is its last
     * feature map in graph order.
     */
    Optional<Layer> moduleOutput(String module) {
        String m = module.strip().replaceAll("^/+|/+$", "");
        if (m.isEmpty()) {
            return Optional.empty();
        }
        List<String> scopes = new ArrayList<>();
        if (m.contains("/")) {
            scopes.add("/" + m + "/");
        } else {
            String[] parts = m.split("\\.");
            // torch: a numbered child is named after its container ("/features/features.3/"), and a
            // ModuleList, never called itself, has no scope of its own ("/blocks.1/layers.0/")
            List<List<String>> variants = new ArrayList<>(List.of(new ArrayList<>()));
            for (String part : parts) {
                List<List<String>> next = new ArrayList<>();
                for (List<String> v : variants) {
                    if (part.matches("\\d+") && !v.isEmpty()) {
                        String parent = v.get(v.size() - 1);
                        List<String> kept = new ArrayList<>(v);
                        kept.add(parent + "." + part);
                        next.add(kept);
                        List<String> merged = new ArrayList<>(v.subList(0, v.size() - 1));
                        merged.add(parent + "." + part);
                        next.add(merged);
                    } else {
                        List<String> plain = new ArrayList<>(v);
                        plain.add(part);
                        next.add(plain);
                    }
                }
                variants = next.size() > 64 ? next.subList(0, 64) : next;
            }
            for (List<String> v : variants) {
                scopes.add("/" + String.join("/", v) + "/");
            }
            StringBuilder cumulative = new StringBuilder("/");
            String prefix = "";
            for (String part : parts) {
                prefix = prefix.isEmpty() ? part : prefix + "." + part;
                cumulative.append(prefix).append('/');
            }
            scopes.add(cumulative.toString());
            scopes.add("/" + String.join("/", parts) + "/");
        }
        Layer last = null;
        for (Layer l : layers) {
            for (String scope : scopes) {
                if ((!l.node().isEmpty() && l.node().startsWith(scope)) || l.tensor().startsWith(scope)) {
                    last = l;
                }
            }
        }
        return Optional.ofNullable(last);
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
