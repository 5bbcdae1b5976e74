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
    private final long[] scoreShape;
    private final PixelClasses perPixel;
    private final SequenceHead sequence;

    private Pipeline(ModelSpec spec, Preprocessing pre, Explainer explainer, SelectingDetector detector) {
        this.spec = spec;
        this.pre = pre;
        this.explainer = explainer;
        this.detector = detector;
        this.scoreShape = explainer.shapes().shape(explainer.layers().score());
        boolean sequential = detector == null && SequenceHead.recognises(explainer.graph(), explainer.layers().score(), scoreShape);
        this.kind = detector != null ? ModelKind.SELECTING_DETECTOR : sequential ? ModelKind.SEQUENCE
                : scoreShape.length == 3 ? ModelKind.DETECTION_HEAD : scoreShape.length == 4 ? ModelKind.SEGMENTER : ModelKind.CLASSIFIER;
        this.perPixel = kind == ModelKind.SEGMENTER ? new PixelClasses(scoreShape) : null;
        this.sequence = kind == ModelKind.SEQUENCE ? new SequenceHead(scoreShape, spec.labels()) : null;
    }

    /**
     * Opens a model with the preprocessing its images get (its input shape follows it) and the
     * engine's options (runtime, perturbation batch, token layout); the input shape in
     * {@code options} is replaced by the preprocessing's.
     */
    public static Pipeline open(ModelSpec spec, Preprocessing pre, Explainer.Options options) {
        long[] shape = pre.nhwc() ? new long[] {1, pre.height(), pre.width(), 3} : new long[] {1, 3, pre.height(), pre.width()};
        Explainer.Options o = options.withInputShape(shape);
        Explainer e = Explainer.open(spec, o);
        SelectingDetector d = null;
        try {
            d = SelectingDetector.accepts(spec) ? new SelectingDetector(spec, o) : null;
            return new Pipeline(spec, pre, e, d);
        } catch (RuntimeException ex) {
            if (d != null) {
                d.close();
            }
            e.close();
            throw ex;
        }
    }

    /** A model with its own preprocessing and the default engine options. */
    public static Pipeline open(ModelSpec spec) {
        return open(spec, spec.preprocessing(), Explainer.Options.defaults());
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
        return perPixel != null ? perPixel.classes() : sequence != null ? sequence.classes() : kind == ModelKind.DETECTION_HEAD || kind == ModelKind.SELECTING_DETECTOR
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
        if (spec.origin() == ModelSpec.Origin.DEFAULT && kind == ModelKind.CLASSIFIER
                && pre.describe().equals(spec.preprocessing().describe())) {
            // a silent default answers wrongly for most models trained with torchvision: say it once
            notes.add(spec.name() + " says nothing of its preprocessing, so the original tool's is used (a direct resize to "
                    + pre.width() + "x" + pre.height() + ", OpenCV bilinear, [0, 1], ImageNet mean and std); a model trained"
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
            throw new XGradCamException(spec.name() + " is a sequence model (" + sequence.steps() + " steps of " + sequence.classes()
                    + " classes): it explains its decoded text, or one step (--step T, with a target class for another"
                    + " class at that step); " + (r.topK() != null ? "top-k" : "a target class alone") + " has no meaning here");
        }
        if (r.step() != null && r.step() >= sequence.steps()) {
            throw new XGradCamException("step " + r.step() + " is out of range: " + spec.name() + "'s sequence has "
                    + sequence.steps() + " steps (0.." + (sequence.steps() - 1) + ")");
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
            long[] head = scoreShape.clone();
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
        Integer target = r.target() == null ? null : sequence != null ? sequence.classOf(r.target())
                : ClassChoice.resolve(r.target(), spec.labels(), classes(),
                perPixel != null ? "classes per pixel" : "classes");
        Explainer.Request engine = new Explainer.Request(r.methods(), target == null ? Target.topClass() : Target.classes(target),
                layers, r.convention(), r.seed(), r.eigenSmooth(), r.augSmooth());
        return new Plan(r, engine, target, List.copyOf(layers), layout, List.copyOf(notes));
    }

    /** An image file's bytes, decoded (a damaged one refused unless accepted) and preprocessed. */
    public Prepared prepare(byte[] bytes, String name, boolean acceptDamaged, long maxPixels) {
        long start = System.nanoTime();
        ImageLoader.Decoded d = ImageLoader.decode(bytes, name, acceptDamaged, maxPixels);
        List<String> warnings = new ArrayList<>();
        if (d.damaged()) {
            warnings.add(name + " is damaged (" + ImageLoader.summary(d.warnings()) + "); explained anyway, as asked");
        }
        RgbImage fitted = pre.fit(d.image());
        return new Prepared(name, pre.toTensor(fitted), fitted, d.image(), warnings, start);
    }

    /** A decoded image, preprocessed. */
    public Prepared prepare(RgbImage image, String name) {
        long start = System.nanoTime();
        RgbImage fitted = pre.fit(image);
        return new Prepared(name, pre.toTensor(fitted), fitted, image, List.of(), start);
    }

    /**
     * A preprocessed tensor (one image, with or without its batch axis); the picture behind its
     * maps is the preprocessing undone.
     */
    public Prepared prepare(FloatTensor x, String name) {
        long start = System.nanoTime();
        long[] want = explainer.inputShape();
        if (x.rank() == want.length - 1 && want[0] == 1) {
            long[] batched = new long[want.length];
            batched[0] = 1;
            System.arraycopy(x.shape(), 0, batched, 1, x.rank());
            x = new FloatTensor(batched, x.data());
        }
        if (!java.util.Arrays.equals(x.shape(), want)) {
            throw new XGradCamException(name + " has shape " + java.util.Arrays.toString(x.shape()) + ", but the model takes "
                    + java.util.Arrays.toString(want) + " (float32, one image)");
        }
        return new Prepared(name, x, pre.undo(x), null, List.of(), start);
    }

    /** Whether images can go through the model together under this plan (a classifier's class, no top-k). */
    public boolean batchable(Plan plan) {
        return kind == ModelKind.CLASSIFIER && plan.request().topK() == null && !explainer.oneImagePerRun();
    }

    /** Several images explained in one model run (see {@link #batchable}); a failure is the batch's. */
    public List<Result> explainBatch(List<Prepared> images, Plan plan) {
        if (images.size() == 1 || !batchable(plan)) {
            return images.stream().map(p -> explain(p, plan)).toList();
        }
        FloatTensor batch = FloatTensor.stack(images.stream().map(p -> p.x().row(0)).toList());
        List<Explanation> es = explainer.explain(batch, plan.engine());
        List<Result> out = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Prepared p = images.get(i);
            out.add(classified(p, plan, List.of(es.get(i)), List.of()));
        }
        return out;
    }

    /** Explains one prepared image as its model's kind asks. */
    public Result explain(Prepared p, Plan plan) {
        return switch (kind) {
            case CLASSIFIER -> {
                Integer k = plan.request().topK();
                List<Explanation> es = k != null ? explainer.explainTopK(p.x(), k, plan.engine())
                        : List.of(explainer.explain(p.x(), plan.engine()).get(0));
                yield classified(p, plan, es, List.of());
            }
            case SEGMENTER -> segmented(p, plan);
            case DETECTION_HEAD -> headDetections(p, plan);
            case SEQUENCE -> sequenced(p, plan);
            case SELECTING_DETECTOR -> selectedDetections(p, plan);
        };
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
            explained.add(explained(ranked ? r + 1 : null, null, e, p.backdrop(), null, plan, p.original()));
        }
        return result(p, plan, top, List.of(), List.of(), 0, explained, warnings, null);
    }

    private Result segmented(Prepared p, Plan plan) {
        Labels labels = spec.labels();
        int[] winners = perPixel.winners(explainer.logits(p.x()).data());
        double[] shares = perPixel.shares(winners);
        int cls = plan.targetIndex() != null ? plan.targetIndex() : perPixel.ranked(shares, 1)[0];
        List<String> warnings = new ArrayList<>();
        if (shares[cls] == 0) {
            warnings.add("class " + cls + " (" + labels.name(cls) + ") wins no pixel of " + p.name()
                    + "; its scores are explained over the whole image");
        }
        Explanation e = explainer.explain(p.x(), plan.engine().withTarget(perPixel.target(winners, cls))).get(0);
        List<Result.Segment> segments = new ArrayList<>();
        for (int c : perPixel.ranked(shares, 5)) {
            segments.add(new Result.Segment(c, labels.name(c), labels.wordNetId(c), shares[c]));
        }
        return result(p, plan, List.of(), segments, List.of(), 0,
                List.of(explained(null, null, e, p.backdrop(), null, plan, p.original())), warnings, null);
    }

    /** A sequence model: its decoded text explained as a whole, or one step's class. */
    private Result sequenced(Prepared p, Plan plan) {
        float[] scores = explainer.logits(p.x()).data();
        List<SequenceHead.Symbol> decoded = sequence.decode(scores);
        Integer step = plan.request().step();
        List<String> warnings = new ArrayList<>();
        if (decoded.isEmpty() && step == null) {
            warnings.add("the model decodes no text from " + p.name() + " (every step's best class is the blank); every step's"
                    + " best score is explained");
        }
        Explanation e = explainer.explain(p.x(), plan.engine().withTarget(sequence.target(scores, decoded, step,
                plan.targetIndex()))).get(0);
        Result.Explained x = explained(null, null, e, p.backdrop(), null, plan, p.original());
        String what = step != null ? sequence.symbol(e.classIndex()) : SequenceHead.text(decoded);
        double score = step != null ? scores[step * sequence.classes() + e.classIndex()] : e.score();
        x = new Result.Explained(null, null, step != null ? e.classIndex() : -1, what, null, score, e, x.backdrop(), x.pictures());
        return result(p, plan, List.of(), List.of(), List.of(), 0, List.of(x), warnings, null,
                new Result.Sequence(SequenceHead.text(decoded), decoded, step));
    }

    private Result headDetections(Prepared p, Plan plan) {
        long[] head = scoreShape.clone();
        head[0] = 1;
        FloatTensor raw = explainer.logits(p.x());
        List<Detection> all = DenseHead.decode(raw, plan.layout(), plan.request().scoreThreshold(), 0.45);
        return detections(p, plan, all, all.isEmpty() ? "(and check the preprocessing: YOLO exports take [0, 1] values,"
                + " mean 0 and std 1)" : "", d -> explainer.explain(p.x(), plan.engine().withTarget(DenseHead.target(d,
                plan.layout(), head))).get(0));
    }

    private Result selectedDetections(Prepared p, Plan plan) {
        List<Detection> found = detector.detect(p.x());
        List<Detection> all = found.stream().filter(d -> d.score() > plan.request().scoreThreshold()).toList();
        String hint = found.isEmpty() ? "(the model found none)" : all.isEmpty() ? String.format(Locale.ROOT,
                "(the model gave %d, the best scoring %.3f)", found.size(), found.get(0).score()) : "";
        if (all.isEmpty()) {
            return detections(p, plan, all, hint, null);
        }
        try (Explainer perImage = detector.explainerFor(p.x(), found)) {
            return detections(p, plan, all, hint, d -> perImage.explain(p.x(), plan.engine().withTarget(
                    SelectingDetector.target(d, found.size()))).get(0));
        }
    }

    /** Kept detections (the first max), the chosen ones explained, with pictures on request. */
    private Result detections(Prepared p, Plan plan, List<Detection> all, String hint,
                              java.util.function.Function<Detection, Explanation> explain) {
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
            found.add(new Result.Found(i, d, labels.name(d.label()), labels.wordNetId(d.label())));
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
        int done = 0;
        for (int i : chosen) {
            Detection d = kept.get(i);
            Explanation e = explain.apply(d);
            if (chosen.size() > 1) {
                explainer.options().progress().step("detections", ++done, chosen.size());
            }
            explained.add(explained(null, i, e, r.pictures() ? Boxes.outline(p.backdrop(), d.x0(), d.y0(), d.x1(), d.y1())
                    : p.backdrop(), d, plan));
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
            overview = Boxes.draw(p.backdrop(), drawn, classes);
        }
        return result(p, plan, List.of(), List.of(), found, leftOut, explained, warnings, overview);
    }

    /** One explained thing, with its pictures per method when asked for. */
    private Result.Explained explained(Integer rank, Integer detection, Explanation e, RgbImage backdrop, Detection box,
                                       Plan plan) {
        return explained(rank, detection, e, backdrop, box, plan, null);
    }

    /** As above, with the photo the input came from (null: none), for the pictures over it. */
    private Result.Explained explained(Integer rank, Integer detection, Explanation e, RgbImage backdrop, Detection box,
                                       Plan plan, RgbImage photo) {
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
                            && pre.resize() == Preprocessing.ResizeMode.DIRECT)) {
                        onPhoto = Overlay.onPhoto(photo, cr.map().data(), backdrop.width(), backdrop.height(),
                                pre.seenRegion(photo.width(), photo.height()), r.blend(), r.colormap());
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
        return new Result(p.name(), spec.name(), kind, plan.layers(), pre.describe(), classes, segments, detections, leftOut,
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
            explainer.close();
        }
    }
}
