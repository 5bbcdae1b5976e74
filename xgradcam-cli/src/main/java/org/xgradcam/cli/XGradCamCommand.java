package org.xgradcam.cli;

import org.xgradcam.models.ModelSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.CamResult;
import org.xgradcam.cam.Explainer;
import org.xgradcam.pipeline.Pipeline;
import org.xgradcam.pipeline.Request;
import org.xgradcam.pipeline.Result;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.PostProcess;
import org.xgradcam.image.Colormap;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Overlay;
import org.xgradcam.image.Pictures;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.image.RgbImage;
import org.xgradcam.io.Npy;
import org.xgradcam.runtime.Sessions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.validation.Check;
import org.xgradcam.validation.InputFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * xgradcam: explains an image classifier's prediction with class activation maps. Without a
 * subcommand it does what XGrad-CAM.py does: writes cam.jpg (Grad-CAM) and X_cam.jpg
 * (XGrad-CAM) and prints the class of interest.
 */
@Command(name = "xgradcam", mixinStandardHelpOptions = true, version = "xgradcam 0.1.0", scope = CommandLine.ScopeType.INHERIT,
        description = "Class activation maps (XGrad-CAM, Grad-CAM and 23 more) for image models in ONNX: classifiers,"
                + " vision transformers, detectors, segmenters; fp32, fp16 or int8 as shipped.",
        subcommands = {LayersCommand.class, MethodsCommand.class, ProofCommand.class, ModelsCommand.class,
                BenchCommand.class, EvaluateCommand.class, CompareCommand.class, ServeCommand.class, CommandLine.HelpCommand.class},
        sortOptions = false)
public class XGradCamCommand implements Callable<Integer> {
    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff");

    @Option(names = "--image-path", paramLabel = "IMAGE", description = "An image file or a folder of images (repeatable).")
    List<Path> imagePaths = new ArrayList<>();

    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "More images or folders.")
    List<Path> moreImages = new ArrayList<>();

    @Option(names = "--target-index", paramLabel = "CLASS",
            description = "Class to explain, by index or by name (\"Rhodesian ridgeback\", \"n02087394\"); default: the top class.")
    String targetClass;

    @Option(names = "--top-k", paramLabel = "K", description = "Explain the K best classes, each in a folder RANK-CLASS, from one"
            + " forward pass (the graph after the layer runs batched over the classes).")
    Integer topK;

    @Option(names = "--score-threshold", paramLabel = "T", defaultValue = "0.25",
            description = "Raw detection heads: explain the detections scoring above T, after class-aware NMS (default: ${DEFAULT-VALUE}).")
    double scoreThreshold;

    @Option(names = "--head-layout", paramLabel = "L", description = "Raw detection heads: attributes-first ([1, 4+K, N],"
            + " YOLOv8) or anchors-first ([1, N, 5+K], YOLOv5/v7/X); by default told from the shape (the shorter axis"
            + " holds the attributes).")
    String headLayout;

    @Option(names = "--renormalize", description = "Detections: also write each map renormalised inside its box"
            + " (<method>_in_box.jpg, as pytorch-grad-cam's renormalize_cam_in_bounding_boxes).")
    boolean renormalize;

    @Option(names = "--box", paramLabel = "N", description = "Detectors: explain only the N-th detection (0-based, in score order).")
    Integer box;

    @Option(names = "--step", paramLabel = "T", description = "Sequence models (text recognisers): explain step T's class"
            + " (its best, or --target-index) instead of the decoded text.")
    Integer step;

    @Option(names = "--max-detections", paramLabel = "N", description = "Detectors: keep (and explain) at most the N best"
            + " detections above the threshold; how many more there were is said (default: " + Request.DEFAULT_MAX_DETECTIONS + ").")
    int maxDetections = Request.DEFAULT_MAX_DETECTIONS;

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--layer", paramLabel = "NAME", description = "Target layer, tensor or node name (repeatable; default: the last feature map). See 'xgradcam layers'.")
    List<String> layers = new ArrayList<>();

    @Option(names = {"--method", "--methods"}, paramLabel = "NAME", split = ",",
            description = "CAM method (repeatable or comma-separated; default: gradcam and xgradcam). See 'xgradcam methods'.")
    List<String> methods = new ArrayList<>();

    @Option(names = "--postprocess", paramLabel = "seed|pytorch-grad-cam|torch-cam", defaultValue = "seed",
            description = "Map post-processing convention (default: ${DEFAULT-VALUE}); torch-cam also uses its Score-CAM masks.")
    String postprocess;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Random seed of the methods that draw noise (SS-CAM, Smooth Grad-CAM++, Random-CAM; default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--samples", paramLabel = "N",
            description = "Noise samples of Smooth Grad-CAM++, 1 to 1000 (default: torch-cam's 4).")
    Integer samples;

    @Option(names = "--noise-std", paramLabel = "STD",
            description = "Noise standard deviation of Smooth Grad-CAM++ on the input tensor (default: torch-cam's 0.3).")
    Double noiseStd;

    @Option(names = "--output-dir", paramLabel = "DIR", defaultValue = ".", description = "Where pictures go (default: the current folder).")
    Path outputDir;

    @Option(names = "--colormap", paramLabel = "jet|turbo|viridis|inferno", defaultValue = "jet", description = "jet (as the original), turbo, viridis or inferno.")
    String colormap;

    @Option(names = "--overlay", defaultValue = "add", paramLabel = "add|blend",
            description = "add: heat map + image, rescaled (the original's); blend: 50%% alpha blend.")
    String overlay;

    @Option(names = "--no-figure", description = "Do not write the side-by-side comparison figure.")
    boolean noFigure;

    @Option(names = "--no-pictures", description = "Write no pictures (neither the maps over the image nor the figure):"
            + " with --save-raw only the .npy files, with --json only the summary.")
    boolean noPictures;

    @Option(names = "--overwrite", description = "In a folder run, explain every image again, even those a previous run"
            + " with the same options finished (by default they are skipped).")
    boolean overwrite;

    @Option(names = "--json", description = "Print JSON lines on stdout: one object per image (image, class, score, top-5,"
            + " timings; error for an image that failed).")
    boolean json;

    @Option(names = "--save-raw", description = "Also write the raw numbers as .npy: logits, activations, gradients, weights, maps.")
    boolean saveRaw;

    @Option(names = "--input-tensor", paramLabel = "FILE.npy", description = "Explain this preprocessed float32 tensor (NCHW) instead of an image.")
    Path inputTensor;

    @Mixin
    PreprocessingOptions preprocessing = new PreprocessingOptions();

    @Mixin
    TokenOptions tokens = new TokenOptions();

    @Option(names = "--allow-damaged", description = "Explain damaged or truncated images anyway (a warning on stderr and in --json) instead of refusing them.")
    boolean allowDamaged;

    @Option(names = "--eigen-smooth", description = "Maps from the first principal component of the weighted activations.")
    boolean eigenSmooth;

    @Option(names = "--aug-smooth", description = "Average over horizontal flip x brightness 0.9, 1.0 and 1.1 (6 runs).")
    boolean augSmooth;

    @Option(names = {"--batch-size", "--batch"}, paramLabel = "N",
            description = "Images per model run in a folder run (default 1: each image's numbers exactly as when it is"
                    + " explained alone; batched runs differ in the last float digits), and perturbed copies per run of"
                    + " Score-CAM and Ablation-CAM (default 32); 1 to 4096.")
    Integer batchSize;

    /** Perturbation passes per run when --batch-size is not given. */
    static final int PERTURBATION_BATCH = 32;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Exit code: the input or the machine is at fault (the message says which, and the way out). */
    public static final int EXIT_ERROR = 1;
    /** Exit code: the command line itself is wrong. */
    public static final int EXIT_USAGE = 2;
    /** Exit code: a bug in xgradcam. */
    public static final int EXIT_INTERNAL = 3;
    /** Exit code: the Java heap was too small. */
    public static final int EXIT_OUT_OF_MEMORY = 4;

    /**
     * Runs the command line; errors are one line on stderr and a non-zero exit code: 1 for bad
     * input or a fault of the machine, 2 for a bad command line, 3 for an internal error, 4 when
     * memory ran out, 5 when some images of a folder run failed (each reported on its own line).
     */
    static final String BARE_USAGE = """
            Usage: xgradcam --image-path IMAGE [--model NAME|FILE] [--target-index CLASS] [options]
                     explain an image (or a folder of them): cam.jpg, X_cam.jpg, compare.png
                   xgradcam COMMAND [options]
                     layers, methods, models, compare, evaluate, proof, serve, bench
            Try:   xgradcam --image-path examples/star-and-circle.png
            More:  xgradcam --help, xgradcam help COMMAND
            """;

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new XGradCamCommand());
        HelpLayout.install(cl);
        // a name the locale cannot encode is refused with the way out (every Path option of every command)
        cl.registerConverter(Path.class, s -> {
            try {
                return Path.of(s);
            } catch (java.nio.file.InvalidPathException e) {
                throw new CommandLine.TypeConversionException(org.xgradcam.validation.PathNames.unusable(s));
            }
        });
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> report(cmd.getErr(), e));
        cl.setParameterExceptionHandler((e, a) -> {
            List<String> near = e instanceof CommandLine.UnmatchedArgumentException u ? u.getSuggestions() : List.of();
            e.getCommandLine().getErr().println("xgradcam: error: " + oneLine(e.getMessage())
                    + (near.isEmpty() ? "" : "; did you mean " + String.join(" or ", near.subList(0, Math.min(3, near.size()))) + "?")
                    + " (see --help)");
            return EXIT_USAGE;
        });
        if (args.length == 0) {
            // a bare call: what to type, not an error about a missing image
            cl.getErr().print(BARE_USAGE);
            cl.getErr().flush();
            return EXIT_USAGE;
        }
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) {
            return report(cl.getErr(), e);
        }
    }

    private static int report(PrintWriter err, Throwable t) {
        if (t instanceof XGradCamException || t instanceof CommandLine.ParameterException) {
            err.println("xgradcam: error: " + oneLine(t instanceof XGradCamException x ? Words.of(x) : t.getMessage()));
            return t instanceof CommandLine.ParameterException ? EXIT_USAGE : EXIT_ERROR;
        }
        if (t instanceof java.nio.file.InvalidPathException ip) {
            err.println("xgradcam: error: " + oneLine(org.xgradcam.validation.PathNames.unusable(ip.getInput())));
            return EXIT_ERROR;
        }
        if (t instanceof OutOfMemoryError) {
            err.println("xgradcam: error: out of memory (the Java heap limit is " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MB); give Java more, e.g. java -Xmx8g -jar xgradcam.jar ..., or use smaller inputs");
            return EXIT_OUT_OF_MEMORY;
        }
        err.println("xgradcam: internal error: " + oneLine(String.valueOf(t)) + " (please report it"
                + (System.getenv("XGRADCAM_TRACE") == null ? "; XGRADCAM_TRACE=1 prints where it happened)" : ")"));
        if (System.getenv("XGRADCAM_TRACE") != null) {
            t.printStackTrace(err);
        }
        return EXIT_INTERNAL;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    @Override
    public Integer call() throws IOException {
        common.validate();
        preprocessing.validate();
        tokens.layout();
        if (batchSize != null) {
            Check.range("--batch-size", batchSize, 1, Explainer.Options.MAX_BATCH);
        }
        List<Path> given = Stream.concat(imagePaths.stream(), moreImages.stream()).toList();
        if (inputTensor != null && !given.isEmpty()) {
            throw new XGradCamException("give either --image-path or --input-tensor, not both: the tensor would be explained"
                    + " and the image ignored");
        }
        if (noPictures && !saveRaw && !json) {
            throw new XGradCamException("--no-pictures leaves nothing to write; add --save-raw (the .npy files) or --json"
                    + " (the summary), or drop --no-pictures");
        }
        if (topK != null && targetClass != null) {
            throw new XGradCamException("give either --top-k or --target-index, not both");
        }
        if (topK != null) {
            Check.range("--top-k", topK, 1, 1000);
        }
        if (given.isEmpty() && inputTensor == null) {
            throw new XGradCamException("no image given: use --image-path IMAGE (or a folder), or --input-tensor FILE.npy");
        }
        PostProcess convention = PostProcess.parse(postprocess);
        Colormap cmap = Colormap.parse(colormap);
        if (!overlay.equals("add") && !overlay.equals("blend")) {
            throw new XGradCamException("unknown overlay '" + overlay + "'; use add or blend");
        }
        List<CamMethod> camMethods = new ArrayList<>();
        if (samples != null) {
            Check.range("--samples", samples, 1, 1000);
        }
        if (noiseStd != null) {
            Check.range("--noise-std", noiseStd, 0, 100);
        }
        for (String m : methods.isEmpty() ? List.of("gradcam", "xgradcam") : methods) {
            CamMethod cm = Methods.byName(m.strip());
            if (cm instanceof org.xgradcam.cam.methods.SmoothGradCamPlusPlus && (samples != null || noiseStd != null)) {
                cm = org.xgradcam.cam.methods.SmoothGradCamPlusPlus.of(samples != null ? samples : 4,
                        noiseStd != null ? noiseStd.floatValue() : 0.3f);
            }
            final CamMethod chosen = cm;
            if (camMethods.stream().noneMatch(x -> x.id().equals(chosen.id()))) {
                camMethods.add(chosen);
            }
        }
        if (inputTensor != null) {
            InputFiles.requireRegularFile(inputTensor, "--input-tensor");
        }
        OutputFolder.check(outputDir);
        return explainAll(given, convention, cmap, camMethods);
    }

    private int explainAll(List<Path> given, PostProcess convention, Colormap cmap, List<CamMethod> camMethods) {
        Sessions.setNoteSink(msg -> System.err.println("xgradcam: note: " + msg));
        long t0 = System.nanoTime();
        ModelSpec spec = common.resolveModel();
        Preprocessing pre = preprocessing.apply(spec.preprocessing());
        // images, or for a model of clips each path one clip (a GIF, a .npy, a folder of frames)
        InputImages inputs = inputTensor != null ? null : pre.isClip() ? InputImages.clips(given) : InputImages.collect(given);
        boolean batch = inputs != null && inputs.isBatch();
        int total = inputs == null ? 1 : inputs.items().size();
        Progress progress = new Progress(System.err, !common.quiet && total > 1);
        FolderRun run = new FolderRun(System.err);
        // one image: the perturbation methods' progress inside it, once it has taken a second
        Progress work = Progress.afterDelay(System.err, !common.quiet && total == 1, 1_000_000_000L);
        Explainer.Options options = Explainer.Options.defaults().withRuntime(common.runtime())
                .withBatchSize(batchSize != null ? batchSize : PERTURBATION_BATCH).withTokenLayout(tokens.layout())
                .withProgress(total == 1 ? (what, done, all) -> {
                    work.update(what, done, all);
                    if (done >= all) {
                        work.done(); // a line per method, ended before anything is printed after it
                    }
                } : null);
        try (Pipeline pipeline = Pipeline.open(spec, pre, options, Pipeline.Sizing.of(spec, preprocessing.overrides()))) {
            pipeline.notes().forEach(n -> System.err.println("xgradcam: note: " + n));
            Request request = new Request(camMethods, layers, targetClass, topK, scoreThreshold, maxDetections, box, headLayout,
                    convention, seed, eigenSmooth, augSmooth, !noPictures, cmap, overlay.equals("blend"), renormalize, step);
            Pipeline.Plan plan = pipeline.plan(request); // layers and target checked before any image is read
            plan.notes().forEach(n -> System.err.println("xgradcam: note: " + n));
            double loadMs = (System.nanoTime() - t0) / 1e6;
            Map<String, Object> shared = new LinkedHashMap<>();
            shared.put("model", spec.name());
            shared.put("postprocess", convention.id());
            shared.put("preprocessing", pre.describe());
            shared.put("load_ms", loadMs);
            JsonLines lines = new JsonLines(json, shared);
            run.onFailure(lines::failed);
            Context c = new Context(pipeline, plan, batch, lines, fingerprint(spec, pre, plan));
            if (inputs == null || !batch) {
                try {
                    explainOne(c, inputs == null ? new InputImages.Item(inputTensor, inputTensor.getFileName().toString())
                            : inputs.items().get(0));
                } finally {
                    work.done();
                }
            } else {
                pipelined(c, inputs.items(), run, progress);
            }
            progress.done();
        }
        return run.finish("explained", batch ? " into " + outputDir + " (a folder per image)" : null);
    }

    /** What every image of a run shares. */
    private record Context(Pipeline pipeline, Pipeline.Plan plan, boolean batch, JsonLines summaries, String fingerprint) {
        ModelSpec spec() {
            return pipeline.spec();
        }
    }

    /**
     * --json: one line per image, printed as soon as the image is done (so a long folder run can be
     * followed and memory stays flat): what the run shares, then the image's own summary; an image
     * that failed is a line with its error, one explained by an earlier run is marked resumed.
     */
    private record JsonLines(boolean on, Map<String, Object> shared) {
        void add(Object summary) {
            if (!on) {
                return;
            }
            if (summary instanceof Json.Raw raw) {
                // kept from the run that explained it: its own line, marked
                Map<String, Object> head = new LinkedHashMap<>(shared);
                head.put("resumed", true);
                String h = Json.line(head);
                String own = Json.line(raw).substring(1);
                System.out.println(h.substring(0, h.length() - 1) + (own.equals("}") ? "" : ",") + own);
                return;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> own = (Map<String, Object>) summary;
            Map<String, Object> line = new LinkedHashMap<>(shared);
            line.putAll(own); // the image's own values where both say something
            System.out.println(Json.line(line));
        }

        void failed(String image, String error) {
            if (on) {
                Map<String, Object> m = new LinkedHashMap<>(shared);
                m.put("image", image);
                m.put("error", error);
                System.out.println(Json.line(m));
            }
        }
    }

    /** Marks an image's output folder as complete, for resumed folder runs: written last, atomically. */
    static final String DONE = ".xgradcam-done";

    /** Everything that decides an image's outputs besides the image itself. */
    private String fingerprint(ModelSpec spec, Preprocessing pre, Pipeline.Plan plan) {
        StringBuilder b = new StringBuilder("xgradcam 2\n");
        b.append("model ").append(spec.name()).append(' ').append(spec.model().source()).append(' ')
                .append(spec.model().proto().getSerializedSize()).append('\n');
        plan.request().methods().forEach(m -> b.append("method ").append(m.id()).append(' ').append(m.cost()).append('\n'));
        b.append("layers ").append(plan.layers()).append("\npost ").append(plan.request().convention().id()).append("\npre ")
                .append(pre.describe()).append("\ntarget ").append(plan.targetIndex()).append("\ncolormap ")
                .append(colormap).append(' ').append(overlay).append("\nfigure ").append(!noFigure).append(" pictures ")
                .append(!noPictures).append(" raw ").append(saveRaw).append(" top ").append(topK).append(" boxes ")
                .append(scoreThreshold).append(' ').append(maxDetections).append(' ').append(box).append(' ').append(renormalize)
                .append("\nseed ").append(seed).append(' ').append(samples).append(' ').append(noiseStd).append(" smooth ")
                .append(eigenSmooth).append(' ').append(augSmooth).append(" damaged ").append(allowDamaged).append('\n');
        return b.toString();
    }

    /** The key of one image's outputs: its bytes and the run's options. */
    private static String doneKey(byte[] image, String fingerprint) {
        java.security.MessageDigest md = keyDigest(fingerprint);
        md.update(image);
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    /** The digest a resume key is made of, the run's options in it; the input's files follow. */
    private static java.security.MessageDigest keyDigest(String fingerprint) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(fingerprint.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return md;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A previous run's record for this image and these options, or null: [class line, summary JSON]. */
    private String[] finishedBefore(Context c, InputImages.Item item, String key) {
        Path done = outputDir.resolve(item.outputName()).resolve(DONE);
        try {
            if (!java.nio.file.Files.isRegularFile(done)) {
                return null;
            }
            String[] lines = java.nio.file.Files.readString(done).split("\n", 3);
            return lines.length == 3 && lines[0].equals(key) ? new String[] {lines[1], lines[2]} : null;
        } catch (IOException | RuntimeException e) {
            return null; // unreadable: explain it again
        }
    }

    /**
     * A folder run as a pipeline: the next images are decoded and preprocessed on a thread of
     * their own while the model runs, and each image's pictures are rendered, encoded and written
     * on another while the model runs on the next; with --batch-size N a classifier's images go
     * through the model N at a time (one forward and backward for them all). Queues of one batch
     * ahead and one behind keep memory flat. Outputs, lines and the JSON keep the input order, and
     * each image is still done or reported on its own.
     */
    private void pipelined(Context c, List<InputImages.Item> items, FolderRun run, Progress progress) {
        java.util.concurrent.ThreadFactory daemons = r -> {
            Thread t = new Thread(r, "xgradcam-pipeline");
            t.setDaemon(true);
            return t;
        };
        java.util.concurrent.ExecutorService decoder = java.util.concurrent.Executors.newSingleThreadExecutor(daemons);
        java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor(daemons);
        try {
            int perRun = imagesPerRun(c);
            int ahead = perRun + 1;
            List<java.util.concurrent.Future<Prepared>> prepared = new ArrayList<>();
            List<java.util.concurrent.Future<?>> writes = new ArrayList<>();
            List<InputImages.Item> written = new ArrayList<>();
            for (int start = 0; start < items.size(); start += perRun) {
                int end = Math.min(items.size(), start + perRun);
                while (prepared.size() < Math.min(items.size(), end + ahead)) {
                    InputImages.Item it = items.get(prepared.size());
                    prepared.add(decoder.submit(() -> prepare(c, it)));
                }
                // the batch's images: decoded, or the failure, reported in its turn below
                List<InputImages.Item> chunk = new ArrayList<>(items.subList(start, end));
                List<Prepared> ready = new ArrayList<>();
                List<Throwable> failures = new ArrayList<>();
                for (int i = start; i < end; i++) {
                    java.util.concurrent.Future<Prepared> mine = prepared.get(i);
                    prepared.set(i, null);
                    try {
                        ready.add(await(mine));
                        failures.add(null);
                    } catch (Exception | OutOfMemoryError e) {
                        ready.add(null);
                        failures.add(e);
                    }
                }
                List<Result> computed = computeAll(c, chunk, ready, failures);
                // the previous batch's writes end before this one's start: one batch behind at most
                awaitWrites(written, writes, run, progress);
                // each image's pictures, or its failure, in input order on the writing thread
                for (int i = 0; i < chunk.size(); i++) {
                    InputImages.Item item = chunk.get(i);
                    Prepared p = ready.get(i);
                    Result k = computed.get(i);
                    Throwable failure = failures.get(i);
                    writes.add(writer.submit(() -> {
                        if (failure instanceof Exception e) {
                            throw e;
                        }
                        if (failure instanceof Error e) {
                            throw e;
                        }
                        finish(c, item, p, k);
                        return null;
                    }));
                    written.add(item);
                }
                progress.update("explaining", end, items.size());
            }
            awaitWrites(written, writes, run, progress);
        } finally {
            decoder.shutdownNow();
            writer.shutdownNow();
        }
    }

    /** Each image's last stage, awaited in input order and counted (or reported) by the run; the lists emptied. */
    private static void awaitWrites(List<InputImages.Item> written, List<java.util.concurrent.Future<?>> writes, FolderRun run,
                                    Progress progress) {
        for (int w = 0; w < writes.size(); w++) {
            final java.util.concurrent.Future<?> f = writes.get(w);
            run.attempt(written.get(w), item -> await(f), progress);
        }
        writes.clear();
        written.clear();
    }

    /**
     * Images per model run: --batch-size where the pipeline can put several through one run (a
     * classifier explained for its top or a given class); one for everything else.
     */
    private int imagesPerRun(Context c) {
        return batchSize != null && c.pipeline().batchable(c.plan()) ? batchSize : 1;
    }

    /**
     * The results for a batch of prepared images, in order (null where an image was done before
     * or failed; a failure is recorded in {@code failures}): one run for all that need it when
     * there are several; if that run fails, each image on its own, so that a failure is the image's.
     */
    private List<Result> computeAll(Context c, List<InputImages.Item> chunk, List<Prepared> ready, List<Throwable> failures) {
        List<Result> out = new ArrayList<>(java.util.Collections.nCopies(chunk.size(), (Result) null));
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
            if (ready.get(i) != null && ready.get(i).before() == null) {
                todo.add(i);
            }
        }
        if (todo.size() > 1) {
            try {
                List<Result> rs = c.pipeline().explainBatch(todo.stream().map(i -> ready.get(i).image()).toList(), c.plan());
                for (int j = 0; j < todo.size(); j++) {
                    out.set(todo.get(j), rs.get(j));
                }
                return out;
            } catch (XGradCamException | OutOfMemoryError e) {
                if (e instanceof XGradCamException x && org.xgradcam.validation.IoErrors.isEnvironmental(x)) {
                    throw x;
                }
                // one by one below: each image's own error, or its result
            }
        }
        for (int i : todo) {
            try {
                out.set(i, compute(c, ready.get(i)));
            } catch (Exception | OutOfMemoryError e) {
                failures.set(i, e);
            }
        }
        return out;
    }

    /** The result of a stage on another thread, its failure rethrown as it was. */
    private static <T> T await(java.util.concurrent.Future<T> f) throws Exception {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /**
     * An image ready for the model (the pipeline's), with its resume key; or, in a resumed folder
     * run, what a previous run recorded for it (then nothing runs).
     */
    private record Prepared(org.xgradcam.pipeline.Prepared image, String key, String[] before) {}

    private void explainOne(Context c, InputImages.Item item) {
        Prepared p = prepare(c, item);
        finish(c, item, p, compute(c, p));
    }

    private Prepared prepare(Context c, InputImages.Item item) {
        String label = item.path().toString();
        if (inputTensor != null) {
            return new Prepared(c.pipeline().prepare(Npy.read(inputTensor), "--input-tensor " + inputTensor), null, null);
        }
        if (c.pipeline().takesClips()) {
            return prepareClip(c, item, label);
        }
        // the file read once: its bytes are both the resume key and the picture
        byte[] bytes = org.xgradcam.validation.InputFiles.read(item.path(), "image", ImageLoader.MAX_FILE_BYTES);
        String key = null;
        if (c.batch()) {
            key = doneKey(bytes, c.fingerprint());
            String[] before = overwrite ? null : finishedBefore(c, item, key);
            if (before != null) {
                return new Prepared(null, key, before);
            }
        }
        return new Prepared(c.pipeline().prepare(bytes, label, allowDamaged, ImageLoader.MAX_PIXELS), key, null);
    }

    /**
     * A clip for a model of clips: a folder's frames (its images in name order), a .npy tensor (a
     * preprocessed clip, or a grey volume [D, H, W]), or an image file's frames (an animated GIF's;
     * a still image is one frame). The resume key covers every file of it.
     */
    private Prepared prepareClip(Context c, InputImages.Item item, String label) {
        java.security.MessageDigest all = keyDigest(c.fingerprint());
        org.xgradcam.pipeline.Prepared image;
        if (java.nio.file.Files.isDirectory(item.path())) {
            List<Path> files = InputImages.framesOf(item.path());
            List<RgbImage> frames = new ArrayList<>();
            List<String> damaged = new ArrayList<>();
            for (Path f : files) {
                byte[] bytes = org.xgradcam.validation.InputFiles.read(f, "frame", ImageLoader.MAX_FILE_BYTES);
                all.update(bytes);
                org.xgradcam.video.Frames.Decoded in = org.xgradcam.video.Frames.decode(bytes, f.toString(), allowDamaged,
                        ImageLoader.MAX_PIXELS);
                if (in.frames().size() > 1) {
                    throw new XGradCamException(f + " is an animated GIF (" + in.frames().size() + " frames) in the clip folder "
                            + item.path() + ": a folder is one clip of still frames; name each GIF as a clip of its own");
                }
                frames.add(in.frames().get(0));
                damaged.addAll(org.xgradcam.pipeline.Pipeline.damagedWarning(f.toString(), in.damaged(), in.warnings()));
            }
            image = c.pipeline().prepareClip(frames, label, damaged);
        } else {
            byte[] bytes = org.xgradcam.validation.InputFiles.read(item.path(), "clip", ImageLoader.MAX_FILE_BYTES);
            all.update(bytes);
            image = item.path().getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")
                    ? c.pipeline().prepare(Npy.read(item.path()), label)
                    : c.pipeline().prepare(bytes, label, allowDamaged, ImageLoader.MAX_PIXELS);
        }
        String key = null;
        if (c.batch()) {
            key = java.util.HexFormat.of().formatHex(all.digest());
            String[] before = overwrite ? null : finishedBefore(c, item, key);
            if (before != null) {
                return new Prepared(null, key, before);
            }
        }
        return new Prepared(image, key, null);
    }

    private Result compute(Context c, Prepared p) {
        return p.before() != null ? null : c.pipeline().explain(p.image(), c.plan());
    }

    private void finish(Context c, InputImages.Item item, Prepared p, Result r) {
        String label = item.path().toString();
        if (p.before() != null) {
            if (!json) {
                System.out.println(label + ": " + p.before()[0] + " (done before, skipped)");
            }
            c.summaries().add(new Json.Raw(p.before()[1]));
            return;
        }
        if (r.kind().detects() && r.explained().isEmpty()) {
            // nothing to explain in this image: its warning says why, and how to find some
            throw new XGradCamException(label + ": " + (r.warnings().isEmpty() ? "no detection to explain"
                    : r.warnings().get(r.warnings().size() - 1)));
        }
        r.warnings().forEach(w -> System.err.println("xgradcam: warning: " + w));
        Path dir = c.batch() ? outputDir.resolve(item.outputName()) : outputDir;
        Map<String, Object> summary = r.toJson();
        summary.put("image", label);
        List<Map<String, Object>> layerInfo = null;
        List<Path> written = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (Result.Explained e : r.explained()) {
            Path at = e.rank() != null && topK != null ? dir.resolve(e.rank() + "-" + folderName(e.name()))
                    : e.detection() != null ? dir.resolve("box-" + e.detection()) : dir;
            List<Map<String, Object>> info = writeOutputs(at, e, r, c, files, p.image());
            layerInfo = layerInfo == null ? info : layerInfo;
            written.add(at);
        }
        if (r.overview() != null && !noPictures) {
            // every detection listed, at a glance: boxes in their class's colour, labelled with number, name and score
            OutputFolder.Group group = new OutputFolder.Group(dir);
            try {
                group.write(dir.resolve("detections.jpg"), f -> Pictures.save(r.overview(), f));
            } catch (RuntimeException ex) {
                group.rollback();
                throw ex;
            }
            files.add(dir.resolve("detections.jpg"));
        }
        summary.put("layers", layerInfo);
        summary.put("outputs", dir.toString());
        outputsOf(summary, "top_k", written, r);
        if (r.kind().detects()) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> dets = (List<Map<String, Object>>) summary.get("detections");
            for (int j = 0; j < r.explained().size(); j++) {
                dets.get(r.explained().get(j).detection()).put("outputs", written.get(j).toString());
            }
        }
        if (!json) {
            String prefix = c.batch() ? label + ": " : "";
            if (r.kind().detects()) {
                for (Result.Found f : r.detections()) {
                    var d = f.detection();
                    System.out.printf(Locale.ROOT, "%sdetection %d: %s %.3f [%.1f, %.1f, %.1f, %.1f]%n", prefix, f.index(),
                            f.name(), d.score(), d.x0(), d.y0(), d.x1(), d.y1());
                }
            } else {
                System.out.println(prefix + headline(r, c));
                for (int k = 1; k < r.explained().size(); k++) {
                    System.out.println(prefix + "top " + (k + 1) + ": " + c.spec().labels().line(r.explained().get(k).classIndex()));
                }
            }
            if (!c.batch() && !files.isEmpty()) {
                // where the files went (a folder run says it once, at its end)
                Path base = dir.toAbsolutePath().normalize();
                List<String> names = files.stream().map(f -> base.relativize(f.toAbsolutePath().normalize()).toString()).toList();
                System.err.println("xgradcam: wrote " + (names.size() > 8 ? String.join(", ", names.subList(0, 8)) + " and "
                        + (names.size() - 8) + " more" : String.join(", ", names)) + " in "
                        + (base.equals(Path.of("").toAbsolutePath().normalize()) ? "the current folder" : dir));
            }
        }
        c.summaries().add(summary);
        if (p.key() != null) {
            // last, and atomically: a folder holding it holds every output of this image
            String line = r.kind().detects() ? r.detections().size() + " detection(s)" : headline(r, c);
            org.xgradcam.io.AtomicFiles.write(dir.resolve(DONE), (p.key() + "\n" + line + "\n" + Json.write(summary))
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** What was explained, in one line: the class of interest, or a sequence model's text (or step). */
    private static String headline(Result r, Context c) {
        if (r.kind() == org.xgradcam.pipeline.ModelKind.SEQUENCE && r.sequence() != null) {
            Result.Sequence q = r.sequence();
            return q.step() == null ? "text: \"" + q.text() + "\" (" + q.symbols().size() + " symbol(s), explained as a whole)"
                    : "step " + q.step() + ": \"" + r.first().name() + "\" (class " + r.first().classIndex() + ") of the text \""
                    + q.text() + "\"";
        }
        return "class of interest: " + c.spec().labels().line(r.first().classIndex());
    }

    /** Each ranked class's folder in the summary's top_k entries. */
    @SuppressWarnings("unchecked")
    private static void outputsOf(Map<String, Object> summary, String key, List<Path> written, Result r) {
        if (summary.get(key) instanceof List<?> entries) {
            for (int i = 0; i < entries.size() && i < written.size(); i++) {
                ((Map<String, Object>) entries.get(i)).put("outputs", written.get(i).toString());
            }
        }
    }

    /** A class name as a folder name: "2-Egyptian_cat" (letters, digits, dots and dashes kept). */
    static String folderName(String name) {
        String safe = name.replaceAll("[^\\p{L}\\p{N}._-]+", "_").replaceAll("^[_.]+|_+$", "");
        if (safe.length() > 60) {
            safe = safe.substring(0, 60);
        }
        return safe.isEmpty() ? "class" : safe;
    }

    /** cam.jpg and X_cam.jpg as the original names them; other methods by id. */
    static String pictureName(CamMethod m) {
        return switch (m.id()) {
            case "gradcam" -> "cam.jpg";
            case "xgradcam" -> "X_cam.jpg";
            case "cam" -> "classactivationmap.jpg"; // cam.jpg is Grad-CAM's, as the original names it
            default -> m.id() + ".jpg";
        };
    }

    /**
     * Writes one explained thing's files as one group (each atomically): its pictures (rendered
     * by the pipeline), the comparison figure, and with --save-raw its arrays; if a file cannot
     * be written, the ones written so far are removed again. Returns what the JSON says of each layer.
     */
    private List<Map<String, Object>> writeOutputs(Path dir, Result.Explained ex, Result r, Context c, List<Path> written,
                                                   org.xgradcam.pipeline.Prepared image) {
        Explanation e = ex.explanation();
        Map<Path, RgbImage> pictures = new LinkedHashMap<>();
        Map<Path, FloatTensor> arrays = new LinkedHashMap<>();
        Map<Path, List<RgbImage>> animations = new LinkedHashMap<>();
        List<Pictures.Panel> panels = new ArrayList<>();
        String cls = ex.name();
        int frames = c.pipeline().preprocessing().frames();
        // a clip's pictures: its frames as a contact sheet, 4 a row (the maps' strip cut apart)
        java.util.function.UnaryOperator<RgbImage> shown = img -> frames > 1
                ? org.xgradcam.video.Frames.sheet(img, frames, CLIP_COLUMNS) : img;
        panels.add(new Pictures.Panel(shown.apply(ex.backdrop()), frames > 1 ? (frames + " frames") : "image", cls));
        boolean several = e.layers().size() > 1;
        List<Map<String, Object>> layerInfo = new ArrayList<>();
        for (int i = 0; i < e.layers().size(); i++) {
            Explanation.LayerArrays la = e.layers().get(i);
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("name", la.layer());
            info.put("shape", java.util.Arrays.stream(la.activations().shape()).boxed().toList());
            if (saveRaw) {
                // the first layer's arrays at the top (as for one layer); every layer's in a folder of its own when several
                Path at = several ? dir.resolve("layers").resolve(rawFolder(i, la.layer())) : dir;
                info.put("raw", several ? dir.relativize(at).toString() : ".");
                arrays.put(at.resolve("activations.npy"), la.activations());
                if (la.gradients() != null) { // none when only gradient-free methods ran on a model without a backward
                    arrays.put(at.resolve("gradients.npy"), la.gradients());
                }
                if (several && i == 0) {
                    arrays.put(dir.resolve("activations.npy"), la.activations());
                    if (la.gradients() != null) {
                        arrays.put(dir.resolve("gradients.npy"), la.gradients());
                    }
                }
            }
            layerInfo.add(info);
        }
        for (CamMethod m : r.methods()) {
            CamResult cr = e.result(m.id());
            Result.Pictures pic = ex.pictures().get(m.id());
            if (pic != null) {
                pictures.put(dir.resolve(pictureName(m)), shown.apply(pic.overlay()));
                if (frames > 1) {
                    // a clip's map: the strip above, each frame (or a volume's slice) on its own, and an animated GIF
                    List<RgbImage> each = org.xgradcam.video.Frames.split(pic.overlay(), frames);
                    String stem = pictureName(m).replace(".jpg", "");
                    String kind = c.pipeline().preprocessing().channels() == 1 ? "_slices" : "_frames";
                    for (int t = 0; t < frames; t++) {
                        pictures.put(dir.resolve(stem + kind).resolve(String.format(Locale.ROOT, "%03d.jpg", t)), each.get(t));
                    }
                    animations.put(dir.resolve(stem + ".gif"), each);
                }
                panels.add(new Pictures.Panel(shown.apply(pic.overlay()), m.name(), String.format(Locale.ROOT, "%s (score %.3f)", cls,
                        ex.score())));
                if (pic.onPhoto() != null) {
                    // the map over the user's own photo, at its size (cam_on_photo.jpg, X_cam_on_photo.jpg, ...)
                    pictures.put(dir.resolve(pictureName(m).replace(".jpg", "_on_photo.jpg")), pic.onPhoto());
                }
                if (pic.inBox() != null) {
                    pictures.put(dir.resolve(m.id() + "_in_box.jpg"), pic.inBox());
                    panels.add(new Pictures.Panel(pic.inBox(), m.name() + " in box", "renormalised inside the box"));
                }
            }
            if (saveRaw) {
                for (int i = 0; i < cr.layers().size(); i++) {
                    CamResult.LayerResult lr = cr.layers().get(i);
                    List<Path> places = new ArrayList<>();
                    if (i == 0) {
                        places.add(dir);
                    }
                    if (several) {
                        places.add(dir.resolve("layers").resolve(rawFolder(e.layers().stream().map(Explanation.LayerArrays::layer)
                                .toList().indexOf(lr.layer()), lr.layer())));
                    }
                    FloatTensor own = e.layers().stream().filter(la -> la.layer().equals(lr.layer())).findFirst()
                            .map(Explanation.LayerArrays::activations).orElse(null);
                    for (Path at : places) {
                        if (lr.weights() != null) {
                            arrays.put(at.resolve(m.id() + "_weights.npy"), lr.weights());
                        }
                        arrays.put(at.resolve(m.id() + "_cam_lowres.npy"), slices(lr.lowRes(), own));
                        // signed, as the formula (and Captum's LayerGradCam) gives it, before the ReLU
                        arrays.put(at.resolve(m.id() + "_cam_lowres_signed.npy"), slices(lr.raw(), own));
                    }
                }
                if (cr.map() != null) {
                    arrays.put(dir.resolve(m.id() + "_cam.npy"), cr.map());
                }
                if (cr.pixels() != null) {
                    arrays.put(dir.resolve(m.id() + "_pixels.npy"), cr.pixels());
                }
            }
        }
        if (saveRaw) {
            // the score of one image: [1, classes], or [1, K, H, W] for a segmentation model
            long[] scoreShape = r.kind() == org.xgradcam.pipeline.ModelKind.SELECTING_DETECTOR ? new long[] {e.logits().length}
                    : c.pipeline().scoreShape(image.x()); // at this image's own size (a model of free size)
            if (scoreShape.length > 1) {
                scoreShape[0] = 1;
            }
            arrays.put(dir.resolve("logits.npy"), new FloatTensor(scoreShape, e.logits()));
        }
        if (!noFigure && !noPictures) {
            pictures.put(dir.resolve("compare.png"), Pictures.figure(panels, 4, Colormap.parse(colormap)));
        }
        OutputFolder.Group group = new OutputFolder.Group(dir);
        try {
            pictures.forEach((p, img) -> group.write(p, f -> Pictures.save(img, f)));
            animations.forEach((p, each) -> group.write(p, f -> org.xgradcam.video.AnimatedGif.save(each, GIF_FRAME_MS, f)));
            arrays.forEach((p, t) -> group.write(p, f -> Npy.write(f, t)));
        } catch (RuntimeException ex2) {
            group.rollback();
            throw ex2;
        }
        pictures.keySet().forEach(written::add);
        animations.keySet().forEach(written::add);
        arrays.keySet().forEach(written::add);
        return layerInfo;
    }

    /** A map of a 3-D layer (activations [C, D, h, w]) as its D slices [D, h, w]; others as they are. */
    private static FloatTensor slices(FloatTensor map, FloatTensor activations) {
        if (activations == null || activations.rank() != 4 || map.size() != activations.size() / activations.dim(0)) {
            return map;
        }
        return new FloatTensor(new long[] {activations.dim(1), activations.dim(2), activations.dim(3)}, map.data());
    }

    /** A clip's frames a row in its pictures. */
    private static final int CLIP_COLUMNS = 4;

    /** How long each frame of a clip's animated map shows (8 frames a second). */
    private static final int GIF_FRAME_MS = 125;

    /** "1-layer4_layer4.1_relu_1_Relu_output_0": a layer's raw folder, numbered in --layer order. */
    private static String rawFolder(int index, String layer) {
        String safe = layer.replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^[_.]+|_+$", "");
        if (safe.length() > 80) {
            safe = safe.substring(safe.length() - 80);
        }
        return (index + 1) + (safe.isEmpty() ? "" : "-" + safe);
    }

}
