package org.xgradcam.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.Explainer;
import org.xgradcam.image.Colormap;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Pictures;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.io.AtomicFiles;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.pipeline.Comparison;
import org.xgradcam.pipeline.Pipeline;
import org.xgradcam.pipeline.Request;
import org.xgradcam.validation.InputFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * A deployed model (fp16, int8) against its float original: the maps of both for the same class,
 * their difference, and whether the two agree, per image and over all of them.
 */
@Command(name = "compare", description = {"Compare a deployed model (fp16, int8) with its float original: both explain"
        + " the same class; per image a figure (each model's map and their difference) and the agreement (top class,"
        + " score correlation, map correlation); over all images a summary."})
public class CompareCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();

    @Mixin
    PreprocessingOptions preprocessing = new PreprocessingOptions();

    @Option(names = "--reference", required = true, paramLabel = "NAME|FILE",
            description = "The float original: a catalogue name or a model file (ONNX).")
    String reference;

    @Option(names = "--image-path", paramLabel = "IMAGE", description = "An image file or a folder of images (repeatable).")
    List<Path> imagePaths = new ArrayList<>();

    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "More images or folders.")
    List<Path> moreImages = new ArrayList<>();

    @Option(names = "--layer", paramLabel = "NAME", description = "The deployed model's layer (default: its default layer).")
    String layer;

    @Option(names = "--reference-layer", paramLabel = "NAME", description = "The original's layer (default: its default layer).")
    String referenceLayer;

    @Option(names = "--method", split = ",", paramLabel = "NAME", description = "Methods (default: gradcam,xgradcam).")
    List<String> methods = new ArrayList<>(Request.DEFAULT_METHODS);

    @Option(names = "--target-index", paramLabel = "CLASS",
            description = "Class both explain, by index or name (default: the deployed model's top class).")
    String target;

    @Option(names = "--output-dir", paramLabel = "DIR", description = "Where the figures and summary.json go (default: compare).")
    Path outputDir = Path.of("compare");

    @Override
    public Integer call() {
        common.validate();
        preprocessing.validate();
        List<Path> given = new ArrayList<>(imagePaths);
        given.addAll(moreImages);
        if (given.isEmpty()) {
            throw new XGradCamException("no image given: use --image-path IMAGE (or a folder)");
        }
        if (reference.isBlank()) {
            throw new XGradCamException("--reference is empty; give the float original as a catalogue name or an .onnx file");
        }
        List<CamMethod> camMethods = Request.methods(methods);
        List<InputImages.Item> files = InputImages.collect(given).items();
        OutputFolder.check(outputDir);
        ModelSpec deployedSpec = common.resolveModel();
        ModelSpec referenceSpec = DemoModel.resolve(reference, common.cache());
        Preprocessing pre = preprocessing.apply(deployedSpec.preprocessing());
        Explainer.Options options = Explainer.Options.defaults().withRuntime(common.runtime());
        Request request = Request.defaults().withMethods(camMethods).withTarget(target)
                .withPictures(true, Colormap.JET, false, false);
        Progress progress = new Progress(System.err, !common.quiet);
        FolderRun run = new FolderRun(System.err);
        List<Map<String, Object>> docs = new ArrayList<>();
        try (Pipeline deployed = Pipeline.open(deployedSpec, pre, options);
             Pipeline original = Pipeline.open(referenceSpec, preprocessing.apply(referenceSpec.preprocessing()), options)) {
            Comparison.requireComparable(deployed, original);
            Request forDeployed = layer == null ? request : request.withLayers(List.of(layer));
            List<String> referenceLayers = referenceLayer == null ? List.of() : List.of(referenceLayer);
            boolean batch = InputImages.collect(given).isBatch();
            progress.update("comparing", 0, files.size()); // the bar from the first second, not after the first image
            for (int i = 0; i < files.size(); i++) {
                run.attempt(files.get(i), item -> {
                    byte[] bytes = InputFiles.read(item.path(), "image", ImageLoader.MAX_FILE_BYTES);
                    Comparison c = Comparison.of(deployed, original, bytes, item.path().toString(), forDeployed,
                            referenceLayers, ImageLoader.MAX_PIXELS);
                    Path dir = batch ? outputDir.resolve(item.outputName()) : outputDir;
                    Map<String, Object> doc = c.toJson();
                    OutputFolder.Group group = new OutputFolder.Group(dir);
                    try {
                        group.write(dir.resolve("compare.png"), f -> Pictures.save(c.figure(), f));
                        group.write(dir.resolve("comparison.json"), Json.write(doc).getBytes(StandardCharsets.UTF_8));
                    } catch (RuntimeException ex) {
                        group.rollback();
                        throw ex;
                    }
                    progress.done();
                    System.out.println(line(c));
                    docs.add(doc);
                }, progress);
                progress.update("comparing", i + 1, files.size());
            }
        }
        progress.done();
        if (docs.isEmpty()) {
            throw new XGradCamException("none of the " + files.size() + " images could be compared; nothing written");
        }
        Map<String, Object> summary = summary(deployedSpec, referenceSpec, docs, camMethods);
        summary.put("failed", run.failed());
        AtomicFiles.write(outputDir.resolve("summary.json"), Json.write(summary).getBytes(StandardCharsets.UTF_8));
        System.out.println(summaryLine(summary, camMethods));
        return run.finish("compared");
    }

    /** One line per image: the class, whether the top classes agree, how the scores and maps correlate. */
    static String line(Comparison c) {
        StringBuilder s = new StringBuilder(c.image()).append(": ").append(c.deployed().first().name())
                .append(c.sameTopClass() ? "; same top class" : "; top classes differ (reference: "
                        + c.reference().classes().stream().findFirst().map(k -> k.name()).orElse("?") + ")")
                .append(String.format(Locale.ROOT, "; scores r=%.4f", c.scoreCorrelation()));
        for (CamMethod m : c.deployed().methods()) {
            Comparison.Agreement a = c.maps().get(m.id());
            if (a != null) {
                s.append(String.format(Locale.ROOT, "; %s maps r=%.3f |d|=%.3f", m.name(), a.pearson(), a.meanAbsoluteDifference()));
            }
        }
        return s.toString();
    }

    private static Map<String, Object> summary(ModelSpec deployed, ModelSpec reference, List<Map<String, Object>> docs,
                                               List<CamMethod> methods) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("deployed", deployed.name());
        s.put("reference", reference.name());
        s.put("images", docs.size());
        s.put("same_top_class", docs.stream().filter(d -> Boolean.TRUE.equals(d.get("same_top_class"))).count());
        s.put("score_correlation", stats(docs.stream().mapToDouble(d -> (Double) d.get("score_correlation")).toArray()));
        Map<String, Object> maps = new LinkedHashMap<>();
        for (CamMethod m : methods) {
            double[] r = docs.stream().map(d -> (Map<?, ?>) ((Map<?, ?>) d.get("maps")).get(m.id())).filter(v -> v != null)
                    .mapToDouble(v -> (Double) v.get("pearson")).toArray();
            if (r.length > 0) {
                maps.put(m.id(), Map.of("pearson", stats(r)));
            }
        }
        s.put("maps", maps);
        s.put("per_image", docs);
        return s;
    }

    private static Map<String, Object> stats(double[] v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mean", java.util.Arrays.stream(v).average().orElse(Double.NaN));
        m.put("min", java.util.Arrays.stream(v).min().orElse(Double.NaN));
        m.put("max", java.util.Arrays.stream(v).max().orElse(Double.NaN));
        return m;
    }

    @SuppressWarnings("unchecked")
    private String summaryLine(Map<String, Object> s, List<CamMethod> methods) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%d images: the same top class on %d; scores r=%.4f on"
                        + " average (min %.4f)", s.get("images"), s.get("same_top_class"),
                ((Map<String, Object>) s.get("score_correlation")).get("mean"),
                ((Map<String, Object>) s.get("score_correlation")).get("min")));
        Map<String, Object> maps = (Map<String, Object>) s.get("maps");
        for (CamMethod m : methods) {
            Map<String, Object> v = (Map<String, Object>) maps.get(m.id());
            if (v != null) {
                Map<String, Object> p = (Map<String, Object>) v.get("pearson");
                b.append(String.format(Locale.ROOT, "; %s maps r=%.3f on average (min %.3f)", m.name(), p.get("mean"), p.get("min")));
            }
        }
        return b.append("; wrote ").append(outputDir.resolve("summary.json")).toString();
    }
}
