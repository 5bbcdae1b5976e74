package org.xgradcam.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
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
@Command(name = "xgradcam", mixinStandardHelpOptions = true, version = "xgradcam 0.1.0",
        description = "Class activation maps (XGrad-CAM, Grad-CAM and more) for any ONNX image classifier.",
        subcommands = {LayersCommand.class, MethodsCommand.class, ProofCommand.class, ModelsCommand.class,
                BenchCommand.class, EvaluateCommand.class, CommandLine.HelpCommand.class},
        sortOptions = false)
public class XGradCamCommand implements Callable<Integer> {
    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff");

    @Option(names = "--image-path", paramLabel = "IMAGE", description = "An image file or a folder of images (repeatable).")
    List<Path> imagePaths = new ArrayList<>();

    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "More images or folders.")
    List<Path> moreImages = new ArrayList<>();

    @Option(names = "--target-index", paramLabel = "CLASS", description = "Class to explain (default: the top class).")
    Integer targetIndex;

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--layer", paramLabel = "NAME", description = "Target layer, tensor or node name (repeatable; default: the last feature map). See 'xgradcam layers'.")
    List<String> layers = new ArrayList<>();

    @Option(names = "--method", paramLabel = "NAME", description = "CAM method (repeatable; default: gradcam and xgradcam). See 'xgradcam methods'.")
    List<String> methods = new ArrayList<>();

    @Option(names = "--postprocess", paramLabel = "seed|pytorch-grad-cam", defaultValue = "seed",
            description = "Map post-processing convention (default: ${DEFAULT-VALUE}).")
    String postprocess;

    @Option(names = "--output-dir", paramLabel = "DIR", defaultValue = ".", description = "Where pictures go (default: the current folder).")
    Path outputDir;

    @Option(names = "--colormap", defaultValue = "jet", description = "jet (as the original), turbo, viridis or inferno.")
    String colormap;

    @Option(names = "--overlay", defaultValue = "add", paramLabel = "add|blend",
            description = "add: heat map + image, rescaled (the original's); blend: 50% alpha blend.")
    String overlay;

    @Option(names = "--no-figure", description = "Do not write the side-by-side comparison figure.")
    boolean noFigure;

    @Option(names = "--json", description = "Print a JSON summary (class, score, top-5, timings) on stdout.")
    boolean json;

    @Option(names = "--save-raw", description = "Also write the raw numbers as .npy: logits, activations, gradients, weights, maps.")
    boolean saveRaw;

    @Option(names = "--input-tensor", paramLabel = "FILE.npy", description = "Explain this preprocessed float32 tensor (NCHW) instead of an image.")
    Path inputTensor;

    @Option(names = "--resize", paramLabel = "direct|crop", description = "Resize mode: direct (the original's) or crop (shorter side, centre crop).")
    String resize;

    @Option(names = "--interpolation", paramLabel = "opencv|pil",
            description = "Bilinear resize of the image: opencv (the original's cv2.resize) or pil (torchvision's, antialiased); "
                    + "default: the model's preset (opencv for the demo and .onnx files, pil for the catalogue).")
    String interpolation;

    @Option(names = "--mean", paramLabel = "R,G,B", description = "Per-channel mean to subtract (after scaling).")
    String mean;

    @Option(names = "--std", paramLabel = "R,G,B", description = "Per-channel standard deviation to divide by.")
    String std;

    @Option(names = "--scale", paramLabel = "0-1|0-255|-1-1", description = "Pixel value range before mean/std.")
    String scale;

    @Option(names = "--bgr", description = "Feed channels in BGR order.")
    boolean bgr;

    @Option(names = "--eigen-smooth", description = "Maps from the first principal component of the weighted activations.")
    boolean eigenSmooth;

    @Option(names = "--aug-smooth", description = "Average over horizontal flip x brightness 0.9/1.0/1.1 (6 runs).")
    boolean augSmooth;

    @Option(names = "--batch-size", defaultValue = "32", description = "Batch size of Score-CAM and Ablation-CAM passes (default: ${DEFAULT-VALUE}).")
    int batchSize;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line; errors are one line on stderr and a non-zero exit code. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new XGradCamCommand());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable t = e;
            if (t instanceof XGradCamException || t instanceof CommandLine.ParameterException) {
                cmd.getErr().println("xgradcam: error: " + t.getMessage());
                return 1;
            }
            cmd.getErr().println("xgradcam: internal error: " + t + " (please report it)");
            return 3;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("xgradcam: error: " + e.getMessage() + " (see --help)");
            return 2;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() throws IOException {
        List<Path> images = collectImages();
        if (images.isEmpty() && inputTensor == null) {
            throw new XGradCamException("no image given: use --image-path IMAGE (or a folder), or --input-tensor FILE.npy");
        }
        PostProcess convention = PostProcess.parse(postprocess);
        Colormap cmap = Colormap.parse(colormap);
        if (!overlay.equals("add") && !overlay.equals("blend")) {
            throw new XGradCamException("unknown overlay '" + overlay + "'; use add or blend");
        }
        List<CamMethod> camMethods = new ArrayList<>();
        for (String m : methods.isEmpty() ? List.of("gradcam", "xgradcam") : methods) {
            CamMethod cm = Methods.byName(m);
            if (camMethods.stream().noneMatch(x -> x.id().equals(cm.id()))) {
                camMethods.add(cm);
            }
        }
        Path created = OutputFolder.ensureWritable(outputDir);
        try {
            return explainAll(images, convention, cmap, camMethods);
        } catch (RuntimeException | IOException e) {
            // a run that fails before writing anything leaves no empty folders behind
            OutputFolder.removeEmptyFolders(outputDir, created);
            throw e;
        }
    }

    private int explainAll(List<Path> images, PostProcess convention, Colormap cmap, List<CamMethod> camMethods)
            throws IOException {
        Sessions.setNoteSink(msg -> System.err.println("xgradcam: note: " + msg));
        long t0 = System.nanoTime();
        ModelSpec spec = common.resolveModel();
        Preprocessing pre = preprocessing(spec);
        long[] shape = pre.nhwc() ? new long[] {1, pre.height(), pre.width(), 3} : new long[] {1, 3, pre.height(), pre.width()};
        List<Map<String, Object>> summaries = new ArrayList<>();
        Progress progress = new Progress(System.err, !common.quiet && images.size() > 1);
        try (Explainer explainer = Explainer.open(spec.model(), Explainer.Options.defaults().withInputShape(shape)
                .withRuntime(common.runtime()).withBatchSize(batchSize))) {
            if (!explainer.layers().scoreNote().isEmpty() && !json) {
                System.err.println("xgradcam: note: " + explainer.layers().scoreNote());
            }
            double loadMs = (System.nanoTime() - t0) / 1e6;
            // a segmentation model scores every pixel [N, K, H, W]: its target is a class's pixels
            long[] scoreShape = explainer.shapes().shape(explainer.layers().score());
            PixelClasses perPixel = scoreShape.length == 4 ? new PixelClasses(scoreShape) : null;
            if (perPixel != null && targetIndex != null && (targetIndex < 0 || targetIndex >= perPixel.classes())) {
                throw new XGradCamException("class index " + targetIndex + " is out of range: the model scores "
                        + perPixel.classes() + " classes per pixel (0.." + (perPixel.classes() - 1) + ")");
            }
            Explainer.Request request = new Explainer.Request(camMethods,
                    targetIndex == null ? Target.topClass() : Target.classes(targetIndex), layers, convention, 0,
                    eigenSmooth, augSmooth);
            int total = inputTensor != null ? 1 : images.size();
            for (int i = 0; i < total; i++) {
                long start = System.nanoTime();
                String label = inputTensor != null ? inputTensor.getFileName().toString() : images.get(i).toString();
                FloatTensor x;
                RgbImage backdrop;
                if (inputTensor != null) {
                    x = Npy.read(inputTensor);
                    backdrop = denormalise(x, pre);
                } else {
                    backdrop = pre.fit(ImageLoader.load(images.get(i)));
                    x = pre.toTensor(backdrop);
                }
                Explainer.Request req = request;
                double[] pixelShares = null;
                if (perPixel != null) {
                    // the mask needs the scores first: one forward before the explaining run
                    int[] winners = perPixel.winners(explainer.logits(x).data());
                    pixelShares = perPixel.shares(winners);
                    int cls = targetIndex != null ? targetIndex : perPixel.ranked(pixelShares, 1)[0];
                    if (pixelShares[cls] == 0) {
                        System.err.println("xgradcam: note: class " + cls + " wins no pixel of " + label
                                + "; its scores are explained over the whole image");
                    }
                    req = request.withTarget(perPixel.target(winners, cls));
                }
                Explanation e = explainer.explain(x, req).get(0);
                double ms = (System.nanoTime() - start) / 1e6;
                Path dir = total > 1 ? outputDir.resolve(stem(images.get(i))) : outputDir;
                writeOutputs(dir, e, backdrop, spec, cmap, scoreShape, camMethods);
                if (!json) {
                    progress.done();
                    System.out.println((total > 1 ? label + ": " : "") + "class of interest: " + spec.labels().line(e.classIndex()));
                }
                summaries.add(summary(label, e, spec, ms, dir, perPixel, pixelShares));
                progress.update("explaining", i + 1, total);
            }
            progress.done();
            if (json) {
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("model", spec.name());
                root.put("layer", summaries.isEmpty() ? null : summaries.get(0).remove("layer"));
                root.put("postprocess", convention.id());
                root.put("load_ms", loadMs);
                root.put("images", summaries);
                System.out.println(Json.write(root));
            }
        }
        return 0;
    }

    private List<Path> collectImages() throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : Stream.concat(imagePaths.stream(), moreImages.stream()).toList()) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> IMAGE_EXTENSIONS.stream().anyMatch(ext -> f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(ext)))
                            .sorted().forEach(out::add);
                }
            } else if (!Files.exists(p)) {
                throw new XGradCamException("image not found: " + p);
            } else {
                out.add(p);
            }
        }
        return out;
    }

    private Preprocessing preprocessing(ModelSpec spec) {
        Preprocessing p = spec.preprocessing();
        if (resize != null) {
            p = p.withResize(switch (resize) {
                case "direct" -> Preprocessing.ResizeMode.DIRECT;
                case "crop" -> Preprocessing.ResizeMode.CENTER_CROP;
                default -> throw new XGradCamException("unknown resize mode '" + resize + "'; use direct or crop");
            });
        }
        if (interpolation != null) {
            p = p.withInterpolation(Preprocessing.Interpolation.parse(interpolation));
        }
        if (scale != null) {
            p = p.withScale(Preprocessing.Scale.parse(scale));
        }
        if (mean != null || std != null) {
            p = p.withMeanStd(mean != null ? triple(mean, "--mean") : p.mean(), std != null ? triple(std, "--std") : p.std());
        }
        if (bgr) {
            p = p.withBgr(true);
        }
        return p;
    }

    private static float[] triple(String csv, String option) {
        try {
            float[] v = Catalogue.floats(csv);
            if (v.length != 3) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new XGradCamException(option + " needs three numbers, e.g. 0.485,0.456,0.406");
        }
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
            default -> m.id() + ".jpg";
        };
    }

    private void writeOutputs(Path dir, Explanation e, RgbImage backdrop, ModelSpec spec, Colormap cmap,
                              long[] scoreShape, List<CamMethod> camMethods) {
        // Everything is rendered first, then written file by file, each atomically.
        Map<Path, RgbImage> pictures = new LinkedHashMap<>();
        Map<Path, FloatTensor> arrays = new LinkedHashMap<>();
        List<Pictures.Panel> panels = new ArrayList<>();
        String cls = spec.labels().name(e.classIndex());
        panels.add(new Pictures.Panel(backdrop, "image", cls));
        for (CamMethod m : camMethods) {
            CamResult r = e.result(m.id());
            RgbImage pic;
            if (r.pixels() != null) {
                pic = Overlay.gradientPicture(r.pixels().data(), backdrop.width(), backdrop.height());
            } else {
                pic = overlay.equals("add") ? Overlay.additive(backdrop, r.map().data(), cmap)
                        : Overlay.blend(backdrop, r.map().data(), cmap, 0.5f);
            }
            pictures.put(dir.resolve(pictureName(m)), pic);
            panels.add(new Pictures.Panel(pic, m.name(), String.format(Locale.ROOT, "%s (score %.3f)", cls, e.score())));
            if (saveRaw) {
                if (!r.layers().isEmpty()) {
                    CamResult.LayerResult first = r.layers().get(0);
                    if (first.weights() != null) {
                        arrays.put(dir.resolve(m.id() + "_weights.npy"), first.weights());
                    }
                    arrays.put(dir.resolve(m.id() + "_cam_lowres.npy"), first.lowRes());
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
            arrays.put(dir.resolve("logits.npy"), new FloatTensor(shape, e.logits()));
            arrays.put(dir.resolve("activations.npy"), e.activations());
            arrays.put(dir.resolve("gradients.npy"), e.gradients());
        }
        if (!noFigure) {
            pictures.put(dir.resolve("compare.png"), Pictures.figure(panels));
        }
        pictures.forEach((p, img) -> Pictures.save(img, p));
        arrays.forEach((p, t) -> Npy.write(p, t));
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

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
