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
import org.xgradcam.detection.SelectingDetector;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.PostProcess;
import org.xgradcam.cam.Target;
import org.xgradcam.image.Colormap;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Overlay;
import org.xgradcam.image.Pictures;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.image.RgbImage;
import org.xgradcam.io.Npy;
import org.xgradcam.runtime.Sessions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.tensor.Vectors;
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
        description = "Class activation maps (XGrad-CAM, Grad-CAM and more) for any ONNX image classifier.",
        subcommands = {LayersCommand.class, MethodsCommand.class, ProofCommand.class, ModelsCommand.class,
                BenchCommand.class, EvaluateCommand.class, ServeCommand.class, CommandLine.HelpCommand.class},
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

    /** --target-index resolved against the model's labels, once the model is loaded. */
    private Integer targetIndex;

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

    private org.xgradcam.detection.DenseHead.Layout headLayout(long[] shape) {
        long[] head = shape.clone();
        head[0] = 1;
        return headLayout == null ? org.xgradcam.detection.DenseHead.detect(head)
                : org.xgradcam.detection.DenseHead.parse(headLayout, head);
    }

    @Option(names = "--renormalize", description = "Detections: also write each map renormalised inside its box"
            + " (<method>_in_box.jpg, as pytorch-grad-cam's renormalize_cam_in_bounding_boxes).")
    boolean renormalize;

    @Option(names = "--box", paramLabel = "N", description = "Detectors: explain only the N-th detection (0-based, in score order).")
    Integer box;

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

    @Option(names = "--colormap", defaultValue = "jet", description = "jet (as the original), turbo, viridis or inferno.")
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

    @Option(names = "--aug-smooth", description = "Average over horizontal flip x brightness 0.9/1.0/1.1 (6 runs).")
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
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new XGradCamCommand());
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
            e.getCommandLine().getErr().println("xgradcam: error: " + oneLine(e.getMessage()) + " (see --help)");
            return EXIT_USAGE;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) {
            return report(cl.getErr(), e);
        }
    }

    private static int report(PrintWriter err, Throwable t) {
        if (t instanceof XGradCamException || t instanceof CommandLine.ParameterException) {
            err.println("xgradcam: error: " + oneLine(t.getMessage()));
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
        InputImages inputs = inputTensor != null ? null : InputImages.collect(given);
        if (inputTensor != null) {
            InputFiles.requireRegularFile(inputTensor, "--input-tensor");
        }
        OutputFolder.check(outputDir);
        return explainAll(inputs, convention, cmap, camMethods);
    }

    private int explainAll(InputImages inputs, PostProcess convention, Colormap cmap, List<CamMethod> camMethods) {
        Sessions.setNoteSink(msg -> System.err.println("xgradcam: note: " + msg));
        long t0 = System.nanoTime();
        ModelSpec spec = common.resolveModel();
        Preprocessing pre = preprocessing.apply(spec.preprocessing());
        long[] shape = pre.nhwc() ? new long[] {1, pre.height(), pre.width(), 3} : new long[] {1, 3, pre.height(), pre.width()};
        boolean batch = inputs != null && inputs.isBatch();
        int total = inputs == null ? 1 : inputs.items().size();
        Progress progress = new Progress(System.err, !common.quiet && total > 1);
        FolderRun run = new FolderRun(System.err);
        Explainer.Options options = Explainer.Options.defaults().withInputShape(shape)
                .withRuntime(common.runtime()).withBatchSize(batchSize != null ? batchSize : PERTURBATION_BATCH).withTokenLayout(tokens.layout());
        try (Explainer explainer = Explainer.open(spec, options);
             SelectingDetector detector = SelectingDetector.accepts(spec) ? new SelectingDetector(spec, options) : null) {
            if (!explainer.layers().scoreNote().isEmpty() && !json) {
                System.err.println("xgradcam: note: " + explainer.layers().scoreNote());
            }
            List<String> resolved = resolveLayers(explainer);
            double loadMs = (System.nanoTime() - t0) / 1e6;
            // a segmentation model scores every pixel [N, K, H, W]: its target is a class's pixels
            long[] scoreShape = explainer.shapes().shape(explainer.layers().score());
            if (scoreShape.length == 3 || detector != null) {
                // a raw dense detection head: its layout is checked now, its detections per image
                if (detector == null) {
                    headLayout(scoreShape);
                } else {
                    detector.notes().forEach(n -> System.err.println("xgradcam: note: " + n));
                }
                if (topK != null || targetClass != null) {
                    throw new XGradCamException(spec.name() + " ends in a raw detection head: choose detections with"
                            + " --score-threshold and --box, not --top-k or --target-index");
                }
            }
            if (scoreShape.length != 3 && detector == null && (box != null || renormalize)) {
                throw new XGradCamException((box != null ? "--box" : "--renormalize") + " is for detectors (models ending in"
                        + " boxes, or a raw detection head); " + spec.name() + " scores classes: use --target-index or --top-k");
            }
            PixelClasses perPixel = scoreShape.length == 4 ? new PixelClasses(scoreShape) : null;
            int classes = perPixel != null ? perPixel.classes() : explainer.numClasses();
            if (topK != null && (perPixel != null || topK > classes)) {
                throw new XGradCamException(perPixel != null ? "--top-k is for classifiers; this model scores classes per pixel"
                        : "--top-k " + topK + " is more than the " + classes + " classes the model scores");
            }
            targetIndex = targetClass == null ? null
                    : ClassChoice.resolve(targetClass, spec.labels(), classes, perPixel != null ? "classes per pixel" : "classes");
            Explainer.Request request = new Explainer.Request(camMethods,
                    targetIndex == null ? Target.topClass() : Target.classes(targetIndex), resolved, convention, seed,
                    eigenSmooth, augSmooth);
            Map<String, Object> shared = new LinkedHashMap<>();
            shared.put("model", spec.name());
            shared.put("postprocess", convention.id());
            shared.put("preprocessing", PreprocessingOptions.describe(pre));
            shared.put("load_ms", loadMs);
            JsonLines lines = new JsonLines(json, shared);
            run.onFailure(lines::failed);
            Context c = new Context(explainer, spec, pre, request, perPixel, scoreShape, cmap, camMethods, batch, lines,
                    fingerprint(spec, pre, resolved, convention, camMethods), detector);
            if (inputs == null) {
                explainOne(c, new InputImages.Item(inputTensor, inputTensor.getFileName().toString()));
            } else if (!batch) {
                explainOne(c, inputs.items().get(0));
            } else {
                pipelined(c, inputs.items(), run, progress);
            }
            progress.done();
        }
        return run.finish("explained");
    }

    /** The layers asked for (checked before any image is read), or the default. */
    private List<String> resolveLayers(Explainer explainer) {
        if (layers.isEmpty()) {
            return List.of(explainer.layers().requireDefault().tensor());
        }
        List<String> out = new ArrayList<>();
        for (String l : layers) {
            var layer = explainer.layers().resolve(l);
            if (!l.equals(layer.tensor()) && !l.equals(layer.node())) {
                System.err.println("xgradcam: note: --layer " + l + " is the output of module " + l + ": " + layer.tensor());
            }
            if (!out.contains(layer.tensor())) {
                out.add(layer.tensor());
            }
        }
        return out;
    }

    /** What every image of a run shares. */
    private record Context(Explainer explainer, ModelSpec spec, Preprocessing pre, Explainer.Request request,
                           PixelClasses perPixel, long[] scoreShape, Colormap cmap, List<CamMethod> camMethods,
                           boolean batch, JsonLines summaries, String fingerprint, SelectingDetector detector) {}

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
            Map<String, Object> head = new LinkedHashMap<>(shared);
            if (summary instanceof Json.Raw) {
                head.put("resumed", true); // kept from the run that explained it
            }
            print(Json.line(head), Json.line(summary));
        }

        void failed(String image, String error) {
            if (on) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("image", image);
                m.put("error", error);
                print(Json.line(shared), Json.line(m));
            }
        }

        private static void print(String head, String own) {
            // two objects joined: {shared..., own...}
            String body = own.substring(1);
            System.out.println(head.substring(0, head.length() - 1) + (body.equals("}") ? "" : ",") + body);
        }
    }

    /** Marks an image's output folder as complete, for resumed folder runs: written last, atomically. */
    static final String DONE = ".xgradcam-done";

    /** Everything that decides an image's outputs besides the image itself. */
    private String fingerprint(ModelSpec spec, Preprocessing pre, List<String> resolved, PostProcess convention,
                               List<CamMethod> camMethods) {
        StringBuilder b = new StringBuilder("xgradcam 1\n");
        b.append("model ").append(spec.name()).append(' ').append(spec.model().source()).append(' ')
                .append(spec.model().proto().getSerializedSize()).append('\n');
        camMethods.forEach(m -> b.append("method ").append(m.id()).append(' ').append(m.cost()).append('\n'));
        b.append("layers ").append(resolved).append("\npost ").append(convention.id()).append("\npre ")
                .append(PreprocessingOptions.describe(pre)).append("\ntarget ").append(targetIndex).append("\ncolormap ")
                .append(colormap).append(' ').append(overlay).append("\nfigure ").append(!noFigure).append(" pictures ").append(!noPictures).append(" raw ").append(saveRaw)
                .append(" top ").append(topK).append(" boxes ").append(scoreThreshold).append(' ').append(box).append("\nseed ").append(seed).append(' ').append(samples).append(' ').append(noiseStd).append(" smooth ")
                .append(eigenSmooth).append(' ').append(augSmooth).append(" damaged ").append(allowDamaged).append('\n');
        return b.toString();
    }

    /** The key of one image's outputs: its bytes and the run's options. */
    private static String doneKey(byte[] image, String fingerprint) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(fingerprint.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update(image);
            return java.util.HexFormat.of().formatHex(md.digest());
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
                List<Computed> computed = computeAll(c, chunk, ready, failures);
                // the previous batch's writes end before this one's start: one batch behind at most
                awaitWrites(written, writes, run, progress);
                // each image's pictures, or its failure, in input order on the writing thread
                for (int i = 0; i < chunk.size(); i++) {
                    InputImages.Item item = chunk.get(i);
                    Prepared p = ready.get(i);
                    Computed k = computed.get(i);
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
     * Images per model run: --batch-size for a classifier explained for its top or a given
     * class; one for everything that needs each image's own run (top-k, per-pixel targets,
     * detections, models that take one image).
     */
    private int imagesPerRun(Context c) {
        boolean batchable = batchSize != null && topK == null && c.perPixel() == null && c.scoreShape().length == 2
                && c.detector() == null && !c.explainer().oneImagePerRun();
        return batchable ? batchSize : 1;
    }

    /**
     * The model's results for a batch of prepared images, in order (null where an image was done
     * before or failed; a failure is recorded in {@code failures}): one run for all that need it
     * when there are several; if that run fails, each image on its own, so that a failure is the
     * image's.
     */
    private List<Computed> computeAll(Context c, List<InputImages.Item> chunk, List<Prepared> ready, List<Throwable> failures) {
        List<Computed> out = new ArrayList<>(java.util.Collections.nCopies(chunk.size(), (Computed) null));
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
            if (ready.get(i) != null && ready.get(i).before() == null) {
                todo.add(i);
            }
        }
        if (todo.size() > 1) {
            try {
                FloatTensor batch = FloatTensor.stack(todo.stream().map(i -> ready.get(i).x().row(0)).toList());
                List<Explanation> es = c.explainer().explain(batch, c.request());
                for (int j = 0; j < todo.size(); j++) {
                    Prepared p = ready.get(todo.get(j));
                    out.set(todo.get(j), new Computed(List.of(es.get(j)), null, (System.nanoTime() - p.start()) / 1e6));
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
                out.set(i, compute(c, chunk.get(i), ready.get(i)));
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
     * An image ready for the model: the tensor, the picture behind the overlays, the decoder's
     * warnings; or, in a resumed folder run, what a previous run recorded for it (then nothing runs).
     */
    private record Prepared(FloatTensor x, RgbImage backdrop, List<String> warnings, long start, String key, String[] before) {}

    /** What the model gave for one image. */
    private record Computed(List<Explanation> es, double[] pixelShares, double ms, List<org.xgradcam.detection.Detection> detections) {
        Computed(List<Explanation> es, double[] pixelShares, double ms) {
            this(es, pixelShares, ms, null);
        }

        Explanation e() {
            return es.get(0);
        }
    }

    private void explainOne(Context c, InputImages.Item item) {
        Prepared p = prepare(c, item);
        finish(c, item, p, compute(c, item, p));
    }

    private Prepared prepare(Context c, InputImages.Item item) {
        long start = System.nanoTime();
        String key = null;
        // the file read once: its bytes are both the resume key and the picture
        byte[] bytes = inputTensor == null ? org.xgradcam.validation.InputFiles.read(item.path(), "image", ImageLoader.MAX_FILE_BYTES)
                : null;
        if (c.batch() && inputTensor == null) {
            key = doneKey(bytes, c.fingerprint());
            String[] before = overwrite ? null : finishedBefore(c, item, key);
            if (before != null) {
                return new Prepared(null, null, List.of(), start, key, before);
            }
        }
        String label = item.path().toString();
        FloatTensor x;
        RgbImage backdrop;
        List<String> warnings = List.of();
        if (inputTensor != null) {
            x = Npy.read(inputTensor);
            long[] want = c.explainer().inputShape();
            if (x.rank() == want.length - 1 && want[0] == 1) {
                // one image without its batch axis ([3, H, W], as torchvision's detectors take it)
                long[] batched = new long[want.length];
                batched[0] = 1;
                System.arraycopy(x.shape(), 0, batched, 1, x.rank());
                x = new FloatTensor(batched, x.data());
            }
            if (!java.util.Arrays.equals(x.shape(), want)) {
                throw new XGradCamException("--input-tensor " + inputTensor + " has shape " + java.util.Arrays.toString(x.shape())
                        + ", but the model takes " + java.util.Arrays.toString(want) + " (float32, one image)");
            }
            backdrop = denormalise(x, c.pre());
        } else {
            ImageLoader.Decoded d = ImageLoader.decode(bytes, item.path().toString(), allowDamaged);
            warnings = d.warnings();
            if (d.damaged()) {
                System.err.println("xgradcam: warning: " + label + " is damaged (" + ImageLoader.summary(warnings)
                        + "); explained anyway, as --allow-damaged asks");
            }
            backdrop = c.pre().fit(d.image());
            x = c.pre().toTensor(backdrop);
        }
        return new Prepared(x, backdrop, warnings, start, key, null);
    }

    private Computed compute(Context c, InputImages.Item item, Prepared p) {
        if (p.before() != null) {
            return null; // done by a previous run
        }
        String label = item.path().toString();
        FloatTensor x = p.x();
        Explainer.Request req = c.request();
        double[] pixelShares = null;
        if (c.perPixel() != null) {
            // the mask needs the scores first: one forward before the explaining run
            int[] winners = c.perPixel().winners(c.explainer().logits(x).data());
            pixelShares = c.perPixel().shares(winners);
            int cls = targetIndex != null ? targetIndex : c.perPixel().ranked(pixelShares, 1)[0];
            if (pixelShares[cls] == 0) {
                System.err.println("xgradcam: note: class " + cls + " wins no pixel of " + label
                        + "; its scores are explained over the whole image");
            }
            req = req.withTarget(c.perPixel().target(winners, cls));
        }
        if (c.scoreShape().length == 3) {
            return detections(c, item, p, x, req);
        }
        if (c.detector() != null) {
            return selectedDetections(c, item, p, x, req);
        }
        List<Explanation> es = topK != null ? c.explainer().explainTopK(x, topK, req) : List.of(c.explainer().explain(x, req).get(0));
        return new Computed(es, pixelShares, (System.nanoTime() - p.start()) / 1e6);
    }

    /** A raw head's detections above the threshold (after NMS), each explained by its class score at its anchor. */
    private Computed detections(Context c, InputImages.Item item, Prepared p, FloatTensor x, Explainer.Request req) {
        long[] head = c.scoreShape().clone();
        head[0] = 1;
        var layout = headLayout(head);
        FloatTensor raw = c.explainer().logits(x);
        List<org.xgradcam.detection.Detection> all = org.xgradcam.detection.DenseHead.decode(raw, layout, scoreThreshold, 0.45);
        if (all.isEmpty()) {
            throw new XGradCamException(item.path() + ": no detection scores above --score-threshold " + scoreThreshold
                    + "; lower it (and check the preprocessing: YOLO exports take [0, 1] values, --mean 0,0,0 --std 1,1,1)");
        }
        List<org.xgradcam.detection.Detection> chosen = chosenBoxes(item, all);
        List<Explanation> es = new ArrayList<>();
        for (var d : chosen) {
            es.add(c.explainer().explain(x, req.withTarget(org.xgradcam.detection.DenseHead.target(d, layout, head))).get(0));
        }
        return new Computed(es, null, (System.nanoTime() - p.start()) / 1e6, all);
    }

    /** The detections to explain: all of them, or the one --box names (checked against how many there are). */
    private List<org.xgradcam.detection.Detection> chosenBoxes(InputImages.Item item, List<org.xgradcam.detection.Detection> all) {
        if (box == null) {
            return all;
        }
        if (box < 0 || box >= all.size()) {
            throw new XGradCamException(item.path() + ": --box " + box + " is out of range: " + all.size()
                    + " detection(s) score above " + scoreThreshold + " (0.." + (all.size() - 1) + ")");
        }
        return List.of(all.get(box));
    }

    /**
     * A detector that selects its boxes: its own detections scoring above the threshold (in its
     * order, by decreasing score), each explained by its score, with the backward built for this
     * image's detections.
     */
    private Computed selectedDetections(Context c, InputImages.Item item, Prepared p, FloatTensor x, Explainer.Request req) {
        List<org.xgradcam.detection.Detection> found = c.detector().detect(x);
        List<org.xgradcam.detection.Detection> all = found.stream().filter(d -> d.score() > scoreThreshold).toList();
        if (all.isEmpty()) {
            throw new XGradCamException(item.path() + ": no detection scores above --score-threshold " + scoreThreshold
                    + " (the model gave " + found.size() + (found.isEmpty() ? "" : ", the best scoring "
                    + String.format(Locale.ROOT, "%.3f", found.get(0).score())) + "); lower --score-threshold");
        }
        List<org.xgradcam.detection.Detection> chosen = chosenBoxes(item, all);
        List<Explanation> es = new ArrayList<>();
        try (Explainer perImage = c.detector().explainerFor(x, found)) {
            for (var d : chosen) {
                es.add(perImage.explain(x, req.withTarget(SelectingDetector.target(d, found.size()))).get(0));
            }
        }
        return new Computed(es, null, (System.nanoTime() - p.start()) / 1e6, all);
    }

    private void finish(Context c, InputImages.Item item, Prepared p, Computed k) {
        String label = item.path().toString();
        if (k != null && k.detections() != null) {
            finishDetections(c, item, p, k);
            return;
        }
        if (p.before() != null) {
            if (!json) {
                System.out.println(label + ": " + p.before()[0] + " (done before, skipped)");
            }
            c.summaries().add(new Json.Raw(p.before()[1]));
            return;
        }
        Explanation e = k.e();
        double ms = k.ms();
        double[] pixelShares = k.pixelShares();
        List<String> warnings = p.warnings();
        Path dir = c.batch() ? outputDir.resolve(item.outputName()) : outputDir;
        List<Object> ranked = new ArrayList<>();
        List<Map<String, Object>> layerInfo = null;
        for (int r = 0; r < k.es().size(); r++) {
            Explanation er = k.es().get(r);
            // with --top-k every class in a folder of its own: RANK-CLASS
            Path at = topK != null ? dir.resolve((r + 1) + "-" + er.classIndex()) : dir;
            List<Map<String, Object>> info = writeOutputs(at, er, p.backdrop(), c.spec(), c.cmap(), c.scoreShape(), c.camMethods());
            layerInfo = layerInfo == null ? info : layerInfo;
            if (topK != null) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("rank", r + 1);
                one.put("class_index", er.classIndex());
                one.put("class", c.spec().labels().line(er.classIndex()));
                one.put("score", er.score());
                one.put("outputs", at.toString());
                ranked.add(one);
            }
        }
        if (!json) {
            System.out.println((c.batch() ? label + ": " : "") + "class of interest: " + c.spec().labels().line(e.classIndex()));
            for (int r = 1; r < k.es().size(); r++) {
                System.out.println((c.batch() ? label + ": " : "") + "top " + (r + 1) + ": "
                        + c.spec().labels().line(k.es().get(r).classIndex()));
            }
        }
        Map<String, Object> summary = summary(label, e, c.spec(), ms, dir, c.perPixel(), pixelShares);
        summary.put("layers", layerInfo);
        if (topK != null) {
            summary.put("top_k", ranked);
        }
        if (!warnings.isEmpty()) {
            summary.put("warnings", warnings);
        }
        c.summaries().add(summary);
        if (p.key() != null) {
            // last, and atomically: a folder holding it holds every output of this image
            org.xgradcam.io.AtomicFiles.write(dir.resolve(DONE), (p.key() + "\n" + "class of interest: "
                    + c.spec().labels().line(e.classIndex()) + "\n" + Json.write(summary))
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private void finishDetections(Context c, InputImages.Item item, Prepared p, Computed k) {
        String label = item.path().toString();
        Path dir = c.batch() ? outputDir.resolve(item.outputName()) : outputDir;
        List<Object> dets = new ArrayList<>();
        for (int i = 0; i < k.detections().size(); i++) {
            var d = k.detections().get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", d.label());
            m.put("name", c.spec().labels().name(d.label()));
            m.put("score", (double) d.score());
            m.put("box", List.of((double) d.x0(), (double) d.y0(), (double) d.x1(), (double) d.y1()));
            if (c.detector() == null) {
                m.put("anchor", d.anchor()); // the head's row; a selecting detector's own order is the list's
            }
            dets.add(m);
        }
        for (int j = 0; j < k.es().size(); j++) {
            var d = box != null ? k.detections().get(box) : k.detections().get(j);
            int index = box != null ? box : j;
            Path at = dir.resolve("box-" + index);
            RgbImage framed = drawBox(p.backdrop(), d);
            writeOutputs(at, k.es().get(j), framed, c.spec(), c.cmap(), c.scoreShape(), c.camMethods(), d);
            ((Map<String, Object>) dets.get(index)).put("outputs", at.toString());
        }
        if (!noPictures) {
            // every detection listed, at a glance: boxes in their class's colour, labelled with rank, name and score
            List<org.xgradcam.image.Boxes.Box> drawn = new ArrayList<>();
            List<Integer> classes = new ArrayList<>();
            for (int i = 0; i < k.detections().size(); i++) {
                var d = k.detections().get(i);
                drawn.add(new org.xgradcam.image.Boxes.Box(d.x0(), d.y0(), d.x1(), d.y1(),
                        String.format(Locale.ROOT, "%d %s %.2f", i, c.spec().labels().name(d.label()), d.score())));
                classes.add(d.label());
            }
            RgbImage all = org.xgradcam.image.Boxes.draw(p.backdrop(), drawn, classes);
            OutputFolder.Group group = new OutputFolder.Group(dir);
            try {
                group.write(dir.resolve("detections.jpg"), f -> Pictures.save(all, f));
            } catch (RuntimeException ex) {
                group.rollback();
                throw ex;
            }
        }
        if (!json) {
            for (int i = 0; i < k.detections().size(); i++) {
                var d = k.detections().get(i);
                System.out.printf(Locale.ROOT, "%sdetection %d: %s %.3f [%.1f, %.1f, %.1f, %.1f]%n", c.batch() ? label + ": " : "", i,
                        c.spec().labels().name(d.label()), d.score(), d.x0(), d.y0(), d.x1(), d.y1());
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("image", label);
        summary.put("layer", c.request().layers().get(0));
        summary.put("detections", dets);
        summary.put("outputs", dir.toString());
        summary.put("explain_ms", k.ms());
        c.summaries().add(summary);
    }

    /** The image with the detection's box drawn (2 px, white), for its pictures. */
    private static RgbImage drawBox(RgbImage img, org.xgradcam.detection.Detection d) {
        byte[] px = img.rgb().clone();
        int w = img.width();
        int h = img.height();
        int x0 = Math.max(0, Math.min(w - 1, Math.round(d.x0())));
        int x1 = Math.max(0, Math.min(w - 1, Math.round(d.x1())));
        int y0 = Math.max(0, Math.min(h - 1, Math.round(d.y0())));
        int y1 = Math.max(0, Math.min(h - 1, Math.round(d.y1())));
        for (int t = 0; t < 2; t++) {
            for (int x = x0; x <= x1; x++) {
                paint(px, w, x, Math.min(h - 1, y0 + t));
                paint(px, w, x, Math.max(0, y1 - t));
            }
            for (int y = y0; y <= y1; y++) {
                paint(px, w, Math.min(w - 1, x0 + t), y);
                paint(px, w, Math.max(0, x1 - t), y);
            }
        }
        return new RgbImage(w, h, px);
    }

    private static void paint(byte[] px, int w, int x, int y) {
        int i = 3 * (y * w + x);
        px[i] = (byte) 255;
        px[i + 1] = (byte) 255;
        px[i + 2] = (byte) 255;
    }

    /** The picture behind overlays when the input is a tensor: the preprocessing undone. */
    private static RgbImage denormalise(FloatTensor x, Preprocessing p) {
        if (x.rank() != 4 || x.dim(0) != 1 || x.dim(1) != 3) {
            throw new XGradCamException("--input-tensor needs a float32 array of shape [1, 3, H, W], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        int h = x.dim(2);
        int w = x.dim(3);
        byte[] rgb = new byte[h * w * 3];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < h * w; i++) {
                float v = x.data()[c * h * w + i] * p.std()[c] + p.mean()[c];
                float byteValue = switch (p.scale()) {
                    case UNIT -> v * 255;
                    case BYTE -> v;
                    case SYMMETRIC -> (v + 1) * 127.5f;
                };
                rgb[3 * i + c] = (byte) Math.max(0, Math.min(255, Math.round(byteValue)));
            }
        }
        return new RgbImage(w, h, rgb);
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
     * Renders everything first, then writes file by file (each atomically) as one group: if a
     * file cannot be written, the image's files written so far are removed again. Returns what
     * the JSON says of each layer.
     */
    private List<Map<String, Object>> writeOutputs(Path dir, Explanation e, RgbImage backdrop, ModelSpec spec, Colormap cmap,
                                                   long[] scoreShape, List<CamMethod> camMethods) {
        return writeOutputs(dir, e, backdrop, spec, cmap, scoreShape, camMethods, null);
    }

    /** As above; with a detection's box, --renormalize adds each map renormalised inside that box. */
    private List<Map<String, Object>> writeOutputs(Path dir, Explanation e, RgbImage backdrop, ModelSpec spec, Colormap cmap,
                                                   long[] scoreShape, List<CamMethod> camMethods,
                                                   org.xgradcam.detection.Detection inBox) {
        Map<Path, RgbImage> pictures = new LinkedHashMap<>();
        Map<Path, FloatTensor> arrays = new LinkedHashMap<>();
        List<Pictures.Panel> panels = new ArrayList<>();
        String cls = spec.labels().name(e.classIndex());
        panels.add(new Pictures.Panel(backdrop, "image", cls));
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
        for (CamMethod m : camMethods) {
            CamResult r = e.result(m.id());
            if (!noPictures) {
                RgbImage pic;
                if (r.pixels() != null) {
                    pic = Overlay.gradientPicture(r.pixels().data(), backdrop.width(), backdrop.height());
                } else {
                    pic = overlay.equals("add") ? Overlay.additive(backdrop, r.map().data(), cmap)
                            : Overlay.blend(backdrop, r.map().data(), cmap, 0.5f);
                }
                pictures.put(dir.resolve(pictureName(m)), pic);
                panels.add(new Pictures.Panel(pic, m.name(), String.format(Locale.ROOT, "%s (score %.3f)", cls, e.score())));
                if (renormalize && inBox != null && r.map() != null && r.pixels() == null) {
                    float[] inside = org.xgradcam.detection.BoxMaps.renormalizedIn(r.map().data(), backdrop.width(),
                            backdrop.height(), List.of(inBox));
                    RgbImage boxed = overlay.equals("add") ? Overlay.additive(backdrop, inside, cmap)
                            : Overlay.blend(backdrop, inside, cmap, 0.5f);
                    pictures.put(dir.resolve(m.id() + "_in_box.jpg"), boxed);
                    panels.add(new Pictures.Panel(boxed, m.name() + " in box", "renormalised inside the box"));
                }
            }
            if (saveRaw) {
                for (int i = 0; i < r.layers().size(); i++) {
                    CamResult.LayerResult lr = r.layers().get(i);
                    List<Path> places = new ArrayList<>();
                    if (i == 0) {
                        places.add(dir);
                    }
                    if (several) {
                        places.add(dir.resolve("layers").resolve(rawFolder(e.layers().stream().map(Explanation.LayerArrays::layer)
                                .toList().indexOf(lr.layer()), lr.layer())));
                    }
                    for (Path at : places) {
                        if (lr.weights() != null) {
                            arrays.put(at.resolve(m.id() + "_weights.npy"), lr.weights());
                        }
                        arrays.put(at.resolve(m.id() + "_cam_lowres.npy"), lr.lowRes());
                        // signed, as the formula (and Captum's LayerGradCam) gives it, before the ReLU
                        arrays.put(at.resolve(m.id() + "_cam_lowres_signed.npy"), lr.raw());
                    }
                }
                if (r.map() != null) {
                    arrays.put(dir.resolve(m.id() + "_cam.npy"), r.map());
                }
                if (r.pixels() != null) {
                    arrays.put(dir.resolve(m.id() + "_pixels.npy"), r.pixels());
                }
            }
        }
        if (saveRaw) {
            // the score of one image: [1, classes], or [1, K, H, W] for a segmentation model
            long[] shape = scoreShape.clone();
            shape[0] = 1;
            if (scoreShape.length == 1) {
                shape[0] = e.logits().length; // a selecting detector's scores [D]: as many as this image's detections
            }
            arrays.put(dir.resolve("logits.npy"), new FloatTensor(shape, e.logits()));
        }
        if (!noFigure && !noPictures) {
            pictures.put(dir.resolve("compare.png"), Pictures.figure(panels));
        }
        OutputFolder.Group group = new OutputFolder.Group(dir);
        try {
            pictures.forEach((p, img) -> group.write(p, f -> Pictures.save(img, f)));
            arrays.forEach((p, t) -> group.write(p, f -> Npy.write(f, t)));
        } catch (RuntimeException ex) {
            group.rollback();
            throw ex;
        }
        return layerInfo;
    }

    /** "1-layer4_layer4.1_relu_1_Relu_output_0": a layer's raw folder, numbered in --layer order. */
    private static String rawFolder(int index, String layer) {
        String safe = layer.replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^[_.]+|_+$", "");
        if (safe.length() > 80) {
            safe = safe.substring(safe.length() - 80);
        }
        return (index + 1) + (safe.isEmpty() ? "" : "-" + safe);
    }

    private Map<String, Object> summary(String image, Explanation e, ModelSpec spec, double ms, Path dir,
                                        PixelClasses perPixel, double[] pixelShares) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image", image);
        m.put("layer", e.layer());
        m.put("class_index", e.classIndex());
        m.put("class", spec.labels().line(e.classIndex()));
        m.put("score", e.score());
        List<Object> top = new ArrayList<>();
        if (perPixel != null) {
            // per-pixel scores: the classes that win the most pixels, with their share
            for (int c : perPixel.ranked(pixelShares, 5)) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("index", c);
                t.put("class", spec.labels().line(c));
                t.put("pixel_share", pixelShares[c]);
                top.add(t);
            }
        } else {
            double[] probabilities = Vectors.softmax(e.logits());
            for (int c : e.topK(5)) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("index", c);
                t.put("class", spec.labels().line(c));
                t.put("logit", e.logits()[c]);
                t.put("probability", probabilities[c]);
                top.add(t);
            }
        }
        m.put("top5", top);
        m.put("outputs", dir.toString());
        m.put("explain_ms", ms);
        return m;
    }
}
