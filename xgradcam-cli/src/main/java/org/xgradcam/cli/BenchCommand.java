package org.xgradcam.cli;

import org.xgradcam.models.ModelSpec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.PostProcess;
import org.xgradcam.cam.Target;
import org.xgradcam.autodiff.GradientBuilder;
import org.xgradcam.autodiff.GradientRequest;
import org.xgradcam.runtime.ForwardSession;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.validation.Check;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Times the augmented (forward + backward) run and each CAM method against a plain ONNX
 * Runtime forward of the original model, in the same process, interleaved, as medians: the
 * figures are ratios, comparable across machines.
 */
@Command(name = "bench", description = "Benchmark: augmented run and methods as a ratio to one plain forward pass.")
public class BenchCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--layer", paramLabel = "NAME", description = "Target layer (default: the default layer).")
    String layer;

    @Option(names = {"--batch-size", "--batch"}, defaultValue = "1", paramLabel = "N",
            description = "Images per run, 1 to " + MAX_BATCH + " (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--iterations", paramLabel = "N", description = "Timed runs per variant, 1 to 100000 (default: 20; with --folder, passes over the folder, default 1).")
    Integer iterations;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed runs first, 0 to 10000 (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = {"--method", "--methods"}, paramLabel = "NAME", split = ",",
            description = "Methods to time (repeatable or comma-separated; default: none, just the run).")
    List<String> methods = new ArrayList<>();

    static final int MAX_BATCH = 256;

    @Option(names = "--top-k", paramLabel = "K", description = "Also time Grad-CAM and XGrad-CAM for the K best classes of one image.")
    Integer topK;

    @Option(names = "--folder", paramLabel = "DIR",
            description = "Time a whole folder run instead: the explain command over the folder's images (decoding, the"
                    + " model, pictures written) against a plain forward of the same images at the same --batch-size.")
    java.nio.file.Path folder;

    @Option(names = "--no-figure", description = "With --folder: the folder run writes no compare.png.")
    boolean noFigure;

    @Option(names = "--no-pictures", description = "With --folder: the folder run writes no pictures, only the raw arrays"
            + " (--save-raw): what the pictures cost shows against a run with them.")
    boolean noPictures;

    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        try {
            return folder != null ? new FolderBench(this).run() : bench();
        } finally {
            for (AutoCloseable c : closeLater) {
                c.close();
            }
        }
    }

    private Integer bench() {
        common.validate();
        Check.range("--batch-size", batch, 1, MAX_BATCH);
        int iterations = this.iterations != null ? this.iterations : 20;
        Check.range("--iterations", iterations, 1, 100_000);
        Check.range("--warmup", warmup, 0, 10_000);
        List<CamMethod> timed = methods.stream().map(m -> Methods.byName(m.strip())).toList();
        ModelSpec spec = common.resolveModel();
        long[] one = LayersCommand.shape(spec);
        long[] shape = one.clone();
        shape[0] = batch;
        float[] data = new float[(int) FloatTensor.numel(shape)];
        Random rnd = new Random(1);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rnd.nextGaussian();
        }
        FloatTensor x = new FloatTensor(shape, data);
        try (Explainer e = Explainer.open(spec, Explainer.Options.defaults().withInputShape(one)
                .withRuntime(common.runtime()));
             ForwardSession plain = new ForwardSession(spec.model(), e.shapes().inputName(), common.runtime())) {
            // the plain forward alone first, before any other session exists: the figure the in-process
            // plain forward below must match, or sessions compete for the cores
            double[] alone = new double[iterations];
            for (int i = 0; i < warmup; i++) {
                plain.run(x);
            }
            for (int i = 0; i < iterations; i++) {
                long t = System.nanoTime();
                plain.run(x);
                alone[i] = (System.nanoTime() - t) / 1e6;
            }
            List<String> layers = layer == null ? List.of() : List.of(layer);
            String target = layer == null ? e.layers().requireDefault().tensor() : e.layers().resolve(layer).tensor();
            GradientSession augmented = new GradientSession(GradientBuilder.build(e.graph(), e.shapes(),
                    GradientRequest.of(List.of(target), e.layers().score())), common.runtime());
            closeLater.add(augmented);
            List<String> names = new ArrayList<>(List.of("plain forward", "augmented session (fwd + bwd)",
                    "Grad-CAM, whole explain call"));
            List<Runnable> variants = new ArrayList<>();
            variants.add(() -> plain.run(x));
            variants.add(() -> augmented.run(x, GradientSession.Seed.topClass()));
            Explainer.Request base = new Explainer.Request(List.of(Methods.byName("gradcam")), Target.topClass(), layers,
                    PostProcess.SEED, 0);
            variants.add(() -> e.explain(x, base));
            if (topK != null) {
                Check.range("--top-k", topK, 1, e.numClasses());
                FloatTensor first = x.dim(0) == 1 ? x : new FloatTensor(one, java.util.Arrays.copyOf(x.data(), (int) FloatTensor.numel(one)));
                Explainer.Request both = new Explainer.Request(List.of(Methods.byName("gradcam"), Methods.byName("xgradcam")),
                        Target.topClass(), layers, PostProcess.SEED, 0);
                names.add("Grad-CAM + XGrad-CAM, top-" + topK);
                variants.add(() -> e.explainTopK(first, topK, both));
            }
            for (CamMethod cm : timed) {
                names.add(cm.name());
                variants.add(() -> e.explain(x, new Explainer.Request(List.of(cm), Target.topClass(), layers, PostProcess.SEED, 0)));
            }
            for (Runnable r : variants) {
                for (int i = 0; i < warmup; i++) {
                    r.run();
                }
            }
            double[][] times = new double[variants.size()][iterations];
            for (int it = 0; it < iterations; it++) {
                for (int v = 0; v < variants.size(); v++) {
                    long t = System.nanoTime();
                    variants.get(v).run();
                    times[v][it] = (System.nanoTime() - t) / 1e6;
                }
            }
            double basis = median(times[0]);
            System.out.printf(Locale.ROOT, "model %s, input %s, layer %s, %d iterations, medians%n", spec.name(),
                    Arrays.toString(shape), layer == null ? e.layers().requireDefault().tensor() : layer, iterations);
            System.out.printf(Locale.ROOT, "%-32s %10.2f ms  %7.3fx%n", "plain forward, alone (before)", median(alone),
                    median(alone) / basis);
            for (int v = 0; v < variants.size(); v++) {
                double m = median(times[v]);
                System.out.printf(Locale.ROOT, "%-32s %10.2f ms  %7.3fx%n", names.get(v), m, m / basis);
            }
        }
        return 0;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
