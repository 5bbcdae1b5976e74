package org.xgradcam.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.CamResult;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Target;
import org.xgradcam.detection.DenseHead;
import org.xgradcam.detection.Detection;
import org.xgradcam.detection.SelectingDetector;
import org.xgradcam.image.Boxes;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Overlay;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.image.RgbImage;
import org.xgradcam.models.Labels;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.tensor.Vectors;

/**
 * The single place where an image becomes an explanation, for every model kind and every front
 * end: decode and preprocess ({@link #prepare}), choose what to explain for the model's kind (the
 * top class or a class or the top k; a segment class over the pixels it wins; the detections above
 * a threshold, or one of them), run the engine, render the pictures on request, and return the
 * result document ({@link Result}). A pipeline is opened once per model and shared by every
 * thread (the {@link Explainer} under it is thread-safe); a {@link Plan} is a request resolved
 * against the model (layers, target), made once per run.
 */
public final class Pipeline implements AutoCloseable {
    private final ModelSpec spec;
    private final Preprocessing pre;
    private final Explainer explainer;
    private final SelectingDetector detector;
    private final ModelKind kind;
    private final Sized nominal;
    private final Explainer.Options options;
    /** Which of the input's height and width are free (image-sized inputs), and the strides to round them to. */
    private final boolean[] free;
    private final int[] stride;
    /** Engines at other input sizes (image-sized inputs), the most recently used kept. */
    private final Map<String, Sized> bySize = new java.util.LinkedHashMap<>(8, 0.75f, true);

    /** How the input size is chosen for a model whose height or width is free. */
    public enum Sizing {
        /** The preprocessing's size for every image. */
        FIXED,
        /**
         * Each image at its own aspect ratio: a fixed side as the model has it, a free one from
         * the image (both free: the shorter side at the preprocessing's), rounded to the stride
         * the graph shows. Models of fixed size, and detectors that select their boxes, stay FIXED.
         */
        IMAGE;

        /**
         * Each image's own size where nothing chose one: no preprocessing in the model or the
         * catalogue, and no input size, resize mode or preset asked for.
         */
        public static Sizing of(ModelSpec spec, org.xgradcam.image.PreprocessingOverrides asked) {
            return spec.origin() == ModelSpec.Origin.DEFAULT && !asked.fixesTheSize() ? IMAGE : FIXED;
        }
    }

    /**
     * An engine at one input size, with what the model's score shape decides there, and (guarded
     * by {@code bySize}) how many images use it and whether the cache has let it go.
     */
    private record Sized(Explainer explainer, long[] scoreShape, PixelClasses perPixel, SequenceHead sequence, Use use) {
        Sized(Explainer explainer, long[] scoreShape, PixelClasses perPixel, SequenceHead sequence) {
            this(explainer, scoreShape, perPixel, sequence, new Use());
        }
    }

    private static final class Use {
        int users;
        boolean retired;
    }

    private Pipeline(ModelSpec spec, Preprocessing pre, Explainer explainer, SelectingDetector detector,
                     Explainer.Options options, Sizing sizing) {
        this.spec = spec;
        this.pre = pre;
        this.explainer = explainer;
        this.detector = detector;
        this.options = options;
        long[] scoreShape = explainer.shapes().shape(explainer.layers().score());
        boolean sequential = detector == null && SequenceHead.recognises(explainer.graph(), explainer.layers().score(), scoreShape);
        this.kind = detector != null ? ModelKind.SELECTING_DETECTOR : sequential ? ModelKind.SEQUENCE
                : scoreShape.length == 3 ? ModelKind.DETECTION_HEAD : scoreShape.length == 4 || scoreShape.length == 5 ? ModelKind.SEGMENTER
                : ModelKind.CLASSIFIER;
        this.nominal = sized(explainer);
        this.free = sizing == Sizing.IMAGE && detector == null ? freeAxes(explainer, pre) : new boolean[2];
        this.stride = strides(explainer, pre);
    }

    private Sized sized(Explainer e) {
        long[] score = e.shapes().shape(e.layers().score());
        return new Sized(e, score, kind == ModelKind.SEGMENTER ? new PixelClasses(score) : null,
                kind == ModelKind.SEQUENCE ? new SequenceHead(score, spec.labels()) : null);
    }

    /** Whether the model's image input leaves its height and width free (a symbolic or zero dim). */
    private static boolean[] freeAxes(Explainer e, Preprocessing pre) {
        var dims = org.xgradcam.onnx.ModelShapes.imageInput(e.graph()).getType().getTensorType().getShape().getDimList();
        int rank = dims.size();
        if (rank < 3) {
            return new boolean[2];
        }
        int h = pre.nhwc() ? rank - 3 : rank - 2;
        return new boolean[] {!dims.get(h).hasDimValue() || dims.get(h).getDimValue() <= 0,
                !dims.get(h + 1).hasDimValue() || dims.get(h + 1).getDimValue() <= 0};
    }

    /**
     * Per axis, the largest power of two (at most 64) by which a feature map that every path
     * passes is smaller than the input: the backbone's downsampling (attention's inner tensors,
     * seen as maps by their shape, do not count).
     */
    private static int[] strides(Explainer e, Preprocessing pre) {
        int[] s = {1, 1};
        for (var l : e.layers().layers()) {
            if (!l.view().isIdentity() || !e.layers().isCut(l.tensor())) {
                continue;
            }
            long[] shape = l.shape();
            long[] in = {pre.height(), pre.width()};
            for (int a = 0; a < 2; a++) {
                long d = shape[2 + a];
                if (d > 0 && in[a] % d == 0 && in[a] / d <= 64 && Long.bitCount(in[a] / d) == 1) {
                    s[a] = (int) Math.max(s[a], in[a] / d);
                }
            }
        }
        return s;
    }

    /**
     * The engine (and what its score shape decides) for an input of this shape, held until
     * {@link #release}: an engine pushed out of the cache (at most 4 sizes) closes when its last
     * image is done, never under one.
     */
    private Sized acquire(FloatTensor x) {
        if (java.util.Arrays.equals(x.shape(), explainer.inputShape())) {
            return nominal;
        }
        String key = java.util.Arrays.toString(x.shape());
        synchronized (bySize) {
            Sized s = bySize.get(key);
            if (s == null) {
                s = sized(Explainer.open(spec, options.withInputShape(x.shape())));
                bySize.put(key, s);
                if (bySize.size() > 4) {
                    var eldest = bySize.entrySet().iterator().next();
                    bySize.remove(eldest.getKey());
                    eldest.getValue().use().retired = true;
                    closeIfIdle(eldest.getValue());
                }
            }
            s.use().users++;
            return s;
        }
    }

    /** The score's shape (at batch 1) for an input of this shape: a sequence's steps and a segmenter's grid follow the input. */
    public long[] scoreShape(FloatTensor x) {
        Sized s = acquire(x);
        try {
            return s.scoreShape().clone();
        } finally {
            release(s);
        }
    }

    /**
     * Work on the engine of an input's own size (a model of free size runs each image size on an
     * engine of its own; the pipeline's {@link #explainer()} is the preprocessing's size): the
     * metrics' re-scoring of a prepared image, say.
     */
    public <T> T withExplainer(FloatTensor x, java.util.function.Function<Explainer, T> work) {
        Sized s = acquire(x);
        try {
            return work.apply(s.explainer());
        } finally {
            release(s);
        }
    }

    private void release(Sized s) {
        if (s == nominal) {
            return;
        }
        synchronized (bySize) {
            s.use().users--;
            closeIfIdle(s);
        }
    }

    private static void closeIfIdle(Sized s) {
        if (s.use().retired && s.use().users == 0) {
            s.explainer().close();
        }
    }

    /**
     * The preprocessing of an image of w x h: the pipeline's, or for image-sized inputs the same
     * at the image's aspect ratio (the fixed side kept; both free: the shorter side at the
     * preprocessing's, the longer at most 4 times it; one free: at most 8 times the preprocessing's),
     * rounded to the graph's stride.
     */
    public Preprocessing preprocessingFor(int w, int h) {
        if (!free[0] && !free[1]) {
            return pre;
        }
        double th;
        double tw;
        if (free[0] && free[1]) {
            double scale = (double) Math.min(pre.width(), pre.height()) / Math.min(w, h);
            th = Math.min(h * scale, 4.0 * w * scale);
            tw = Math.min(w * scale, 4.0 * h * scale);
        } else if (free[1]) {
            th = pre.height();
            tw = Math.min((double) w * pre.height() / h, 8.0 * pre.width());
        } else {
            tw = pre.width();
            th = Math.min((double) h * pre.width() / w, 8.0 * pre.height());
        }
        int outH = free[0] ? round(th, stride[0]) : pre.height();
        int outW = free[1] ? round(tw, stride[1]) : pre.width();
        return pre.withResize(Preprocessing.ResizeMode.DIRECT).withSize(outW, outH);
    }

    private static int round(double side, int stride) {
        long r = Math.round(side / stride) * stride;
        return (int) Math.max(stride, Math.min(r, Preprocessing.MAX_SIDE));
    }

    /**
     * Opens a model with the preprocessing its images get (its input shape follows it) and the
     * engine's options (runtime, perturbation batch, token layout); the input shape in
     * {@code options} is replaced by the preprocessing's. Every image at the preprocessing's size.
     */
    public static Pipeline open(ModelSpec spec, Preprocessing pre, Explainer.Options options) {
        return open(spec, pre, options, Sizing.FIXED);
    }

    /** As above, with the input size chosen per image where the model leaves it free ({@link Sizing#IMAGE}). */
    public static Pipeline open(ModelSpec spec, Preprocessing pre, Explainer.Options options, Sizing sizing) {
        long[] shape = pre.inputShape();
        Explainer.Options o = options.withInputShape(shape);
        Explainer e = Explainer.open(spec, o);
        SelectingDetector d = null;
        try {
            d = SelectingDetector.accepts(spec) ? new SelectingDetector(spec, o) : null;
            return new Pipeline(spec, pre, e, d, options, sizing);
        } catch (RuntimeException ex) {
            if (d != null) {
                d.close();
            }
            e.close();
            throw ex;
        }
    }

    /**
     * A model with its own preprocessing and the default engine options; a model of free size
     * whose preprocessing nothing names takes each image at its own size.
     */
    public static Pipeline open(ModelSpec spec) {
        return open(spec, spec.preprocessing(), Explainer.Options.defaults(),
                Sizing.of(spec, org.xgradcam.image.PreprocessingOverrides.none()));
    }

    /** Whether each image gets an input of its own size (a model of free size, opened with {@link Sizing#IMAGE}). */
    public boolean imageSized() {
        return free[0] || free[1];
    }

    public ModelSpec spec() {
        return spec;
    }

    public Preprocessing preprocessing() {
        return pre;
    }

    public ModelKind kind() {
        return kind;
    }

    /** The engine under the pipeline (layers, shapes, the metrics' re-scoring). */
    public Explainer explainer() {
        return explainer;
    }

    /** How many classes the model scores (per pixel for a segmenter, per detection for a head). */
    public int classes() {
        return nominal.perPixel() != null ? nominal.perPixel().classes() : nominal.sequence() != null
                ? nominal.sequence().classes() : kind == ModelKind.DETECTION_HEAD || kind == ModelKind.SELECTING_DETECTOR
                ? Math.max(spec.labels().lines().size(), 0) : explainer.numClasses();
    }

    /** What a user should know about the model before its first image (the score used, the export's quirks). */
    public List<String> notes() {
        List<String> notes = new ArrayList<>();
        if (!explainer.layers().scoreNote().isEmpty()) {
            notes.add(explainer.layers().scoreNote());
        }
        if (detector != null) {
            notes.addAll(detector.notes());
        }
        boolean guessed = spec.origin() == ModelSpec.Origin.DEFAULT && pre.describe().equals(spec.preprocessing().describe());
        if (guessed && pre.isClip()) {
            notes.add(spec.name() + " says nothing of its preprocessing; it takes clips of " + pre.frames() + " frames, so "
                    + (pre.channels() == 3 ? "torchvision's video transform is used (each frame's shorter side to "
                    + pre.shorterSide() + ", centre crop " + pre.width() + "x" + pre.height() + ", [0, 1], Kinetics mean and std)"
                    : "each grey slice is resized straight to " + pre.width() + "x" + pre.height() + ", values in [0, 1]")
                    + "; --mean, --std and --scale change it. docs/export.md writes it into the model");
        } else if (guessed && kind == ModelKind.CLASSIFIER) {
            // a silent default answers wrongly for most models trained with torchvision: say it once
            notes.add(spec.name() + " says nothing of its preprocessing, so the original tool's is used (a direct resize to "
                    + (imageSized() ? "a size of each image's aspect ratio (its height and width are free)" : pre.width() + "x"
                    + pre.height()) + ", OpenCV bilinear, [0, 1], ImageNet mean and std); a model trained"
                    + " with torchvision's transforms wants the torchvision preset (--preprocessing torchvision: shorter side,"
                    + " centre crop, PIL bilinear). docs/export.md writes it into the model");
        }
        return notes;
    }

    /**
     * A request resolved against this model, once per run: its layers (the default one, or each
     * name as a tensor, node or module name), its target class (an index, name or WordNet id),
     * checked against what the model scores; notes for the user (a module's output named).
     */
    public record Plan(Request request, Explainer.Request engine, Integer targetIndex, List<String> layers,
                       DenseHead.Layout layout, List<String> notes) {}

    public Plan plan(Request r) {
        if (kind.detects() && (r.topK() != null || r.target() != null)) {
            throw new XGradCamException(spec.name() + " is a " + kind.id() + ": it explains detections (chosen by the score"
                    + " threshold, or one by its number), not a target class or the top k");
        }
        if (!kind.detects() && (r.box() != null || r.renormalize())) {
            throw new XGradCamException((r.box() != null ? "choosing a detection" : "renormalising maps in boxes")
                    + " is for detectors; " + spec.name() + " is a " + kind.id() + " (explain a class, or the top k)");
        }
        if (r.step() != null && kind != ModelKind.SEQUENCE) {
            throw new XGradCamException("--step is for sequence models (text recognisers); " + spec.name() + " is a " + kind.id());
        }
        if (kind == ModelKind.SEQUENCE && (r.topK() != null || (r.target() != null && r.step() == null))) {
            throw new XGradCamException(spec.name() + " is a sequence model (a class per step, of " + nominal.sequence().classes()
                    + " classes): it explains its decoded text, or one step (--step T, with a target class for another"
                    + " class at that step); " + (r.topK() != null ? "top-k" : "a target class alone") + " has no meaning here");
        }
        if (r.topK() != null && kind == ModelKind.SEGMENTER) {
            throw new XGradCamException("top-k is for classifiers; " + spec.name() + " scores classes per pixel (a segmenter):"
                    + " explain one class at a time");
        }
        if (r.topK() != null && r.topK() > explainer.numClasses()) {
            throw new XGradCamException("top-k " + r.topK() + " is more than the " + explainer.numClasses()
                    + " classes the model scores");
        }
        DenseHead.Layout layout = null;
        if (kind == ModelKind.DETECTION_HEAD) {
            long[] head = nominal.scoreShape().clone();
            head[0] = 1;
            layout = r.headLayout() == null ? DenseHead.detect(head) : DenseHead.parse(r.headLayout(), head);
        }
        List<String> notes = new ArrayList<>();
        List<String> layers = new ArrayList<>();
        if (r.layers().isEmpty()) {
            layers.add(explainer.layers().requireDefault().tensor());
        } else {
            for (String l : r.layers()) {
                var layer = explainer.layers().resolve(l);
                if (!l.equals(layer.tensor()) && !l.equals(layer.node())) {
                    notes.add("layer " + l + " is the output of module " + l + ": " + layer.tensor());
                }
                if (!layers.contains(layer.tensor())) {
                    layers.add(layer.tensor());
                }
            }
        }
        Integer target = r.target() == null ? null : nominal.sequence() != null ? nominal.sequence().classOf(r.target())
                : ClassChoice.resolve(r.target(), spec.labels(), classes(),
                nominal.perPixel() != null ? "classes per pixel" : "classes");
        Explainer.Request engine = new Explainer.Request(r.methods(), target == null ? Target.topClass() : Target.classes(target),
                layers, r.convention(), r.seed(), r.eigenSmooth(), r.augSmooth());
        return new Plan(r, engine, target, List.copyOf(layers), layout, List.copyOf(notes));
    }

    /**
     * An image file's bytes, decoded (a damaged one refused unless accepted) and preprocessed; for
     * a model of clips, the file's frames (an animated GIF's) as a clip ({@link #prepareClip}).
     */
    public Prepared prepare(byte[] bytes, String name, boolean acceptDamaged, long maxPixels) {
        long start = System.nanoTime();
        if (pre.isClip()) {
            org.xgradcam.video.Frames.Decoded clip = org.xgradcam.video.Frames.decode(bytes, name, acceptDamaged, maxPixels);
            return clip(clip.frames(), name, damagedWarning(name, clip.damaged(), clip.warnings()), start);
        }
        ImageLoader.Decoded d = ImageLoader.decode(bytes, name, acceptDamaged, maxPixels);
        Preprocessing q = preprocessingFor(d.image().width(), d.image().height());
        RgbImage fitted = q.fit(d.image());
        return new Prepared(name, q.toTensor(fitted), fitted, d.image(), damagedWarning(name, d.damaged(), d.warnings()), start, q);
    }

    /** What a damaged file explained anyway (as asked) warns of; nothing for an intact one. */
    public static List<String> damagedWarning(String name, boolean damaged, List<String> decoderWarnings) {
        return damaged ? List.of(name + " is damaged (" + ImageLoader.summary(decoderWarnings) + "); explained anyway, as asked")
                : List.of();
    }

    /** Whether the model takes clips or volumes ([N, C, T, H, W]) rather than still images. */
    public boolean takesClips() {
        return pre.isClip();
    }

    /**
     * A clip's frames (a GIF's, a folder's, in order), preprocessed: the model's T frames taken
     * evenly over the clip (all of them when it has T; repeated when it is shorter, with a
     * warning), each fitted as an image is; the picture behind the maps is the frames stacked top
     * to bottom.
     */
    public Prepared prepareClip(List<RgbImage> frames, String name) {
        return prepareClip(frames, name, List.of());
    }

    /** As {@link #prepareClip(List, String)}, with what decoding its frames warned of first (a damaged frame accepted). */
    public Prepared prepareClip(List<RgbImage> frames, String name, List<String> decoded) {
        return clip(frames, name, decoded, System.nanoTime());
    }

    private Prepared clip(List<RgbImage> frames, String name, List<String> decoded, long start) {
        if (!pre.isClip()) {
            throw new XGradCamException(spec.name() + " takes still images, not clips; give one image (a GIF's first frame"
                    + " is read as the image)");
        }
        int t = pre.frames();
        int[] idx = org.xgradcam.video.Frames.sample(frames.size(), t);
        List<String> warnings = new ArrayList<>(decoded);
        if (frames.size() != t) {
            StringBuilder which = new StringBuilder();
            for (int i = 0; i < idx.length; i++) {
                which.append(i == 0 ? "" : ", ").append(idx[i]);
            }
            warnings.add(name + " has " + frames.size() + " frame(s) and the model takes " + t + ": frames " + which
                    + (frames.size() < t ? " (repeated to fill the clip)" : " (evenly spaced over the clip)"));
        }
        List<RgbImage> fitted = new ArrayList<>(t);
        for (int i : idx) {
            fitted.add(pre.fit(frames.get(i)));
        }
        return new Prepared(name, pre.toTensor(fitted), org.xgradcam.video.Frames.stack(fitted), null, warnings, start, pre);
    }

    /** A decoded image, preprocessed (for a model of clips, the image as a still clip, with a warning). */
    public Prepared prepare(RgbImage image, String name) {
        if (pre.isClip()) {
            return prepareClip(List.of(image), name);
        }
        long start = System.nanoTime();
        Preprocessing q = preprocessingFor(image.width(), image.height());
        RgbImage fitted = q.fit(image);
        return new Prepared(name, q.toTensor(fitted), fitted, image, List.of(), start, q);
    }

    /**
     * A preprocessed tensor (one image, with or without its batch axis); the picture behind its
     * maps is the preprocessing undone.
     */
    public Prepared prepare(FloatTensor x, String name) {
        long start = System.nanoTime();
        long[] want = explainer.inputShape();
        if (x.rank() == 3 && want.length == 5 && pre.channels() == 1) {
            long[] s = x.shape(); // a grey volume [D, H, W]
            x = new FloatTensor(pre.nhwc() ? new long[] {1, s[0], s[1], s[2], 1} : new long[] {1, 1, s[0], s[1], s[2]}, x.data());
        }
        if (x.rank() == want.length - 1 && want[0] == 1) {
            long[] batched = new long[want.length];
            batched[0] = 1;
            System.arraycopy(x.shape(), 0, batched, 1, x.rank());
            x = new FloatTensor(batched, x.data());
        }
        if (!java.util.Arrays.equals(x.shape(), want)) {
            throw new XGradCamException(name + " has shape " + java.util.Arrays.toString(x.shape()) + ", but the model takes "
                    + java.util.Arrays.toString(want) + (want.length != 5 ? " (float32, one image)" : " (float32, one clip or volume"
                    + (pre.channels() == 1 ? "; a grey volume may be given as [D, H, W]" : "") + ")"));
        }
        return new Prepared(name, x, pre.undo(x), null, List.of(), start, pre);
    }

    /** Whether images can go through the model together under this plan (a classifier's class, no top-k). */
    public boolean batchable(Plan plan) {
        return kind == ModelKind.CLASSIFIER && plan.request().topK() == null && !explainer.oneImagePerRun();
    }

    /** Several images explained in one model run (see {@link #batchable}); a failure is the batch's. */
    public List<Result> explainBatch(List<Prepared> images, Plan plan) {
        if (images.size() == 1 || !batchable(plan)
                || images.stream().anyMatch(p -> !java.util.Arrays.equals(p.x().shape(), images.get(0).x().shape()))) {
            return images.stream().map(p -> explain(p, plan)).toList();
        }
        FloatTensor batch = FloatTensor.stack(images.stream().map(p -> p.x().row(0)).toList());
        Sized sized = acquire(images.get(0).x());
        List<Explanation> es;
        try {
            es = sized.explainer().explain(batch, plan.engine());
        } finally {
            release(sized);
        }
        List<Result> out = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Prepared p = images.get(i);
            out.add(classified(p, plan, List.of(es.get(i)), List.of()));
        }
        return out;
    }

    /** Explains one prepared image as its model's kind asks. */
    public Result explain(Prepared p, Plan plan) {
        Sized s = acquire(p.x());
        try {
            return switch (kind) {
                case CLASSIFIER -> {
                    Integer k = plan.request().topK();
                    Explainer e = s.explainer();
                    List<Explanation> es = k != null ? e.explainTopK(p.x(), k, plan.engine())
                            : List.of(e.explain(p.x(), plan.engine()).get(0));
                    yield classified(p, plan, es, List.of());
                }
                case SEGMENTER -> segmented(p, plan, s);
                case DETECTION_HEAD -> headDetections(p, plan, s);
                case SEQUENCE -> sequenced(p, plan, s);
                case SELECTING_DETECTOR -> selectedDetections(p, plan);
            };
        } finally {
            release(s);
        }
    }

    private Result classified(Prepared p, Plan plan, List<Explanation> es, List<String> warnings) {
        Labels labels = spec.labels();
        Explanation first = es.get(0);
        double[] probabilities = Vectors.softmax(first.logits());
        List<Result.ClassScore> top = new ArrayList<>();
        for (int c : first.topK(5)) {
            top.add(new Result.ClassScore(c, labels.name(c), labels.wordNetId(c), first.logits()[c], probabilities[c]));
        }
        List<Result.Explained> explained = new ArrayList<>();
        boolean ranked = plan.request().topK() != null;
        for (int r = 0; r < es.size(); r++) {
            Explanation e = es.get(r);
            explained.add(explained(ranked ? r + 1 : null, null, e, p.backdrop(), null, plan, p));
        }
        return result(p, plan, top, List.of(), List.of(), 0, explained, warnings, null);
    }

    private Result segmented(Prepared p, Plan plan, Sized s) {
        Labels labels = spec.labels();
        PixelClasses perPixel = s.perPixel();
        int[] winners = perPixel.winners(s.explainer().logits(p.x()).data());
        double[] shares = perPixel.shares(winners);
        int cls = plan.targetIndex() != null ? plan.targetIndex() : perPixel.ranked(shares, 1)[0];
        List<String> warnings = new ArrayList<>();
        if (shares[cls] == 0) {
            warnings.add("class " + cls + " (" + labels.name(cls) + ") wins no pixel of " + p.name()
                    + "; its scores are explained over the whole image");
        }
        Explanation e = s.explainer().explain(p.x(), plan.engine().withTarget(perPixel.target(winners, cls))).get(0);
        List<Result.Segment> segments = new ArrayList<>();
        for (int c : perPixel.ranked(shares, 5)) {
            segments.add(new Result.Segment(c, labels.name(c), labels.wordNetId(c), shares[c]));
        }
        return result(p, plan, List.of(), segments, List.of(), 0,
                List.of(explained(null, null, e, p.backdrop(), null, plan, p)), warnings, null);
    }

    /** A sequence model: its decoded text explained as a whole, or one step's class. */
    private Result sequenced(Prepared p, Plan plan, Sized s) {
        SequenceHead sequence = s.sequence();
        float[] scores = s.explainer().logits(p.x()).data();
        List<SequenceHead.Symbol> decoded = sequence.decode(scores);
        Integer step = plan.request().step();
        List<String> warnings = new ArrayList<>();
        if (decoded.isEmpty() && step == null) {
            warnings.add("the model decodes no text from " + p.name() + " (every step's best class is the blank); every step's"
                    + " best score is explained");
        }
        Explanation e = s.explainer().explain(p.x(), plan.engine().withTarget(sequence.target(scores, decoded, step,
                plan.targetIndex()))).get(0);
        Result.Explained x = explained(null, null, e, p.backdrop(), null, plan, p);
        String what = step != null ? sequence.symbol(e.classIndex()) : SequenceHead.text(decoded);
        double score = step != null ? scores[step * sequence.classes() + e.classIndex()] : e.score();
        x = new Result.Explained(null, null, step != null ? e.classIndex() : -1, what, null, score, e, x.backdrop(), x.pictures());
        return result(p, plan, List.of(), List.of(), List.of(), 0, List.of(x), warnings, null,
                new Result.Sequence(SequenceHead.text(decoded), decoded, step));
    }

    private Result headDetections(Prepared p, Plan plan, Sized s) {
        long[] head = s.scoreShape().clone();
        head[0] = 1;
        FloatTensor raw = s.explainer().logits(p.x());
        List<Detection> all = DenseHead.decode(raw, plan.layout(), plan.request().scoreThreshold(), 0.45);
        return detections(p, plan, all, all.isEmpty() ? "(and check the preprocessing: YOLO exports take [0, 1] values,"
                + " mean 0 and std 1)" : "", ds -> s.explainer().explainEach(p.x(), ds.stream().map(d -> DenseHead.target(d,
                plan.layout(), head)).toList(), plan.engine()), d -> org.xgradcam.image.Boxes.Parts.NONE);
    }

    private Result selectedDetections(Prepared p, Plan plan) {
        SelectingDetector.Found withParts = detector.detectWithParts(p.x());
        List<Detection> found = withParts.detections();
        List<Detection> all = found.stream().filter(d -> d.score() > plan.request().scoreThreshold()).toList();
        String hint = found.isEmpty() ? "(the model found none)" : all.isEmpty() ? String.format(Locale.ROOT,
                "(the model gave %d, the best scoring %.3f)", found.size(), found.get(0).score()) : "";
        java.util.function.Function<Detection, org.xgradcam.image.Boxes.Parts> parts = d -> withParts.parts().get(d.anchor());
        if (all.isEmpty()) {
            return detections(p, plan, all, hint, null, parts);
        }
        try (Explainer perImage = detector.explainerFor(p.x(), found)) {
            return detections(p, plan, all, hint, ds -> perImage.explainEach(p.x(), ds.stream().map(d ->
                    SelectingDetector.target(d, found.size())).toList(), plan.engine()), parts);
        }
    }

    /** Kept detections (the first max), the chosen ones explained, with pictures on request. */
    private Result detections(Prepared p, Plan plan, List<Detection> all, String hint,
                              java.util.function.Function<List<Detection>, List<Explanation>> explain,
                              java.util.function.Function<Detection, org.xgradcam.image.Boxes.Parts> partsOf) {
        Labels labels = spec.labels();
        Request r = plan.request();
        List<String> warnings = new ArrayList<>();
        if (all.isEmpty()) {
            warnings.add(String.format(Locale.ROOT, "no detection scores above the score threshold %.2f %s; lower the"
                    + " threshold", r.scoreThreshold(), hint).replace("  ", " "));
        }
        List<Detection> kept = all.size() > r.maxDetections() ? all.subList(0, r.maxDetections()) : all;
        int leftOut = all.size() - kept.size();
        if (leftOut > 0) {
            warnings.add(leftOut + " more detection(s) above the threshold were left out (the " + r.maxDetections()
                    + " best kept); raise the limit to see them");
        }
        List<Result.Found> found = new ArrayList<>();
        for (int i = 0; i < kept.size(); i++) {
            Detection d = kept.get(i);
            found.add(new Result.Found(i, d, labels.name(d.label()), labels.wordNetId(d.label()), partsOf.apply(d)));
        }
        List<Integer> chosen = new ArrayList<>();
        if (r.box() != null) {
            if (r.box() < 0 || r.box() >= kept.size()) {
                throw new XGradCamException(p.name() + ": detection " + r.box() + " is out of range: " + kept.size()
                        + " detection(s) score above " + r.scoreThreshold() + (kept.isEmpty() ? "" : " (0.." + (kept.size() - 1)
                        + ")"));
            }
            chosen.add(r.box());
        } else {
            for (int i = 0; i < kept.size(); i++) {
                chosen.add(i);
            }
        }
        List<Result.Explained> explained = new ArrayList<>();
        // all chosen detections together: one run where the engine can (explainEach), else one each
        List<Explanation> each = chosen.isEmpty() ? List.of() : explain.apply(chosen.stream().map(kept::get).toList());
        for (int j = 0; j < chosen.size(); j++) {
            int i = chosen.get(j);
            Detection d = kept.get(i);
            Explanation e = each.get(j);
            explained.add(explained(null, i, e, r.pictures() ? Boxes.outline(Boxes.parts(p.backdrop(), partsOf.apply(d), d.label()),
                    d.x0(), d.y0(), d.x1(), d.y1()) : p.backdrop(), d, plan));
        }
        RgbImage overview = null;
        if (r.pictures() && !kept.isEmpty()) {
            List<Boxes.Box> drawn = new ArrayList<>();
            List<Integer> classes = new ArrayList<>();
            for (Result.Found f : found) {
                Detection d = f.detection();
                drawn.add(new Boxes.Box(d.x0(), d.y0(), d.x1(), d.y1(), String.format(Locale.ROOT, "%d %s %.2f", f.index(),
                        f.name(), d.score())));
                classes.add(d.label());
            }
            RgbImage withParts = p.backdrop();
            for (int i = found.size() - 1; i >= 0; i--) {
                withParts = Boxes.parts(withParts, found.get(i).parts(), found.get(i).detection().label());
            }
            overview = Boxes.draw(withParts, drawn, classes);
        }
        return result(p, plan, List.of(), List.of(), found, leftOut, explained, warnings, overview);
    }

    /** One explained thing, with its pictures per method when asked for. */
    private Result.Explained explained(Integer rank, Integer detection, Explanation e, RgbImage backdrop, Detection box,
                                       Plan plan) {
        return explained(rank, detection, e, backdrop, box, plan, null);
    }

    /** As above, with the image prepared (null: none), for the pictures over its photo. */
    private Result.Explained explained(Integer rank, Integer detection, Explanation e, RgbImage backdrop, Detection box,
                                       Plan plan, Prepared prepared) {
        RgbImage photo = prepared == null ? null : prepared.original();
        Preprocessing q = prepared == null ? pre : prepared.preprocessing();
        Labels labels = spec.labels();
        Request r = plan.request();
        Map<String, Result.Pictures> pictures = new LinkedHashMap<>();
        if (r.pictures()) {
            for (CamMethod m : r.methods()) {
                CamResult cr = e.result(m.id());
                RgbImage overlay;
                RgbImage inBox = null;
                RgbImage onPhoto = null;
                if (cr.pixels() != null) {
                    overlay = Overlay.gradientPicture(cr.pixels().data(), backdrop.width(), backdrop.height());
                } else {
                    overlay = render(backdrop, cr.map().data(), r);
                    if (r.renormalize() && box != null) {
                        inBox = render(backdrop, org.xgradcam.detection.BoxMaps.renormalizedIn(cr.map().data(), backdrop.width(),
                                backdrop.height(), List.of(box)), r);
                    }
                    if (photo != null && !(photo.width() == backdrop.width() && photo.height() == backdrop.height()
                            && q.resize() == Preprocessing.ResizeMode.DIRECT)) {
                        onPhoto = Overlay.onPhoto(photo, cr.map().data(), backdrop.width(), backdrop.height(),
                                q.seenRegion(photo.width(), photo.height()), r.blend(), r.colormap());
                    }
                }
                pictures.put(m.id(), new Result.Pictures(overlay, inBox, onPhoto));
            }
        }
        return new Result.Explained(rank, detection, e.classIndex(), labels.name(e.classIndex()), labels.wordNetId(e.classIndex()),
                e.score(), e, backdrop, pictures);
    }

    private static RgbImage render(RgbImage backdrop, float[] map, Request r) {
        return r.blend() ? Overlay.blend(backdrop, map, r.colormap(), 0.5f) : Overlay.additive(backdrop, map, r.colormap());
    }

    private Result result(Prepared p, Plan plan, List<Result.ClassScore> classes, List<Result.Segment> segments,
                          List<Result.Found> detections, int leftOut, List<Result.Explained> explained, List<String> warnings,
                          RgbImage overview) {
        return result(p, plan, classes, segments, detections, leftOut, explained, warnings, overview, null);
    }

    private Result result(Prepared p, Plan plan, List<Result.ClassScore> classes, List<Result.Segment> segments,
                          List<Result.Found> detections, int leftOut, List<Result.Explained> explained, List<String> warnings,
                          RgbImage overview, Result.Sequence sequence) {
        List<String> all = new ArrayList<>(p.warnings());
        all.addAll(warnings);
        for (Result.Explained e : explained) {
            for (String w : Misleading.of(kind, e.explanation(), plan.request().methods())) {
                if (!all.contains(w)) {
                    all.add(w);
                }
            }
        }
        return new Result(p.name(), spec.name(), kind, plan.layers(), p.preprocessing().describe(), classes, segments, detections, leftOut,
                explained, plan.request().methods(), all, p.backdrop(), overview, (System.nanoTime() - p.startNanos()) / 1e6,
                sequence);
    }

    @Override
    public void close() {
        try {
            if (detector != null) {
                detector.close();
            }
        } finally {
            synchronized (bySize) {
                bySize.values().forEach(x -> {
                    x.use().retired = true;
                    closeIfIdle(x);
                });
                bySize.clear();
            }
            explainer.close();
        }
    }
}
