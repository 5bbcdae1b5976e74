package org.xgradcam.cam;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xgradcam.XGradCamException;
import org.xgradcam.autodiff.AugmentedModel;
import org.xgradcam.autodiff.GradientBuilder;
import org.xgradcam.autodiff.GradientRequest;
import org.xgradcam.cam.methods.GuidedCam;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.GraphSurgery;
import org.xgradcam.onnx.LayerCatalog;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.ForwardSession;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.image.RgbImage;
import org.xgradcam.models.ModelCache;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.validation.Check;

/**
 * The entry point: a model, ready to explain batches of preprocessed inputs with any set of
 * methods, targets and layers. Sessions are built on first use and reused; one run gives every
 * gradient-based method its activations and gradients, so asking for Grad-CAM and XGrad-CAM
 * together costs one forward and one partial backward.
 *
 * <p>Thread safety: one Explainer may be shared by any number of threads, from a cold start.
 * Each session is built once, by the first thread that needs it, while the others wait for it
 * (no session is built twice, so none leaks); ONNX Runtime sessions run concurrently. Close it
 * once, after the last call has returned; a call after {@link #close()} is refused.
 */
public final class Explainer implements AutoCloseable {
    /** How to open a model: input shape (null: the model's own), runtime, perturbation batch size. */
    public record Options(long[] inputShape, RuntimeOptions runtime, int batchSize, LayerCatalog.TokenLayout tokens,
                          WorkProgress progress) {
        public static final int MAX_BATCH = 4096;

        public Options {
            Check.range("batch size", batchSize, 1, MAX_BATCH);
            if (runtime == null) {
                throw new XGradCamException("runtime options are missing; use RuntimeOptions.cpu()");
            }
            progress = progress == null ? WorkProgress.NONE : progress;
        }

        public static Options defaults() {
            return new Options(null, RuntimeOptions.cpu(), 32, null, WorkProgress.NONE);
        }

        public Options withInputShape(long[] shape) {
            return new Options(shape, runtime, batchSize, tokens, progress);
        }

        public Options withRuntime(RuntimeOptions r) {
            return new Options(inputShape, r, batchSize, tokens, progress);
        }

        /** Rows per pass of the perturbation methods (Score-CAM, Ablation-CAM): 1 to 4096. */
        public Options withBatchSize(int b) {
            return new Options(inputShape, runtime, b, tokens, progress);
        }

        /**
         * How a transformer's tokens lie on its patch grid, overriding what is inferred (the patch
         * embedding's grid, leading tokens = T - grid), for models whose export hides it.
         */
        public Options withTokenLayout(LayerCatalog.TokenLayout t) {
            return new Options(inputShape, runtime, batchSize, t, progress);
        }

        /** Who is told how far the perturbation methods have got inside one explanation. */
        public Options withProgress(WorkProgress p) {
            return new Options(inputShape, runtime, batchSize, tokens, p);
        }
    }

    /** The options the model was opened with. */
    public Options options() {
        return options;
    }

    /** What to compute for a batch. An empty layer list means the model's default layer. */
    public record Request(List<CamMethod> methods, Target target, List<String> layers, PostProcess convention,
                          long randomSeed, boolean eigenSmooth, boolean augmentationSmooth) {
        public Request(List<CamMethod> methods, Target target, List<String> layers, PostProcess convention, long randomSeed) {
            this(methods, target, layers, convention, randomSeed, false, false);
        }

        public static Request of(CamMethod... methods) {
            return new Request(List.of(methods), Target.topClass(), List.of(), PostProcess.SEED, 0);
        }

        public Request withTarget(Target t) {
            return new Request(methods, t, layers, convention, randomSeed, eigenSmooth, augmentationSmooth);
        }

        public Request withLayers(List<String> l) {
            return new Request(methods, target, l, convention, randomSeed, eigenSmooth, augmentationSmooth);
        }

        public Request withConvention(PostProcess p) {
            return new Request(methods, target, layers, p, randomSeed, eigenSmooth, augmentationSmooth);
        }

        /** Maps from the first principal component of the weighted activations (pytorch-grad-cam's eigen_smooth). */
        public Request withEigenSmooth(boolean on) {
            return new Request(methods, target, layers, convention, randomSeed, on, augmentationSmooth);
        }

        /**
         * Test-time augmentation (pytorch-grad-cam's aug_smooth): horizontal flip x brightness
         * 0.9/1.0/1.1 of the input tensor, each map flipped back, the 6 final maps averaged.
         */
        public Request withAugmentationSmooth(boolean on) {
            return new Request(methods, target, layers, convention, randomSeed, eigenSmooth, on);
        }
    }

    private final OnnxModel model;
    private final ModelSpec spec;
    private final Graph graph;
    private final ModelShapes shapes;
    private final LayerCatalog catalog;
    private final Options options;
    private final boolean oneImagePerRun;
    /** How re-runs are scored when their outputs must be matched first (a detector's boxes), else null. */
    private final Rescoring rescoring;

    /**
     * Scores of a re-run (on a changed input, or after changed activations) of a model whose
     * outputs change shape with the values, e.g. a detector that selects its boxes: the re-run's
     * {@link #outputs()} are matched to what is explained, giving one value per seed entry.
     */
    public interface Rescoring {
        /** The outputs a re-run must give, the score first. */
        List<String> outputs();

        /** One value per entry of the explained score, from a re-run's outputs. */
        float[] scores(Map<String, FloatTensor> outputs);
    }
    private final Map<String, Lazy<GradientSession>> sessions = new ConcurrentHashMap<>();
    private final Map<String, Lazy<ForwardSession>> tails = new ConcurrentHashMap<>();
    private final Map<String, Lazy<ForwardSession>> replacedTails = new ConcurrentHashMap<>();
    private final Lazy<ForwardSession> forward;
    private volatile boolean closed;

    /**
     * A session built on first use, exactly once: the map's computeIfAbsent only places the
     * holder (cheap), the holder's lock serialises the build, so threads asking for other
     * sessions are not held up by this one.
     */
    private final class Lazy<T extends AutoCloseable> {
        private final java.util.function.Supplier<T> make;
        private T value;

        Lazy(java.util.function.Supplier<T> make) {
            this.make = make;
        }

        synchronized T get() {
            if (closed) {
                throw new XGradCamException("this Explainer of " + model.source() + " is closed");
            }
            if (value == null) {
                value = make.get();
            }
            return value;
        }

        synchronized boolean isBuilt() {
            return value != null;
        }

        synchronized void close() throws Exception {
            if (value != null) {
                value.close();
                value = null;
            }
        }
    }

    private Explainer(ModelSpec spec, Options options) {
        this(spec, options, null, null);
    }

    private Explainer(ModelSpec spec, Options options, FloatTensor shapesFrom, Rescoring rescoring) {
        OnnxModel model = ModelShapes.declareInputShape(spec.model(), options.inputShape());
        this.spec = spec;
        this.model = model;
        this.graph = new Graph(model);
        // one image per run where the graph's own batch is one image ([C, H, W] input, boxes selected inside)
        this.oneImagePerRun = GraphSurgery.runsOneImage(graph);
        this.options = oneImagePerRun ? options.withBatchSize(1) : options;
        this.shapes = shapesFrom == null ? ModelShapes.of(graph, options.inputShape())
                : ModelShapes.measured(graph, options.inputShape(), shapesFrom);
        this.catalog = LayerCatalog.of(graph, shapes, options.tokens());
        this.forward = new Lazy<>(() -> new ForwardSession(GraphSurgery.tail(graph, shapes, shapes.inputName(), catalog.score()),
                shapes.inputName(), options.runtime()));
        this.rescoring = rescoring;
        long[] score = shapes.shape(catalog.score());
        boolean selected = org.xgradcam.onnx.DetectionOutputs.of(model).isPresent() && score.length == 1;
        if (!selected && (score.length < 2 || score.length > 5)) {
            throw new XGradCamException("the score '" + catalog.score() + "' of " + model.source() + " has shape "
                    + java.util.Arrays.toString(score) + "; xgradcam explains classifiers ([N, classes] scores),"
                    + " raw detection heads ([N, 4+K, anchors] or [N, anchors, 5+K]) and segmentation models ([N, classes, H, W],"
                    + " or [N, classes, D, H, W] for volumes)");
        }
    }

    /**
     * An .onnx file: the catalogue's preprocessing and labels if it is a catalogue model's file,
     * else the original tool's preprocessing at the model's input size and ImageNet labels for
     * 1000 classes.
     */
    public static Explainer open(Path modelFile) {
        return open(ModelSpec.ofFile(modelFile), Options.defaults());
    }

    /** A catalogue name ("vgg16", "resnet50", ...; downloaded once into ~/.cache/xgradcam) or a path. */
    public static Explainer open(String nameOrFile) {
        return open(ModelSpec.resolve(nameOrFile, new ModelCache()), Options.defaults());
    }

    /** A model with its preprocessing and labels; the input shape follows the preprocessing unless given. */
    public static Explainer open(ModelSpec spec, Options options) {
        Options o = options.inputShape() != null ? options : options.withInputShape(shapeOf(spec.preprocessing()));
        return new Explainer(spec, o);
    }

    /** A model read already: preprocessing and labels guessed from it. */
    public static Explainer open(OnnxModel model, Options options) {
        ModelSpec spec;
        try {
            spec = ModelSpec.of(model, model.source());
        } catch (XGradCamException e) {
            // not an image input the short path could feed: tensors only
            spec = new ModelSpec(model.source(), model, Preprocessing.seed(), org.xgradcam.models.Labels.none());
        }
        return new Explainer(spec, options);
    }

    private static long[] shapeOf(Preprocessing p) {
        return p.inputShape();
    }

    /**
     * An explainer whose tensor shapes are measured on this input, for models whose shapes depend
     * on the image: a detector that selects its boxes inside the graph has as many scores as the
     * image has detections, and its backward is built for that count. Open one per image.
     */
    public static Explainer openFor(ModelSpec spec, Options options, FloatTensor input, Rescoring rescoring) {
        Options o = options.inputShape() != null ? options : options.withInputShape(shapeOf(spec.preprocessing()));
        return new Explainer(spec, o, input, rescoring);
    }

    /** Whether the model takes one image per run (its graph has a batch of one built in). */
    public boolean oneImagePerRun() {
        return oneImagePerRun;
    }

    /** The model with the preprocessing and labels the short path uses. */
    public ModelSpec spec() {
        return spec;
    }

    /**
     * Explains an image file for its top class: decoded, preprocessed as the model expects, one
     * forward and one partial backward, the map upsampled to the input size as XGrad-CAM.py does.
     */
    public Heatmap explain(Path image, Method method) {
        return explain(ImageLoader.load(image), method, -1);
    }

    /** As {@link #explain(Path, Method)}, for a given class index. */
    public Heatmap explain(Path image, Method method, int classIndex) {
        return explain(ImageLoader.load(image), method, classIndex);
    }

    /** As {@link #explain(Path, Method)}, for an image in memory. */
    public Heatmap explain(BufferedImage image, Method method) {
        return explain(RgbImage.of(image), method, -1);
    }

    /** As {@link #explain(Path, Method)}, for an image in memory and a given class index. */
    public Heatmap explain(BufferedImage image, Method method, int classIndex) {
        return explain(RgbImage.of(image), method, classIndex);
    }

    /** Several methods on one image, sharing one forward and backward; a class index, or -1 for the top class. */
    public List<Heatmap> explain(Path image, List<Method> methods, int classIndex) {
        return explain(ImageLoader.load(image), methods, classIndex);
    }

    private Heatmap explain(RgbImage image, Method method, int classIndex) {
        return explain(image, List.of(method), classIndex).get(0);
    }

    private List<Heatmap> explain(RgbImage image, List<Method> methods, int classIndex) {
        if (methods.isEmpty()) {
            throw new XGradCamException("no method given; e.g. Method.XGRAD_CAM");
        }
        Preprocessing pre = spec.preprocessing();
        RgbImage fitted = pre.fit(image);
        List<CamMethod> cams = methods.stream().map(Method::create).toList();
        Target target = classIndex < 0 ? Target.topClass() : Target.classes(classIndex);
        Explanation e = explain(pre.toTensor(fitted), new Request(cams, target, List.of(), PostProcess.SEED, 0)).get(0);
        List<Heatmap> out = new ArrayList<>();
        for (Method m : methods) {
            CamResult r = e.result(m.id());
            if (r.map() == null) {
                throw new XGradCamException(m + " gives a picture of input gradients, not a heat map: use"
                        + " explain(tensor, Request) and CamResult.pixels()");
            }
            CamResult.LayerResult first = r.layers().isEmpty() ? null : r.layers().get(0);
            out.add(new Heatmap(m, e.classIndex(), spec.labels().name(e.classIndex()), e.score(), e.layer(), r.map(),
                    first == null ? null : first.raw(), first == null ? null : first.weights(), fitted, e));
        }
        return out;
    }

    public OnnxModel model() {
        return model;
    }

    public Graph graph() {
        return graph;
    }

    public ModelShapes shapes() {
        return shapes;
    }

    public LayerCatalog layers() {
        return catalog;
    }

    public int numClasses() {
        long[] score = shapes.shape(catalog.score());
        return score.length >= 2 ? (int) score[1] : 0; // a detector's scores [D] name no class count
    }

    /** Input shape at batch 1, e.g. [1, 3, 224, 224]. */
    public long[] inputShape() {
        return shapes.inputShape();
    }

    /**
     * Height and width of the picture the maps cover: the image input's (NCHW, or NHWC for
     * channels-last models); for a clip or volume, its frames stacked top to bottom (T * H, W).
     */
    public int[] inputSize() {
        int[] f = frameSize();
        return new int[] {frames() * f[0], f[1]};
    }

    /** Height and width of one frame of the input (of the image, for an image model). */
    public int[] frameSize() {
        long[] s = shapes.inputShape();
        if (s.length == 5) {
            return ModelShapes.clipChannelsLast(s) ? new int[] {(int) s[2], (int) s[3]} : new int[] {(int) s[3], (int) s[4]};
        }
        boolean nhwc = s.length == 4 && s[3] == 3 && s[1] != 3;
        return nhwc ? new int[] {(int) s[1], (int) s[2]} : new int[] {(int) s[2], (int) s[3]};
    }

    /** The frames (or slices) of a clip or volume input [N, C, T, H, W]; 1 for an image. */
    public int frames() {
        long[] s = shapes.inputShape();
        return s.length != 5 ? 1 : (int) (ModelShapes.clipChannelsLast(s) ? s[1] : s[2]);
    }

    /**
     * Explains each row of a batch. The input must be finite (NaN or infinity would give maps of
     * noise) and of the model's input shape; the model's scores must come out finite.
     */
    public List<Explanation> explain(FloatTensor input, Request request) {
        requireOpen();
        requireFinite(input);
        requireOneImage(input);
        if (!request.augmentationSmooth()) {
            return explainOnce(input, request);
        }
        if (input.rank() != 4 || inputSize()[1] != input.dim(3)) {
            throw new XGradCamException("augmentation smoothing needs an NCHW image input" + (input.rank() == 5
                    ? " (it flips and scales images; a clip or volume is not one)" : ""));
        }
        Request plain = request.withAugmentationSmooth(false);
        List<Explanation> base = null;
        Map<String, float[][]> sums = new LinkedHashMap<>();
        int variants = 0;
        int pass = 0;
        for (boolean flip : new boolean[] {false, true}) {
            for (float factor : new float[] {0.9f, 1f, 1.1f}) {
                FloatTensor x = augment(input, flip, factor);
                List<Explanation> ex = explainOnce(x, plain);
                options.progress().step("augmentation smoothing", ++pass, 6);
                if (!flip && factor == 1f) {
                    base = ex;
                }
                for (int r = 0; r < ex.size(); r++) {
                    for (CamResult res : ex.get(r).results().values()) {
                        if (res.map() == null) {
                            continue;
                        }
                        float[] m = flip ? flipRows(res.map().data(), res.map().dim(1)) : res.map().data();
                        float[][] acc = sums.computeIfAbsent(res.method().id(), k -> new float[ex.size()][m.length]);
                        for (int i = 0; i < m.length; i++) {
                            acc[r][i] += m[i];
                        }
                    }
                }
                variants++;
            }
        }
        List<Explanation> out = new ArrayList<>();
        for (int r = 0; r < base.size(); r++) {
            Explanation e = base.get(r);
            Map<String, CamResult> results = new LinkedHashMap<>();
            for (CamResult res : e.results().values()) {
                float[][] acc = sums.get(res.method().id());
                FloatTensor map = res.map();
                if (acc != null) {
                    float[] mean = acc[r].clone();
                    for (int i = 0; i < mean.length; i++) {
                        mean[i] /= variants;
                    }
                    map = new FloatTensor(res.map().shape(), mean);
                }
                results.put(res.method().id(), new CamResult(res.method(), res.layers(), map, res.pixels()));
            }
            out.add(new Explanation(e.logits(), e.classIndex(), e.score(), e.layer(), e.activations(), e.gradients(), results,
                    e.layers()));
        }
        return out;
    }

    private void requireOneImage(FloatTensor input) {
        if (oneImagePerRun && input.rank() > 0 && input.dim(0) != 1) {
            throw new XGradCamException(model.source() + " takes one image per run (its graph batches one image itself);"
                    + " give a batch of 1, not " + input.dim(0));
        }
    }

    private static FloatTensor augment(FloatTensor x, boolean flip, float factor) {
        int w = x.dim(3);
        float[] d = flip ? flipRows(x.data(), w) : x.data().clone();
        for (int i = 0; i < d.length; i++) {
            d[i] *= factor;
        }
        return new FloatTensor(x.shape(), d);
    }

    /** Mirrors every row of length w. */
    private static float[] flipRows(float[] v, int w) {
        float[] out = new float[v.length];
        for (int row = 0; row < v.length / w; row++) {
            for (int i = 0; i < w; i++) {
                out[row * w + i] = v[row * w + w - 1 - i];
            }
        }
        return out;
    }

    private List<Explanation> explainOnce(FloatTensor input, Request request) {
        List<String> layers = layersOf(request);
        boolean full = false;
        boolean guided = false;
        for (CamMethod m : request.methods()) {
            full |= m.needs() == CamMethod.Needs.FULL_GRADIENTS;
            guided |= m.needs() == CamMethod.Needs.GUIDED;
        }
        int n = input.dim(0);
        long[] scoreShape = shapes.shape(catalog.score());
        var transform = request.target().transform();
        boolean activationsOnly = request.methods().stream().allMatch(m -> m.needs() == CamMethod.Needs.ACTIVATIONS);
        GradientResult raw = activationsOnly && !differentiable(layers, transform)
                ? forwardWithLayersRaw(layers, input)
                : session(layers, full, false, transform).run(input, request.target().seed(n, scoreShape));
        return explainFrom(input, raw, request, layers, full, guided);
    }

    /** The methods on a run's results (the layers in their own layout, as the session gave them). */
    private List<Explanation> explainFrom(FloatTensor input, GradientResult raw, Request request, List<String> layers,
                                          boolean full, boolean guided) {
        int n = input.dim(0);
        long[] scoreShape = shapes.shape(catalog.score());
        var transform = request.target().transform();
        requireFiniteScores(raw.score());
        GradientResult run = viewed(raw);
        GradientResult guidedRun = guided
                ? viewed(session(layers, false, true, transform).run(input, request.target().seed(n, scoreShape))) : null;
        float[][] seeds = new float[n][];
        int k = run.score().size() / n;
        for (int r = 0; r < n; r++) {
            float[] logits = java.util.Arrays.copyOfRange(run.score().data(), r * k, (r + 1) * k);
            seeds[r] = request.target().seedRow(r, logits);
        }
        CamContext ctx = new CamContext(input, run, guidedRun, full ? run : null,
                full ? session(layers, true, false, transform).model().biasTerms() : List.of(), seeds, request.convention(),
                options.batchSize(), request.randomSeed(), request.eigenSmooth(), this::scoreInputs,
                (layer, acts, row) -> scoreLayer(layer, acts, raw.activation(layer).row(row), input.row(row)), inputSize(),
                seedTensor -> viewed(session(layers, false, false, GradientRequest.ScoreTransform.NONE)
                        .run(input, GradientSession.Seed.of(seedTensor))),
                other -> viewed(session(layers, false, false, transform).run(other, GradientSession.Seed.of(seedTensor(seeds)))),
                this::classifierWeights,
                layer -> viewedTensor(layer, hessian(layer, transform).run(input, seedTensor(seeds)).hessianTimesActivations()));
        ctx.allLayers(layers, (row, mask) -> ablatedScores(layers, FloatTensor.stack(List.of(input.row(row))), mask));
        Map<String, List<CamResult.LayerResult>[]> perMethod = new LinkedHashMap<>();
        Map<String, LayerMap> fullRes = new HashMap<>();
        for (CamMethod m : request.methods()) {
            ctx.reporting(options.progress(), m.name());
            @SuppressWarnings("unchecked")
            List<CamResult.LayerResult>[] rows = new List[n];
            for (int r = 0; r < n; r++) {
                rows[r] = new ArrayList<>();
            }
            for (String layer : layers) {
                LayerMap lm = m.compute(ctx, layer);
                if (lm == null) {
                    break; // Guided Backprop: no heat map
                }
                if (lm.fullResolution()) {
                    fullRes.put(m.id(), lm);
                    break;
                }
                for (int r = 0; r < n; r++) {
                    rows[r].add(new CamResult.LayerResult(layer, lm.raw().row(r),
                            lm.weights() == null ? null : lm.weights().row(r)));
                }
            }
            perMethod.put(m.id(), rows);
        }
        int[] size = frameSize();
        int frames = frames();
        long[] mapShape = shapes.inputShape().length == 5 ? new long[] {frames, size[0], size[1]} : new long[] {size[0], size[1]};
        List<Explanation> out = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            float[] logits = java.util.Arrays.copyOfRange(run.score().data(), r * k, (r + 1) * k);
            Map<String, CamResult> results = new LinkedHashMap<>();
            for (CamMethod m : request.methods()) {
                List<CamResult.LayerResult> lrs = perMethod.get(m.id())[r];
                FloatTensor map = null;
                if (fullRes.containsKey(m.id())) {
                    map = new FloatTensor(mapShape,
                            request.convention().applyFullResolution(fullRes.get(m.id()).raw().row(r).data()));
                } else if (!lrs.isEmpty()) {
                    List<float[]> raws = new ArrayList<>();
                    List<int[]> sizes = new ArrayList<>();
                    for (CamResult.LayerResult lr : lrs) {
                        raws.add(lr.raw().data());
                        sizes.add(lowResSize(lr.layer(), lr.raw()));
                    }
                    map = new FloatTensor(mapShape, m.multipliesLayers()
                            ? request.convention().applyProduct(raws, sizes, frames, size[0], size[1], !m.signedMap())
                            : request.convention().apply(raws, sizes, frames, size[0], size[1], !m.signedMap()));
                }
                FloatTensor pixels = null;
                if (m instanceof GuidedCam) {
                    pixels = guidedPixels(guidedRun.inputGradient().orElseThrow().row(r), map);
                }
                results.put(m.id(), new CamResult(m, lrs, map, pixels));
            }
            String first = layers.get(0);
            List<Explanation.LayerArrays> arrays = new ArrayList<>();
            for (String l : layers) {
                // a 3-D map keeps its own [C, D, H, W] (its view is only a reshape); tokens are given as seen
                GradientResult of = volume(l) ? raw : run;
                FloatTensor grad = of.gradient(l);
                arrays.add(new Explanation.LayerArrays(l, of.activation(l).row(r), grad == null ? null : grad.row(r)));
            }
            out.add(new Explanation(logits, request.target().classOf(r, logits), ctx.targetScore(run.score().data(), r, r),
                    first, arrays.get(0).activations(), arrays.get(0).gradients(), results, List.copyOf(arrays)));
        }
        return out;
    }

    /**
     * The error of a backward that cannot cross some nodes, with the nearest layer after all of
     * them that could be explained instead (the gradient from the score reaches it without them).
     */
    private XGradCamException withNearestLayer(org.xgradcam.autodiff.UnsupportedOpsException e) {
        java.util.Set<String> after = graph.descendants(e.blockingOutputs());
        for (LayerCatalog.Layer l : catalog.layers()) {
            if (after.contains(l.tensor()) && l.shape()[2] * l.shape()[3] > 1) {
                return new XGradCamException(e.getMessage() + ". The nearest layer after them that can be explained: "
                        + l.tensor() + " (--layer " + l.tensor() + ")", e);
            }
        }
        return new XGradCamException(e.getMessage() + ". No feature map lies after them", e);
    }

    private final Map<String, Lazy<org.xgradcam.runtime.HessianSession>> hessians = new ConcurrentHashMap<>();
    private final Map<String, Boolean> differentiable = new ConcurrentHashMap<>();
    private final Map<String, Lazy<ForwardSession>> layerForwards = new ConcurrentHashMap<>();

    /**
     * Whether the backward from the score to the layers can be built. Methods that need only
     * activations (Eigen-CAM, Score-CAM, Ablation-CAM, CAM...) still work when it cannot: they
     * run on a plain forward that also returns the layers.
     */
    private boolean differentiable(List<String> layers, GradientRequest.ScoreTransform t) {
        return differentiable.computeIfAbsent(key(layers, false, false, t), k -> {
            try {
                session(layers, false, false, t);
                return true;
            } catch (XGradCamException e) {
                return false;
            }
        });
    }

    private final Map<String, Lazy<ForwardSession>> ablationForwards = new ConcurrentHashMap<>();

    /**
     * The whole model's scores for copies of one image ([1, ...]) with channels ablated at all the
     * layers at once (mask [M, C]: 1 where row m ablates channel c); the layers must be feature
     * maps of the same channel count.
     */
    private FloatTensor ablatedScores(List<String> layers, FloatTensor image, FloatTensor mask) {
        long c = -1;
        for (String l : layers) {
            LayerCatalog.Layer layer = catalog.resolve(l);
            if (!layer.view().isIdentity()) {
                throw new XGradCamException("ablating channels at several layers needs feature maps [N, C, H, W]; " + l
                        + " is " + layer.view().describe());
            }
            long lc = shapes.shape(l)[1];
            if (c >= 0 && lc != c) {
                throw new XGradCamException("the layers ablated together must have as many channels each; " + layers.get(0)
                        + " has " + c + ", " + l + " has " + lc + " (choose layers of one width, as an FPN's levels)");
            }
            c = lc;
        }
        if (model.opset() < 11) {
            throw new XGradCamException("ablating channels at several layers needs ONNX opset 11 (Equal on floats); this model"
                    + " has " + model.opset());
        }
        int m = mask.dim(0);
        ForwardSession s = ablationForwards.computeIfAbsent(String.join("\u0000", layers), k -> new Lazy<>(() ->
                new ForwardSession(GraphSurgery.channelAblation(graph, shapes, layers, catalog.score()), shapes.inputName(),
                        options.runtime()))).get();
        Map<String, FloatTensor> feeds = new LinkedHashMap<>();
        feeds.put(shapes.inputName(), repeat(image, m));
        feeds.put(GraphSurgery.ABLATION_MASK, new FloatTensor(new long[] {m, c, 1, 1}, mask.data()));
        return s.run(feeds, catalog.score());
    }

    /** The score and the layers' activations from a plain forward (no gradients). */
    private GradientResult forwardWithLayersRaw(List<String> layers, FloatTensor input) {
        ForwardSession s = layerForwards.computeIfAbsent(String.join("\u0000", layers), k -> new Lazy<>(() ->
                new ForwardSession(GraphSurgery.withOutputs(graph, shapes, catalog.score(), layers), shapes.inputName(),
                        options.runtime()))).get();
        List<String> names = new ArrayList<>(layers);
        names.add(catalog.score());
        Map<String, FloatTensor> out = s.run(input, names.toArray(String[]::new));
        Map<String, FloatTensor> acts = new LinkedHashMap<>();
        Map<String, FloatTensor> grads = new LinkedHashMap<>();
        for (String l : layers) {
            acts.put(l, out.get(l));
            grads.put(l, null);
        }
        return new GradientResult(out.get(catalog.score()), acts, grads, java.util.Optional.empty(), Map.of());
    }

    private org.xgradcam.runtime.HessianSession hessian(String layer, GradientRequest.ScoreTransform t) {
        return hessians.computeIfAbsent(layer + "|" + t, k -> new Lazy<>(() -> {
            org.xgradcam.autodiff.HessianBuilder.HessianModel hm;
            try {
                hm = org.xgradcam.autodiff.HessianBuilder.build(graph, shapes, layer, catalog.score(), t);
            } catch (org.xgradcam.autodiff.UnsupportedOpsException e) {
                throw withNearestLayer(e);
            }
            return new org.xgradcam.runtime.HessianSession(hm, options.runtime());
        })).get();
    }

    private boolean volume(String layer) {
        return catalog.find(layer).map(l -> l.view().kind() == org.xgradcam.onnx.LayerView.Kind.VOLUME).orElse(false);
    }

    /** The size of a method's map [h', w'] at a layer: {h, w}, or {D, h, w} for the D slices of a 3-D map. */
    private int[] lowResSize(String layer, FloatTensor raw) {
        int depth = catalog.find(layer).map(l -> l.view().depth()).orElse(1); // above 1 only in a clip model
        return shapes.inputShape().length == 5 ? new int[] {depth, raw.dim(0) / depth, raw.dim(1)}
                : new int[] {raw.dim(0), raw.dim(1)};
    }

    /** A tensor of a layer's own layout seen as the layer is ([N, C, h, w]). */
    private FloatTensor viewedTensor(String layer, FloatTensor raw) {
        org.xgradcam.onnx.LayerView view = catalog.find(layer).map(LayerCatalog.Layer::view).orElse(null);
        return view == null || view.isIdentity() ? raw : view.toNchw(raw);
    }

    private static FloatTensor seedTensor(float[][] seeds) {
        int k = seeds[0].length;
        float[] d = new float[seeds.length * k];
        for (int r = 0; r < seeds.length; r++) {
            System.arraycopy(seeds[r], 0, d, r * k, k);
        }
        return new FloatTensor(new long[] {seeds.length, k}, d);
    }

    /**
     * The classifier CAM reads: from the layer, a global average pool (GlobalAveragePool, or
     * ReduceMean over the spatial axes), then reshapes (Flatten, Reshape, Squeeze, Identity,
     * Dropout), then one linear layer (Gemm or MatMul with constant weights) producing the score.
     */
    float[][] classifierWeights(String layer) {
        String t = layer;
        NodeProtoHolder pool = single(t);
        boolean pooled = pool != null && (pool.op().equals("GlobalAveragePool") || (pool.op().equals("ReduceMean")
                && java.util.Arrays.equals(org.xgradcam.onnx.Attributes.getInts(pool.node(), "axes", new long[0]), new long[] {2, 3})));
        if (!pooled) {
            throw new XGradCamException("CAM needs the layer to feed a global average pool and then one linear layer"
                    + " (the CAM architecture, as ResNet and DenseNet have; VGG's fully connected head is not); layer " + layer + " feeds "
                    + (pool == null ? "several ops" : pool.op()) + ". Use Grad-CAM, which equals CAM on such models");
        }
        t = pool.node().getOutput(0);
        NodeProtoHolder next = single(t);
        while (next != null && java.util.Set.of("Flatten", "Reshape", "Squeeze", "Identity", "Dropout").contains(next.op())) {
            t = next.node().getOutput(0);
            next = single(t);
        }
        if (next == null || !(next.op().equals("Gemm") || next.op().equals("MatMul"))
                || !(next.node().getOutput(0).equals(catalog.score()) || graph.ancestors(catalog.score()).contains(next.node().getOutput(0)))) {
            throw new XGradCamException("CAM needs one linear layer after the global average pool of " + layer
                    + "; found " + (next == null ? "several ops" : next.op()) + ". Use Grad-CAM instead");
        }
        var n = next.node();
        String weightName = n.getInput(1);
        float[] w = graph.constantFloats(weightName).orElseThrow(() -> new XGradCamException(
                "CAM needs the classifier's weights as a constant; " + weightName + " is computed"));
        long[] dims = shapes.shape(weightName);
        boolean transB = n.getOpType().equals("Gemm") && org.xgradcam.onnx.Attributes.getInt(n, "transB", 0) != 0;
        int rows = (int) (transB ? dims[0] : dims[1]);
        int cols = (int) (transB ? dims[1] : dims[0]);
        float alpha = n.getOpType().equals("Gemm") ? org.xgradcam.onnx.Attributes.getFloat(n, "alpha", 1f) : 1f;
        float[][] out = new float[rows][cols];
        for (int k = 0; k < rows; k++) {
            for (int c = 0; c < cols; c++) {
                out[k][c] = alpha * (transB ? w[k * cols + c] : w[c * rows + k]);
            }
        }
        return out;
    }

    private record NodeProtoHolder(org.xgradcam.onnx.proto.OnnxProto.NodeProto node) {
        String op() {
            return node.getOpType();
        }
    }

    /** The only consumer of a tensor, or null. */
    private NodeProtoHolder single(String tensor) {
        var c = graph.consumers(tensor);
        return c.size() == 1 ? new NodeProtoHolder(c.get(0)) : null;
    }

    private final Map<String, Lazy<GradientSession>> tailGradients = new ConcurrentHashMap<>();

    /**
     * The k best classes of one image, each explained, for one forward pass: the forward runs
     * once (returning the layer), then only the graph after the layer runs, forward and
     * backward, batched over the k classes. Where that cannot be (several layers, a layer a
     * skip connection bypasses, methods that need the input's gradients, a segmentation score),
     * the image runs k times in one batch instead. The request's target is replaced by the
     * classes; the explanations come best class first.
     */
    public List<Explanation> explainTopK(FloatTensor image, int k, Request request) {
        requireOpen();
        requireFinite(image);
        if (image.dim(0) != 1) {
            throw new XGradCamException("top-k explains one image at a time, got a batch of " + image.dim(0));
        }
        List<String> layers = layersOf(request);
        long[] scoreShape = shapes.shape(catalog.score());
        if (scoreShape.length != 2) {
            throw new XGradCamException("top-k needs class scores [N, classes]; this model scores " + java.util.Arrays.toString(scoreShape));
        }
        int classes = (int) scoreShape[1];
        int kk = org.xgradcam.validation.Check.range("top-k", k, 1, classes);
        boolean simple = tailSuffices(request, layers);
        if (!simple) {
            GradientResult once = forwardWithLayersRaw(layers, image);
            requireFiniteScores(once.score());
            return explain(repeat(image, kk), request.withTarget(Target.classes(topClasses(once.score().data(), kk))));
        }
        FloatTensor images = repeat(image, kk);
        String layer = layers.get(0);
        var transform = request.target().transform();
        GradientSession rankedSession = transform == GradientRequest.ScoreTransform.NONE && model.opset() >= 11
                ? ranked(layer, kk) : null;
        if (rankedSession != null) {
            // one run: the layers before once, the part after on k copies, each row's rank-r class
            // chosen and differentiated inside the graph (no second pass through the head)
            Map<String, FloatTensor> kept = new HashMap<>();
            GradientResult r = rankedSession.runRows(image, kk, List.of(GraphSurgery.RANKED_CLASS, GraphSurgery.RANKED_SCORES),
                    kept);
            FloatTensor scores = kept.get(GraphSurgery.RANKED_SCORES);
            requireFiniteScores(scores);
            int[] ranked = new int[kk];
            for (int i = 0; i < kk; i++) {
                ranked[i] = (int) kept.get(GraphSurgery.RANKED_CLASS).data()[i];
            }
            String copies = GraphSurgery.rankedLayer(layer);
            GradientResult raw = new GradientResult(scores, Map.of(layer, r.activation(copies)), Map.of(layer, r.gradient(copies)),
                    java.util.Optional.empty(), Map.of());
            return explainFrom(repeat(image, kk), raw, request.withTarget(Target.classes(ranked)), layers, false, false);
        }
        GradientResult once = forwardWithLayersRaw(layers, image);
        requireFiniteScores(once.score());
        int[] top = topClasses(once.score().data(), kk);
        float[] seed = new float[kk * classes];
        for (int r = 0; r < kk; r++) {
            seed[r * classes + top[r]] = 1f;
        }
        GradientResult tailRun = tailGradient(layer, transform).run(repeat(once.activation(layer), kk),
                GradientSession.Seed.of(new FloatTensor(new long[] {kk, classes}, seed)));
        GradientResult raw = new GradientResult(tailRun.score(), Map.of(layer, tailRun.activation(layer)),
                Map.of(layer, tailRun.gradient(layer)), java.util.Optional.empty(), Map.of());
        return explainFrom(images, raw, request.withTarget(Target.classes(top)), layers, false, false);
    }

    /** The request's layers as tensor names (the default layer where none is named), each once. */
    private List<String> layersOf(Request request) {
        return request.layers().isEmpty() ? List.of(catalog.requireDefault().tensor())
                : request.layers().stream().map(l -> catalog.resolve(l).tensor()).distinct().toList();
    }

    /**
     * Whether the graph after the layer alone can serve several targets of one image (top-k's
     * ranks, a head's detections): one layer that every path passes, no augmentation, and methods
     * that need nothing but its activations and gradients.
     */
    private boolean tailSuffices(Request request, List<String> layers) {
        return catalog.isCut(layers.get(0)) && layerArraysSuffice(request, layers);
    }

    /** One layer, and methods that need only its activations and gradients. */
    private static boolean layerArraysSuffice(Request request, List<String> layers) {
        return layers.size() == 1 && !request.augmentationSmooth() && request.methods().stream()
                .allMatch(m -> m.needs() == CamMethod.Needs.GRADIENTS || m.needs() == CamMethod.Needs.ACTIVATIONS);
    }

    /**
     * One image explained for several fixed targets (a dense head's detections), for one forward
     * pass: the layer is taken once, then only the graph after it runs, forward and backward, on
     * one copy of the layer per target, each row seeded with its own target. Where that cannot be
     * (several layers, a layer a skip connection bypasses, methods that need more than the
     * layer's activations and gradients, a model that runs one image at a time, a graph after
     * the layer that cannot stand alone) each target takes its own run. Same numbers either way.
     */
    public List<Explanation> explainEach(FloatTensor image, List<Target> targets, Request request) {
        requireOpen();
        requireFinite(image);
        if (image.dim(0) != 1) {
            throw new XGradCamException("explaining several targets takes one image at a time, got a batch of " + image.dim(0));
        }
        int k = targets.size();
        List<String> layers = layersOf(request);
        boolean simple = k > 1 && !oneImagePerRun() && tailSuffices(request, layers);
        GradientSession tail = null;
        String layer = layers.get(0);
        if (simple && !eachUnavailable.contains(layer)) {
            try {
                tail = tailGradient(layer, GradientRequest.ScoreTransform.NONE);
            } catch (XGradCamException e) {
                eachUnavailable.add(layer); // the graph after the layer does not stand alone: one run per target
            }
        }
        if (tail != null) {
            GradientResult once = forwardWithLayersRaw(layers, image);
            requireFiniteScores(once.score());
            Target rows = Target.perRow(targets);
            try {
                GradientResult tailRun = tail.run(repeat(once.activation(layer), k), rows.seed(k, shapes.shape(catalog.score())));
                GradientResult raw = new GradientResult(tailRun.score(), Map.of(layer, tailRun.activation(layer)),
                        Map.of(layer, tailRun.gradient(layer)), java.util.Optional.empty(), Map.of());
                return explainFrom(repeat(image, k), raw, request.withTarget(rows), layers, false, false);
            } catch (XGradCamException e) {
                // a graph after the layer that runs one row only (a batch of 1 written into a Reshape)
                eachUnavailable.add(layer);
            }
        }
        // (what bypasses the layer is fed as the forward computed it: no cut needed)
        if (k > 1 && oneImagePerRun() && layerArraysSuffice(request, layers) && !fedUnavailable.contains(layer)) {
            try {
                return explainEachOnOneForward(image, targets, request, layer);
            } catch (XGradCamException e) {
                fedUnavailable.add(layer); // the part after the layer cannot run on its own: one run per target
            }
        }
        {
            List<Explanation> out = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                out.add(explain(image, request.withTarget(targets.get(i))).get(0));
                if (k > 1) {
                    options.progress().step("detections", i + 1, k);
                }
            }
            return out;
        }
    }

    /**
     * Several targets of a model that runs one image at a time (a detector that selects its boxes
     * in the graph): the whole model runs forward once, then for each target only the part after
     * the layer, fed the values it reads from before the layer (the boxes and anchors a score's
     * NMS needs) from that forward ({@link GraphSurgery#fedTail}): its forward once for up to
     * {@link SharedForward#BACKWARD_COPIES} targets, its backward copied once per target
     * ({@link GraphSurgery#backwardCopies}). Each run's score is checked against the forward's.
     */
    private List<Explanation> explainEachOnOneForward(FloatTensor image, List<Target> targets, Request request, String layer) {
        Lazy<SharedForward.FedSession> lazy = fedSessions.computeIfAbsent(layer, l -> new Lazy<>(() -> {
            GraphSurgery.FedTail tail = GraphSurgery.fedTail(graph, shapes, l, catalog.score());
            Graph tg = new Graph(tail.model());
            org.xgradcam.autodiff.AugmentedModel augmented = GradientBuilder.build(tg, shapes.startingAt(l),
                    GradientRequest.of(List.of(l), catalog.score()));
            // what the tail is fed (the model's input apart: the run's own), the layer, the score
            List<String> outputs = new ArrayList<>(tail.fed());
            outputs.remove(shapes.inputName());
            outputs.add(l);
            outputs.add(catalog.score());
            ForwardSession forward = new ForwardSession(GraphSurgery.withOutputs(graph, shapes, catalog.score(), outputs),
                    shapes.inputName(), options.runtime());
            return new SharedForward.FedSession(tail.fed(), outputs, forward, augmented, l);
        }));
        SharedForward.FedSession fs = lazy.get();
        long[] scoreShape = shapes.shape(catalog.score());
        try (ForwardSession.Kept once = fs.forward().runKept(image, fs.outputs())) {
            FloatTensor scores = once.floats(catalog.score());
            requireFiniteScores(scores);
            FloatTensor acts = once.floats(layer);
            Map<String, ai.onnxruntime.OnnxTensor> fed = new LinkedHashMap<>();
            for (String f : fs.fed()) {
                fed.put(f, once.tensor(f, shapes.inputName()));
            }
            // the first target on its own; then the rest in runs of c backward copies sharing the tail's
            // forward, c chosen from what the first cost to build and to run
            List<FloatTensor> gradients = new ArrayList<>();
            int copies = 1;
            for (int start = 0; start < targets.size(); ) {
                int n = Math.min(copies, targets.size() - start);
                List<FloatTensor> seeds = new ArrayList<>();
                for (Target t : targets.subList(start, start + n)) {
                    seeds.add(t.seed(1, scoreShape).weights());
                }
                org.xgradcam.runtime.BackwardCopiesSession session = fs.copies(n, options.runtime());
                long began = System.nanoTime();
                org.xgradcam.runtime.BackwardCopiesSession.Result r = session.run(acts, seeds, fed);
                long ran = System.nanoTime() - began;
                // the entries up to the last one a seed reads: a selection's order below them (near-equal low scores
                // rounded apart) may differ and does not matter, the detections explained must be the same
                if (!SharedForward.sameScores(r.score(), scores, SharedForward.lastSeeded(seeds) + 1)) {
                    throw new XGradCamException("the part after " + layer + " gave other scores than the whole model");
                }
                gradients.addAll(r.gradients());
                if (start == 0) {
                    copies = SharedForward.backwardCopies(targets.size() - 1, session.buildNanos(), ran);
                }
                start += n;
                options.progress().step("detections", start, targets.size());
            }
            List<Explanation> out = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                GradientResult raw = new GradientResult(scores, Map.of(layer, acts), Map.of(layer, gradients.get(i)),
                        java.util.Optional.empty(), Map.of());
                out.add(explainFrom(image, raw, request.withTarget(targets.get(i)), List.of(layer), false, false).get(0));
            }
            return out;
        }
    }

    private final Map<String, Lazy<SharedForward.FedSession>> fedSessions = new ConcurrentHashMap<>();

    /** Layers whose part after them cannot run fed: their targets take one run each. */
    private final java.util.Set<String> fedUnavailable = ConcurrentHashMap.newKeySet();

    /** Layers whose graph after them cannot run several rows: their targets take one run each. */
    private final java.util.Set<String> eachUnavailable = ConcurrentHashMap.newKeySet();

    private final Map<String, Lazy<GradientSession>> rankedSessions = new ConcurrentHashMap<>();

    /** Layers whose ranked copies could not be built (their tail does not run at batch k): the two-pass way. */
    private final java.util.Set<String> rankedUnavailable = ConcurrentHashMap.newKeySet();

    /**
     * The session of {@link GraphSurgery#rankedCopies} for this layer and k, built on first use;
     * null if that graph cannot be built or measured for this model (then top-k takes two runs).
     */
    private GradientSession ranked(String layer, int k) {
        String key = layer + "|" + k;
        if (rankedUnavailable.contains(key)) {
            return null;
        }
        try {
            return rankedSession(layer, k);
        } catch (XGradCamException e) {
            rankedUnavailable.add(key);
            return null;
        }
    }

    private GradientSession rankedSession(String layer, int k) {
        return rankedSessions.computeIfAbsent(layer + "|" + k, key -> new Lazy<>(() -> {
            Graph g = new Graph(GraphSurgery.rankedCopies(graph, shapes, layer, catalog.score(), k));
            ModelShapes s = ModelShapes.of(g, shapes.inputShape());
            return new GradientSession(GradientBuilder.build(g, s, new GradientRequest(List.of(GraphSurgery.rankedLayer(layer)),
                    GraphSurgery.RANKED_SCORE, false, false, false, GradientRequest.ScoreTransform.NONE, "",
                    List.of(GraphSurgery.RANKED_CLASS, GraphSurgery.RANKED_SCORES))), options.runtime(), true);
        })).get();
    }

    private GradientSession tailGradient(String layer, GradientRequest.ScoreTransform t) {
        return tailGradients.computeIfAbsent(layer + "|" + t, key -> new Lazy<>(() -> {
            OnnxModel tail = GraphSurgery.tail(graph, shapes, layer, catalog.score());
            Graph tg = new Graph(tail);
            ModelShapes ts = ModelShapes.of(tg, shapes.shape(layer));
            return new GradientSession(GradientBuilder.build(tg, ts, GradientRequest.of(List.of(layer), catalog.score())
                    .withTransform(t)), options.runtime(), true);
        })).get();
    }

    private static int[] topClasses(float[] logits, int k) {
        Integer[] idx = new Integer[logits.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Float.compare(logits[b], logits[a]));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    private static FloatTensor repeat(FloatTensor one, int k) {
        long[] shape = one.shape();
        shape[0] = k;
        float[] d = new float[k * one.size()];
        for (int i = 0; i < k; i++) {
            System.arraycopy(one.data(), 0, d, i * one.size(), one.size());
        }
        return new FloatTensor(shape, d);
    }

    /** Guided gradients [C, H, W], times the heat map for the guided CAMs. */
    private static FloatTensor guidedPixels(FloatTensor grad, FloatTensor map) {
        if (map == null) {
            return grad;
        }
        float[] g = grad.data().clone();
        int plane = map.size();
        for (int i = 0; i < g.length; i++) {
            g[i] *= map.data()[i % plane];
        }
        return new FloatTensor(grad.shape(), g);
    }

    private static String key(List<String> layers, boolean full, boolean guided, GradientRequest.ScoreTransform t) {
        return String.join("\u0000", layers) + "|" + full + "|" + guided + "|" + t;
    }

    private GradientSession session(List<String> layers, boolean full, boolean guided, GradientRequest.ScoreTransform t) {
        return sessions.computeIfAbsent(key(layers, full, guided, t), k -> new Lazy<>(() -> {
            GradientRequest r = GradientRequest.of(layers, catalog.score()).withTransform(t);
            if (full) {
                r = r.withInputGradient().withBiasGradients();
            }
            if (guided) {
                r = r.withInputGradient().withGuidedRelu();
            }
            AugmentedModel aug;
            try {
                aug = GradientBuilder.build(graph, shapes, r);
            } catch (org.xgradcam.autodiff.UnsupportedOpsException e) {
                throw withNearestLayer(e);
            }
            return new GradientSession(aug, options.runtime());
        })).get();
    }

    /** The model's score (logits) for a batch of inputs, run in chunks of the batch size. */
    public FloatTensor logits(FloatTensor inputs) {
        requireOpen();
        requireFinite(inputs);
        return CamContext.chunked(inputs, options.batchSize(), this::scoreInputs);
    }

    /**
     * Scores of the graph after a layer for a batch of activations [M, C, h, w], as the layer is
     * seen (see {@link LayerCatalog.Layer#view()}). For a token layer, whose view leaves the
     * leading tokens out, use {@link #tailLogits(String, FloatTensor, FloatTensor)}.
     */
    public FloatTensor tailLogits(String layer, FloatTensor activations) {
        requireOpen();
        LayerCatalog.Layer l = catalog.resolve(layer);
        if (l.view().kind() == org.xgradcam.onnx.LayerView.Kind.TOKENS && l.view().prefixTokens() > 0) {
            throw new XGradCamException("layer " + l.tensor() + " has " + l.view().prefixTokens() + " leading token(s) its"
                    + " map leaves out; give them: tailLogits(layer, activations, the layer's own row)");
        }
        return scoreLayer(l.tensor(), activations, null, null);
    }

    /** As {@link #tailLogits(String, FloatTensor)}; the leading tokens come from one row of the layer's own tensor. */
    public FloatTensor tailLogits(String layer, FloatTensor activations, FloatTensor ownRow) {
        requireOpen();
        return scoreLayer(catalog.resolve(layer).tensor(), activations, ownRow, null);
    }

    /**
     * Scores for modified activations of a layer (as it is seen), of one image: through the graph
     * after the layer, or, for a layer that a skip connection bypasses (a transformer block's
     * norm), through the whole forward with the layer's tensor replaced, fed the image itself.
     */
    private FloatTensor scoreLayer(String layer, FloatTensor viewedActivations, FloatTensor ownRow, FloatTensor imageRow) {
        org.xgradcam.onnx.LayerView view = catalog.find(layer).map(LayerCatalog.Layer::view).orElse(null);
        FloatTensor in = view == null || view.isIdentity() ? viewedActivations : view.fromNchw(viewedActivations, ownRow);
        if (rescoring != null) {
            // e.g. a selecting detector: each modified row re-run alone, its boxes matched to the explained ones
            return perRow(in, row -> {
                if (catalog.isCut(layer) || imageRow == null) {
                    return rescoring.scores(rerun(row, layer, null));
                }
                Map<String, FloatTensor> feeds = new LinkedHashMap<>();
                feeds.put(shapes.inputName(), new FloatTensor(shapes.inputShape(), imageRow.data()));
                feeds.put(layer, row);
                return rescoring.scores(rerun(null, layer, feeds));
            });
        }
        if (catalog.isCut(layer) || imageRow == null) {
            return tail(layer).run(in).values().iterator().next();
        }
        int m = in.dim(0);
        float[] images = new float[m * imageRow.size()];
        for (int i = 0; i < m; i++) {
            System.arraycopy(imageRow.data(), 0, images, i * imageRow.size(), imageRow.size());
        }
        long[] shape = shapes.inputShape();
        shape[0] = m;
        Map<String, FloatTensor> feeds = new LinkedHashMap<>();
        feeds.put(shapes.inputName(), new FloatTensor(shape, images));
        feeds.put(layer, in);
        return replaced(layer).run(feeds, catalog.score());
    }

    private ForwardSession replaced(String layer) {
        return replacedTails.computeIfAbsent(layer, l -> new Lazy<>(() -> new ForwardSession(
                GraphSurgery.tail(graph, shapes, l, catalog.score(), true), l, options.runtime()))).get();
    }

    /** The run as the methods see it: every target layer's activations and gradients as [N, C, H, W]. */
    private GradientResult viewed(GradientResult r) {
        Map<String, FloatTensor> acts = new LinkedHashMap<>();
        Map<String, FloatTensor> grads = new LinkedHashMap<>();
        boolean changed = false;
        for (String layer : r.activations().keySet()) {
            org.xgradcam.onnx.LayerView view = catalog.find(layer).map(LayerCatalog.Layer::view).orElse(null);
            boolean apply = view != null && !view.isIdentity();
            changed |= apply;
            acts.put(layer, apply ? view.toNchw(r.activation(layer)) : r.activation(layer));
            grads.put(layer, apply && r.gradient(layer) != null ? view.toNchw(r.gradient(layer)) : r.gradient(layer));
        }
        return changed ? new GradientResult(r.score(), acts, grads, r.inputGradient(), r.biasGradients()) : r;
    }

    private FloatTensor scoreInputs(FloatTensor inputs) {
        if (rescoring != null) {
            return perRow(inputs, row -> rescoring.scores(rerun(row, shapes.inputName(), null)));
        }
        return forward.get().run(inputs, catalog.score());
    }

    /** A re-run from the input or a layer, giving the outputs the rescoring matches. */
    private Map<String, FloatTensor> rerun(FloatTensor x, String from, Map<String, FloatTensor> feeds) {
        List<String> outs = rescoring.outputs();
        ForwardSession s = selectingTails.computeIfAbsent(from + (feeds == null ? "" : "+input"), k -> new Lazy<>(() ->
                new ForwardSession(GraphSurgery.tail(graph, shapes, from, outs, feeds != null), from, options.runtime()))).get();
        if (feeds == null) {
            return s.run(x, outs.toArray(new String[0]));
        }
        return s.run(feeds, outs);
    }

    private final Map<String, Lazy<ForwardSession>> selectingTails = new ConcurrentHashMap<>();

    /** f of each row (a batch of one) of xs, as rows of one [M, D] tensor. */
    private static FloatTensor perRow(FloatTensor xs, java.util.function.Function<FloatTensor, float[]> f) {
        return CamContext.chunked(xs, 1, row -> {
            float[] v = f.apply(row);
            return new FloatTensor(new long[] {1, v.length}, v);
        });
    }

    private ForwardSession tail(String layer) {
        return tails.computeIfAbsent(layer, l -> new Lazy<>(() -> new ForwardSession(
                GraphSurgery.tail(graph, shapes, l, catalog.score()), l, options.runtime()))).get();
    }

    private void requireOpen() {
        if (closed) {
            throw new XGradCamException("this Explainer of " + model.source() + " is closed");
        }
    }

    private static void requireFinite(FloatTensor input) {
        float[] d = input.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                throw new XGradCamException("the input holds " + d[i] + " at position " + i + " of " + d.length
                        + "; a model input must be finite (check the tensor, or the mean/std it was normalised with)");
            }
        }
    }

    private void requireFiniteScores(FloatTensor score) {
        for (float v : score.data()) {
            if (!Float.isFinite(v)) {
                throw new XGradCamException("the model " + model.source() + " gave a non-finite score (" + v
                        + ") for a finite input: its weights are broken (re-export or re-download it)");
            }
        }
    }

    /** How many ONNX Runtime sessions this explainer holds now (each built once, on first use). */
    public int openSessions() {
        int n = 0;
        for (Lazy<? extends AutoCloseable> l : allSessions()) {
            n += l.isBuilt() ? 1 : 0;
        }
        return n;
    }

    /** Every session holder, built or not: what openSessions counts and close releases. */
    private List<Lazy<? extends AutoCloseable>> allSessions() {
        List<Lazy<? extends AutoCloseable>> all = new ArrayList<>(sessions.values());
        all.addAll(tails.values());
        all.addAll(replacedTails.values());
        all.addAll(hessians.values());
        all.addAll(layerForwards.values());
        all.addAll(ablationForwards.values());
        all.addAll(tailGradients.values());
        all.addAll(fedSessions.values());
        all.addAll(rankedSessions.values());
        all.addAll(selectingTails.values());
        all.add(forward);
        return all;
    }

    /** Releases every session; waits for nothing, so call it after the last explain has returned. */
    @Override
    public void close() {
        closed = true;
        XGradCamException failure = null;
        for (Lazy<? extends AutoCloseable> l : allSessions()) {
            try {
                l.close();
            } catch (Exception e) {
                failure = failure != null ? failure : new XGradCamException("cannot close a session: " + e.getMessage(), e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
