package org.xgradcam.cli;

import org.xgradcam.models.ModelSpec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.CamResult;
import org.xgradcam.cam.Explainer;
import org.xgradcam.pipeline.ModelKind;
import org.xgradcam.pipeline.Pipeline;
import org.xgradcam.pipeline.Prepared;
import org.xgradcam.pipeline.Request;
import org.xgradcam.pipeline.Result;
import org.xgradcam.validation.InputFiles;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.Target;
import org.xgradcam.image.Colormap;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.image.RgbImage;
import org.xgradcam.io.AtomicFiles;
import org.xgradcam.metrics.Axioms;
import org.xgradcam.metrics.Box;
import org.xgradcam.metrics.Faithfulness;
import org.xgradcam.metrics.Localisation;
import org.xgradcam.metrics.SanityCheck;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.validation.Check;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs methods and metrics over a folder of images and writes results.csv (one row per image,
 * method and metric), summary.json (means) and report.html (tables, deletion/insertion curves,
 * thumbnails).
 */
@Command(name = "evaluate", description = "Measure how faithful maps are: metrics over a folder, with an HTML report.")
public class EvaluateCommand implements Callable<Integer> {
    static final List<String> ALL_METRICS = List.of("confidence", "deletion", "insertion", "road", "adcc", "arcc", "pointing",
            "energy", "localisation", "conservation", "sensitivity", "sanity");

    @Mixin
    CommonOptions common = new CommonOptions();

    @Mixin
    PreprocessingOptions preprocessing = new PreprocessingOptions();

    @Option(names = {"--images", "--image-path"}, required = true, paramLabel = "DIR", description = "Folder of images (or an image).")
    Path images;

    @Option(names = "--boxes", paramLabel = "FILE|DIR", description = "Ground truth: CSV file,class,x0,y0,x1,y1 or a folder of Pascal VOC XML.")
    Path boxes;

    @Option(names = {"--methods", "--method"}, split = ",", defaultValue = "gradcam,xgradcam", paramLabel = "NAME",
            description = "Methods, comma-separated or repeated (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--metrics", paramLabel = "NAME", split = ",", description = "Metrics (default: all that apply): ${COMPLETION-CANDIDATES}",
            completionCandidates = MetricNames.class)
    List<String> metrics;

    @Option(names = "--output-dir", paramLabel = "DIR", defaultValue = "evaluation", description = "Where results go (default: ${DEFAULT-VALUE}).")
    Path outputDir;

    @Option(names = "--layer", paramLabel = "NAME", description = "Target layer (default: the model's default).")
    String layer;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "At most this many images (0: all, the default).")
    int limit;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "25", description = "Steps of the deletion and insertion curves, 1 to " + MAX_STEPS + " (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--threshold", paramLabel = "F", defaultValue = "0.15", description = "Localisation: fraction of the map's maximum, 0 to 1 (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of ROAD's imputation noise and the sanity check.")
    long seed;

    /** Each step of a curve is one forward pass per image and method: beyond this, a run takes days. */
    static final int MAX_STEPS = 1000;

    static class MetricNames extends ArrayList<String> {
        MetricNames() {
            super(ALL_METRICS);
        }
    }

    @Override
    public Integer call() throws Exception {
        common.validate();
        preprocessing.validate();
        Check.range("--steps", steps, 1, MAX_STEPS);
        Check.range("--threshold", threshold, 0, 1);
        Check.range("--limit", limit, 0, Integer.MAX_VALUE);
        List<CamMethod> camMethods = methods.stream().map(m -> Methods.byName(m.strip())).toList();
        Set<String> chosen = new LinkedHashSet<>(metrics == null ? ALL_METRICS : metrics.stream().map(String::strip).toList());
        for (String m : chosen) {
            if (!ALL_METRICS.contains(m)) {
                throw new XGradCamException("unknown metric '" + m + "'; choose from " + String.join(", ", ALL_METRICS));
            }
        }
        List<InputImages.Item> files = InputImages.collect(List.of(images)).items();
        if (limit > 0 && files.size() > limit) {
            files = files.subList(0, limit);
        }
        OutputFolder.check(outputDir);
        return evaluate(camMethods, chosen, files);
    }

    private int evaluate(List<CamMethod> camMethods, Set<String> chosen, List<InputImages.Item> files) {
        ModelSpec spec = common.resolveModel();
        GroundTruth truth = boxes == null ? GroundTruth.none() : GroundTruth.load(boxes, spec.labels());
        if (boxes != null) {
            // boxes were given to be used: boxes that match nothing are a mistake to name, not an empty report
            if (truth.isEmpty()) {
                throw new XGradCamException("--boxes " + boxes + " holds no boxes (" + (Files.isDirectory(boxes)
                        ? "no Pascal VOC file in it has an <object>" : "it is empty, or only a header") + "); give lines"
                        + " file,class,x0,y0,x1,y1 (or VOC XML files), or leave out --boxes");
            }
            long matched = files.stream().filter(f -> !truth.of(f.path()).isEmpty()).count();
            if (matched == 0) {
                throw new XGradCamException("none of the " + truth.boxCount() + " boxes in " + boxes + " names an image of "
                        + images + " (the boxes name '" + truth.anyName() + "', ...); the first column (or the VOC file's"
                        + " name) must be the image's file name");
            }
            if (matched < files.size()) {
                System.err.println("xgradcam: note: " + (files.size() - matched) + " of " + files.size() + " images have no"
                        + " boxes in " + boxes + "; the localisation metrics leave them out");
            }
        } else {
            chosen.removeAll(List.of("pointing", "energy", "localisation"));
        }
        Preprocessing pre = preprocessing.apply(spec.preprocessing());
        long[] shape = LayersCommand.shape(pre);
        List<String[]> rows = new ArrayList<>();
        Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
        Map<String, List<double[]>> deletionCurves = new LinkedHashMap<>();
        Map<String, List<double[]>> insertionCurves = new LinkedHashMap<>();
        List<String> thumbnails = new ArrayList<>();
        Progress progress = new Progress(System.err, !common.quiet);
        FolderRun run = new FolderRun(System.err);
        String usedLayer;
        try (Pipeline p = Pipeline.open(spec, pre, Explainer.Options.defaults().withRuntime(common.runtime()))) {
            if (p.kind() != ModelKind.CLASSIFIER) {
                // the metrics ask how a class's probability moves as pixels go: a classifier's question
                throw new XGradCamException("evaluate scores classifiers (class scores [N, classes]); " + spec.name() + " is a "
                        + p.kind().id() + switch (p.kind()) {
                            case SEGMENTER -> " (it scores classes per pixel)";
                            case SEQUENCE -> " (it scores a class per step of a sequence)";
                            default -> " (it scores detections)";
                        } + ": explain it with 'xgradcam --model " + spec.name() + " --image-path IMAGE'" + switch (p.kind()) {
                            case SEGMENTER -> " (--target-index for a class)";
                            case SEQUENCE -> " (--step T for one step)";
                            default -> " (--box N for one detection)";
                        });
            }
            if (p.takesClips()) {
                // deletion, insertion, ROAD and the drops remove pixels of one still image
                throw new XGradCamException("evaluate measures maps over still images; " + spec.name() + " takes clips of "
                        + p.preprocessing().frames() + (p.preprocessing().channels() == 1 ? " slices" : " frames")
                        + ", which its metrics do not cover yet: explain a clip with 'xgradcam --model " + spec.name()
                        + " --image-path CLIP' (an animated GIF, a folder of frames or a .npy volume)");
            }
            Explainer e = p.explainer();
            usedLayer = layer == null ? e.layers().requireDefault().tensor() : e.layers().resolve(layer).tensor();
            Faithfulness f = new Faithfulness(e);
            Explainer randomised = chosen.contains("sanity") ? Explainer.open(SanityCheck.randomiseHead(spec.model(),
                    usedLayer, seed), Explainer.Options.defaults().withInputShape(shape).withRuntime(common.runtime())) : null;
            try {
                progress.update("evaluating", 0, files.size()); // the bar from the first second, not after the first image
                for (int i = 0; i < files.size(); i++) {
                    final int index = i;
                    run.attempt(files.get(i), item -> {
                    Path file = item.path();
                    // this image's rows, merged only once all of it is computed: a failure leaves no partial rows
                    List<String[]> myRows = new ArrayList<>();
                    Map<String, Map<String, List<Double>>> myValues = new LinkedHashMap<>();
                    Map<String, List<double[]>> myDeletion = new LinkedHashMap<>();
                    Map<String, List<double[]>> myInsertion = new LinkedHashMap<>();
                    Prepared in = p.prepare(InputFiles.read(file, "image", ImageLoader.MAX_FILE_BYTES), file.toString(), false,
                            ImageLoader.MAX_PIXELS);
                    RgbImage fitted = in.backdrop();
                    FloatTensor x = in.x();
                    List<Box> gt = scaleBoxes(truth.of(file), in.original(), pre);
                    Request request = Request.defaults().withMethods(camMethods).withLayers(List.of(usedLayer))
                            .withTarget(gt.isEmpty() ? null : Integer.toString(gt.get(0).classIndex())).withNoise(seed, false, false)
                            .withPictures(thumbnails.size() < 8, Colormap.JET, false, false);
                    Result result = p.explain(in, p.plan(request));
                    Explanation ex = result.first().explanation();
                    Explainer.Request req = p.plan(request).engine();
                    int cls = ex.classIndex();
                    List<Box> classBoxes = gt.stream().filter(b -> b.classIndex() == cls).toList();
                    float[] seedRow = new float[ex.logits().length];
                    seedRow[cls] = 1;
                    StringBuilder thumbRow = new StringBuilder();
                    for (CamMethod m : camMethods) {
                        CamResult r = ex.result(m.id());
                        if (r.map() == null) {
                            continue;
                        }
                        float[] map = r.map().data();
                        Map<String, Double> v = new LinkedHashMap<>();
                        if (chosen.contains("confidence")) {
                            Faithfulness.Confidence c = f.confidence(x, map, cls);
                            v.put("average_drop_percent", c.averageDropPercent());
                            v.put("increase_in_confidence", c.increase());
                            v.put("pgc_drop_in_confidence", c.dropInConfidence());
                            v.put("pgc_confidence_change", c.change());
                        }
                        int step = Math.max(1, map.length / steps);
                        if (chosen.contains("deletion")) {
                            Faithfulness.Curve c = f.deletion(x, map, cls, step);
                            v.put("deletion_auc", c.auc());
                            myDeletion.computeIfAbsent(m.name(), k -> new ArrayList<>()).add(c.scores());
                        }
                        if (chosen.contains("insertion")) {
                            Faithfulness.Curve c = f.insertion(x, map, cls, step);
                            v.put("insertion_auc", c.auc());
                            myInsertion.computeIfAbsent(m.name(), k -> new ArrayList<>()).add(c.scores());
                        }
                        if (chosen.contains("road")) {
                            var road = f.road(x, map, cls, new double[] {10, 30, 50, 70, 90}, seed + index);
                            v.put("road_morf_mean", road.stream().mapToDouble(Faithfulness.Road::mostRelevantFirst).average().orElse(0));
                            v.put("road_lerf_mean", road.stream().mapToDouble(Faithfulness.Road::leastRelevantFirst).average().orElse(0));
                            v.put("road_combined", Faithfulness.roadCombined(road));
                        }
                        // coherency's map of the image times the map: ADCC and ARCC share it
                        float[] mapOfMasked = chosen.contains("adcc") || chosen.contains("arcc")
                                ? e.explain(Faithfulness.masked(x, map), req.withTarget(Target.classes(cls))).get(0)
                                        .result(m.id()).map().data() : null;
                        if (chosen.contains("adcc")) {
                            Faithfulness.Confidence c = chosen.contains("confidence") ? null : f.confidence(x, map, cls);
                            double drop = (c != null ? c.averageDropPercent() : v.get("average_drop_percent")) / 100;
                            v.put("adcc", Faithfulness.adcc(map, mapOfMasked, drop));
                        }
                        if (chosen.contains("arcc")) {
                            // as pytorch-grad-cam's ARCC with its own test's targets: ROAD on the class logit
                            var road = f.road(x, map, cls, new double[] {80, 60, 40, 20}, 0.01, seed + index,
                                    Faithfulness.Score.LOGIT);
                            Faithfulness.Arcc a = Faithfulness.arcc(map, mapOfMasked, Faithfulness.roadCombined(road));
                            v.put("arcc_complexity", a.complexity());
                            v.put("arcc_coherency", a.coherency());
                            v.put("arcc_road_logit", a.road());
                            v.put("arcc", a.arcc());
                        }
                        int w = fitted.width();
                        if (!classBoxes.isEmpty()) {
                            if (chosen.contains("pointing")) {
                                v.put("pointing_game", Localisation.pointingGameHit(map, w, classBoxes) ? 1.0 : 0.0);
                            }
                            if (chosen.contains("energy")) {
                                v.put("energy_pointing_game", Localisation.energyPointingGame(map, w, classBoxes));
                            }
                            if (chosen.contains("localisation")) {
                                v.put("localisation_error", Localisation.localised(map, w, classBoxes, threshold) ? 0.0 : 1.0);
                            }
                        }
                        CamResult.LayerResult lr = r.layers().isEmpty() ? null : r.layers().get(0);
                        if (lr != null && chosen.contains("conservation")) {
                            v.put("conservation_residual", Axioms.conservation(ex.logits()[cls], lr.raw()));
                        }
                        if (lr != null && lr.weights() != null && chosen.contains("sensitivity") && e.layers().isCut(usedLayer)) {
                            v.put("sensitivity_residual", Axioms.sensitivity(e, usedLayer, ex.activations(),
                                    lr.weights().data(), ex.logits()[cls], seedRow, 64));
                        }
                        if (randomised != null) {
                            Explanation rx = randomised.explain(x, req.withTarget(Target.classes(cls))).get(0);
                            v.put("sanity_spearman", Faithfulness.spearman(map, rx.result(m.id()).map().data()));
                        }
                        for (var kv : v.entrySet()) {
                            myRows.add(new String[] {file.getFileName().toString(), m.id(), spec.labels().name(cls), kv.getKey(),
                                    String.format(Locale.ROOT, "%.6g", kv.getValue())});
                            myValues.computeIfAbsent(m.id(), k -> new LinkedHashMap<>())
                                    .computeIfAbsent(kv.getKey(), k -> new ArrayList<>()).add(kv.getValue());
                        }
                        if (thumbnails.size() < 8) {
                            thumbRow.append("<td><img src=\"data:image/png;base64,")
                                    .append(png(result.first().pictures().get(m.id()).overlay())).append("\"></td>");
                        }
                    }
                    rows.addAll(myRows);
                    myValues.forEach((m, mv) -> mv.forEach((k, v) -> values.computeIfAbsent(m, k2 -> new LinkedHashMap<>())
                            .computeIfAbsent(k, k2 -> new ArrayList<>()).addAll(v)));
                    myDeletion.forEach((m, c) -> deletionCurves.computeIfAbsent(m, k2 -> new ArrayList<>()).addAll(c));
                    myInsertion.forEach((m, c) -> insertionCurves.computeIfAbsent(m, k2 -> new ArrayList<>()).addAll(c));
                    if (thumbnails.size() < 8) {
                        thumbnails.add("<tr><td>" + html(file.getFileName().toString()) + "<br>" + html(spec.labels().name(cls))
                                + "</td><td><img src=\"data:image/png;base64," + png(fitted) + "\"></td>" + thumbRow + "</tr>");
                    }
                    }, progress);
                    progress.update("evaluating", i + 1, files.size());
                }
            } finally {
                if (randomised != null) {
                    randomised.close();
                }
            }
        }
        progress.done();
        if (run.done() == 0) {
            throw new XGradCamException("none of the " + files.size() + " images could be evaluated; nothing written");
        }
        if (rows.isEmpty()) {
            throw new XGradCamException("no metric could be computed on the " + run.done() + " images (" + String.join(", ",
                    chosen) + (boxes != null ? ": the localisation metrics need a box of the explained class" : "")
                    + "); nothing written");
        }
        writeCsv(rows);
        Map<String, Object> summary = summary(spec, usedLayer, run.done(), values);
        summary.put("failed", run.failed());
        AtomicFiles.write(outputDir.resolve("summary.json"), Json.write(summary).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(outputDir.resolve("report.html"), report(spec, usedLayer, run.done(), values, deletionCurves,
                insertionCurves, thumbnails, camMethods).getBytes(StandardCharsets.UTF_8));
        System.out.println("wrote " + outputDir.resolve("results.csv") + ", " + outputDir.resolve("summary.json") + ", "
                + outputDir.resolve("report.html"));
        return run.finish("evaluated");
    }

    /** Boxes from the image's pixels to the fitted input's. */
    static List<Box> scaleBoxes(List<Box> in, RgbImage img, Preprocessing p) {
        List<Box> out = new ArrayList<>();
        for (Box b : in) {
            double sx;
            double sy;
            double ox = 0;
            double oy = 0;
            if (p.resize() == Preprocessing.ResizeMode.DIRECT) {
                sx = (double) p.width() / img.width();
                sy = (double) p.height() / img.height();
            } else {
                double s = (double) p.shorterSide() / Math.min(img.width(), img.height());
                sx = s;
                sy = s;
                ox = (Math.max(p.width(), Math.round(img.width() * s)) - p.width()) / 2;
                oy = (Math.max(p.height(), Math.round(img.height() * s)) - p.height()) / 2;
            }
            out.add(new Box(b.classIndex(), (int) Math.floor(b.x0() * sx - ox), (int) Math.floor(b.y0() * sy - oy),
                    (int) Math.ceil(b.x1() * sx - ox), (int) Math.ceil(b.y1() * sy - oy)));
        }
        return out;
    }

    private void writeCsv(List<String[]> rows) {
        StringBuilder sb = new StringBuilder("image,method,class,metric,value\n");
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                String v = r[i];
                sb.append(i == 0 ? "" : ",").append(v.contains(",") || v.contains("\"") ? "\"" + v.replace("\"", "\"\"") + "\"" : v);
            }
            sb.append('\n');
        }
        AtomicFiles.write(outputDir.resolve("results.csv"), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static Map<String, Object> summary(ModelSpec spec, String layer, int n, Map<String, Map<String, List<Double>>> values) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", spec.name());
        root.put("layer", layer);
        root.put("images", n);
        Map<String, String> names = new LinkedHashMap<>();
        values.keySet().forEach(id -> names.put(id, org.xgradcam.cam.Methods.byName(id).name()));
        root.put("methods", names); // ids are the keys, as in results.csv; names for display
        Map<String, Object> methods = new LinkedHashMap<>();
        values.forEach((m, metrics) -> {
            Map<String, Object> mm = new LinkedHashMap<>();
            metrics.forEach((k, v) -> mm.put(k, mean(v)));
            methods.put(m, mm);
        });
        root.put("means", methods);
        return root;
    }

    private static String png(RgbImage img) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img.toBufferedImage(), "png", out);
            return Base64.getEncoder().encodeToString(out.toByteArray());
        } catch (java.io.IOException e) {
            throw new XGradCamException("cannot encode a thumbnail: " + e.getMessage(), e);
        }
    }

    static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String[] COLOURS = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

    /** The mean curve of each method as an SVG line plot over [0, 1] x [0, 1]. */
    static String plot(String title, Map<String, List<double[]>> curves) {
        int w = 480;
        int h = 220;
        int pad = 46;
        int legend = 130; // room on the right for the method names
        StringBuilder sb = new StringBuilder("<figure><svg width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h
                + "\" role=\"img\" aria-label=\"" + html(title) + "\">");
        sb.append("<rect x=\"").append(pad).append("\" y=\"10\" width=\"").append(w - pad - 10 - legend).append("\" height=\"")
                .append(h - pad - 10).append("\" fill=\"none\" stroke=\"#999\"/>");
        sb.append("<text x=\"").append((w - legend) / 2).append("\" y=\"").append(h - 6).append("\" text-anchor=\"middle\" font-size=\"11\">fraction of pixels</text>");
        sb.append("<text x=\"12\" y=\"").append(h / 2).append("\" font-size=\"11\" transform=\"rotate(-90 12 ").append(h / 2)
                .append(")\" text-anchor=\"middle\">class probability</text>");
        // tick values: 0 to 1 on both axes, every 0.25
        int plotW = w - pad - 10 - legend;
        int plotH = h - pad - 10;
        for (int t = 0; t <= 4; t++) {
            double f = t / 4.0;
            double tx = pad + plotW * f;
            double ty = 10 + plotH * (1 - f);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>", tx, 10 + plotH,
                    tx, 14 + plotH));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">%.2f</text>", tx,
                    24 + plotH, f));
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999\"/>", pad - 4, ty,
                    pad, ty));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">%.2f</text>", pad - 6,
                    ty + 3, f));
        }
        int c = 0;
        for (var e : curves.entrySet()) {
            double[] mean = new double[e.getValue().get(0).length];
            for (double[] cur : e.getValue()) {
                for (int i = 0; i < mean.length && i < cur.length; i++) {
                    mean[i] += cur[i] / e.getValue().size();
                }
            }
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < mean.length; i++) {
                double px = pad + (w - pad - 10 - legend) * (mean.length == 1 ? 0 : (double) i / (mean.length - 1));
                double py = 10 + (h - pad - 10) * (1 - Math.max(0, Math.min(1, mean[i])));
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
            }
            String colour = COLOURS[c % COLOURS.length];
            sb.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"")
                    .append(pts).append("\"/>");
            sb.append("<text x=\"").append(w - legend + 4).append("\" y=\"").append(26 + 14 * c).append("\" font-size=\"11\" fill=\"")
                    .append(colour).append("\">").append(html(e.getKey())).append("</text>");
            c++;
        }
        return sb.append("</svg><figcaption>").append(html(title)).append("</figcaption></figure>").toString();
    }

    static String report(ModelSpec spec, String layer, int n, Map<String, Map<String, List<Double>>> values,
                                 Map<String, List<double[]>> deletion, Map<String, List<double[]>> insertion,
                                 List<String> thumbnails, List<CamMethod> methods) {
        StringBuilder sb = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>xgradcam evaluation</title>"
                + "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
                + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}"
                + "figure{display:inline-block;margin:0 1em 1em 0}img{width:96px;height:96px;image-rendering:pixelated}"
                + ".best{font-weight:bold;background:#eef7ee}</style></head><body>");
        sb.append("<h1>xgradcam evaluation</h1><p>Model <b>").append(html(spec.name())).append("</b>, layer <code>")
                .append(html(layer)).append("</code>, ").append(n).append(" images. Means over images.</p>");
        Set<String> metricNames = new LinkedHashSet<>();
        values.values().forEach(m -> metricNames.addAll(m.keySet()));
        sb.append("<table><tr><th>metric</th>");
        for (String m : values.keySet()) {
            sb.append("<th>").append(html(org.xgradcam.cam.Methods.byName(m).name())).append("</th>");
        }
        sb.append("<th>better</th></tr>");
        for (String metric : metricNames) {
            MetricInfo info = MetricInfo.of(metric);
            // the best as printed, marked only where one method alone has it (no winner on a tie)
            java.util.List<String> shown = new java.util.ArrayList<>();
            for (var mv : values.values()) {
                shown.add(mv.containsKey(metric) ? String.format(Locale.ROOT, "%.4f", mean(mv.get(metric))) : null);
            }
            String best = null;
            for (String v : shown) {
                if (v != null && info.better() != MetricInfo.Better.NEITHER && (best == null
                        || (info.better() == MetricInfo.Better.HIGHER) == (Double.parseDouble(v) > Double.parseDouble(best)))) {
                    best = v;
                }
            }
            String winner = best;
            boolean alone = best != null && shown.stream().filter(winner::equals).count() == 1 && values.size() > 1;
            sb.append("<tr><td>").append(html(metric)).append("</td>");
            for (String v : shown) {
                sb.append(v == null ? "<td>-</td>" : "<td" + (alone && v.equals(best) ? " class=\"best\"" : "") + ">" + v + "</td>");
            }
            sb.append("<td>").append(switch (info.better()) {
                case HIGHER -> "higher";
                case LOWER -> "lower";
                case NEITHER -> "";
            }).append("</td></tr>");
        }
        sb.append("</table>");
        if (!deletion.isEmpty()) {
            sb.append(plot("Deletion: probability as the most relevant pixels are removed (lower is better)", deletion));
        }
        if (!insertion.isEmpty()) {
            sb.append(plot("Insertion: probability as the most relevant pixels are restored (higher is better)", insertion));
        }
        sb.append("<h2>Maps</h2><table><tr><th>image</th><th>input</th>");
        for (CamMethod m : methods) {
            sb.append("<th>").append(html(m.name())).append("</th>");
        }
        sb.append("</tr>");
        thumbnails.forEach(sb::append);
        sb.append("</table><h2>What the metrics mean</h2><p>Y is the probability of the class explained for the image,"
                + " O for the image multiplied by the map; maps are in [0, 1] at the input size. The best mean of a row is"
                + " marked where one method alone has it.</p><table><tr><th>metric</th><th>definition</th><th>better</th></tr>");
        for (String metric : metricNames) {
            MetricInfo info = MetricInfo.of(metric);
            sb.append("<tr><td>").append(html(metric)).append("</td><td style=\"text-align:left\">").append(html(info.definition()))
                    .append("</td><td>").append(info.better().name().toLowerCase(Locale.ROOT)).append("</td></tr>");
        }
        sb.append("</table></body></html>");
        return sb.toString();
    }
}
