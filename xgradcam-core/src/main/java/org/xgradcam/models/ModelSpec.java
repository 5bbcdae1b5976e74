package org.xgradcam.models;

import java.nio.file.Files;
import java.nio.file.Path;
import org.xgradcam.XGradCamException;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.onnx.proto.OnnxProto.TensorShapeProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * A model ready to use: the ONNX file, how to preprocess images for it (and where that came
 * from), and its labels.
 */
public record ModelSpec(String name, OnnxModel model, Preprocessing preprocessing, Labels labels, Origin origin) {
    /** Where a model's preprocessing came from. */
    public enum Origin {
        /** Given with the model (the embedded demos, a library caller's). */
        GIVEN,
        /** The catalogue's entry for the model. */
        CATALOGUE,
        /** The model's own metadata (the xgradcam.* keys, docs/export.md). */
        METADATA,
        /** Nothing said it: the original tool's, at the model's input size. */
        DEFAULT
    }

    public ModelSpec(String name, OnnxModel model, Preprocessing preprocessing, Labels labels) {
        this(name, model, preprocessing, labels, Origin.GIVEN);
    }

    /**
     * A catalogue name (downloaded into the cache on first use, checksum-verified) or a path to
     * an .onnx file (preprocessing and labels guessed from the model, or taken from the
     * catalogue when the file is a catalogue model's).
     */
    /** The embedded demo classifier's name: shapes on textured backgrounds, 96x96, offline. */
    public static final String DEMO = "shapes";

    /** The embedded demo detector's name: a YOLO-style dense head over the same shapes. */
    public static final String DEMO_DETECTOR = "shapes-detector";

    /** The embedded demo classifier (trained by tools/demo_model/train.py; see the README beside it). */
    public static ModelSpec demo() {
        return embedded("shapes.onnx", DEMO, "the embedded demo model (shapes)");
    }

    /** The embedded demo detector, [1, 4+6, 144] (trained by tools/demo_detector/train.py). */
    public static ModelSpec demoDetector() {
        return embedded("shapes-detector.onnx", DEMO_DETECTOR, "the embedded demo detector (shapes-detector)");
    }

    private static ModelSpec embedded(String file, String name, String source) {
        try (java.io.InputStream in = ModelSpec.class.getResourceAsStream("demo/" + file)) {
            if (in == null) {
                throw new IllegalStateException(source + " is missing from the jar");
            }
            OnnxModel m = OnnxModel.fromBytes(in.readAllBytes(), source);
            return new ModelSpec(name, m, org.xgradcam.image.Preprocessing.seed().withSize(96, 96),
                    Labels.of(ModelSpec.class.getResourceAsStream("demo/labels.txt"), "demo labels"));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ModelSpec resolve(String nameOrFile, ModelCache cache) {
        if (nameOrFile == null || nameOrFile.isBlank()) {
            throw new XGradCamException("no model given", XGradCamException.Advice.MODELS);
        }
        if (nameOrFile.equalsIgnoreCase(DEMO)) {
            return demo();
        }
        if (nameOrFile.equalsIgnoreCase(DEMO_DETECTOR)) {
            return demoDetector();
        }
        var entry = Catalogue.find(nameOrFile);
        if (entry.isPresent()) {
            Path file = cache.fetch(entry.get());
            return new ModelSpec(entry.get().name(), OnnxModel.load(file), entry.get().preprocessing(),
                    Labels.resource(entry.get().labels()), Origin.CATALOGUE);
        }
        Path file;
        try {
            file = Path.of(nameOrFile);
        } catch (java.nio.file.InvalidPathException e) {
            throw new XGradCamException("model '" + nameOrFile + "' is neither a known name nor a valid path ("
                    + e.getReason() + ")", XGradCamException.Advice.MODELS);
        }
        if (!Files.exists(file) && !Files.isSymbolicLink(file)) {
            if (nameOrFile.toLowerCase(java.util.Locale.ROOT).endsWith(".onnx") || nameOrFile.contains("/")
                    || nameOrFile.contains(java.io.File.separator)) {
                throw new XGradCamException("model file not found: " + nameOrFile, XGradCamException.Advice.MODELS);
            }
            StringBuilder names = new StringBuilder();
            names.append(DEMO).append(", ").append(DEMO_DETECTOR);
            Catalogue.entries().forEach(e -> names.append(", ").append(e.name()));
            throw new XGradCamException("unknown model '" + nameOrFile + "': neither a file nor a known name (" + names + ")",
                    XGradCamException.Advice.MODELS);
        }
        return ofFile(file);
    }

    /** A model file: the catalogue's preprocessing and labels if it is a catalogue model's file, else guessed. */
    public static ModelSpec ofFile(Path file) {
        OnnxModel m = OnnxModel.load(file);
        String name = file.getFileName().toString();
        var entry = Catalogue.entries().stream().filter(e -> e.file().equals(name)).findFirst();
        if (entry.isPresent()) {
            return new ModelSpec(name, m, entry.get().preprocessing(), Labels.resource(entry.get().labels()), Origin.CATALOGUE);
        }
        return of(m, name);
    }

    /**
     * A model already loaded (from bytes, say): the preprocessing its metadata names, else the
     * original tool's at its input size; labels from its metadata, else guessed from its classes.
     */
    public static ModelSpec of(OnnxModel m, String name) {
        Preprocessing guessed = guessPreprocessing(m);
        var carried = org.xgradcam.image.PreprocessingOverrides.fromMetadata(m.proto(), name);
        return carried.isPresent() ? new ModelSpec(name, m, carried.get().apply(guessed), guessLabels(m), Origin.METADATA)
                : new ModelSpec(name, m, guessed, guessLabels(m), Origin.DEFAULT);
    }

    /**
     * For a model file: the original tool's preprocessing (direct resize, [0, 1], ImageNet
     * mean/std) at the model's input size (224 where free), channels-last if the input says so.
     */
    public static Preprocessing guessPreprocessing(OnnxModel m) {
        ValueInfoProto in = m.proto().getGraph().getInput(0);
        for (ValueInfoProto v : m.proto().getGraph().getInputList()) {
            boolean init = m.proto().getGraph().getInitializerList().stream().anyMatch(t -> t.getName().equals(v.getName()));
            if (!init) {
                in = v;
                break;
            }
        }
        TensorShapeProto s = in.getType().getTensorType().getShape();
        long[] d = new long[s.getDimCount()];
        for (int i = 0; i < d.length; i++) {
            d[i] = s.getDim(i).hasDimValue() ? s.getDim(i).getDimValue() : -1;
        }
        if (d.length == 5) {
            return clipPreprocessing(m, d);
        }
        if (s.getDimCount() != 0 && d.length != 4) {
            throw new XGradCamException(m.source() + " takes an input of shape " + shape(d) + "; xgradcam feeds images as"
                    + " [N, 3, H, W] (or [N, H, W, 3]) tensors and clips or volumes as [N, C, T, H, W] (or [N, T, H, W, C]):"
                    + " re-export the model with an image or clip input");
        }
        boolean nhwc = d.length == 4 && d[3] == 3 && d[1] != 3;
        long h = d.length == 4 ? (nhwc ? d[1] : d[2]) : -1;
        long w = d.length == 4 ? (nhwc ? d[2] : d[3]) : -1;
        if (h > Preprocessing.MAX_SIDE || w > Preprocessing.MAX_SIDE || (h > 0 && w > 0 && h * w > ImageLoader.MAX_PIXELS / 4)) {
            throw new XGradCamException(m.source() + " declares an input of " + w + "x" + h + " pixels, more than xgradcam"
                    + " feeds a model (at most " + Preprocessing.MAX_SIDE + " a side, 25 megapixels); re-export it for a smaller input");
        }
        Preprocessing p = Preprocessing.seed().withSize(w > 0 ? (int) w : 224, h > 0 ? (int) h : 224).withNhwc(nhwc);
        // torchvision's detectors normalise inside the graph (GeneralizedRCNNTransform): they take [0, 1] values
        return org.xgradcam.onnx.DetectionOutputs.of(m).isPresent()
                ? p.withMeanStd(new float[] {0, 0, 0}, new float[] {1, 1, 1}) : p;
    }

    /**
     * A clip or volume input [N, C, T, H, W] (or [N, T, H, W, C]): three channels are video, as
     * torchvision's video models take it (frames resized, centre crop, Kinetics mean and std; the
     * free frames and sides of ModelShapes where free); one channel is a volume of grey slices in [0, 1], resized
     * straight to the model's size.
     */
    private static Preprocessing clipPreprocessing(OnnxModel m, long[] d) {
        boolean last = org.xgradcam.onnx.ModelShapes.clipChannelsLast(d);
        long c = last ? d[4] : d[1];
        if (c != 3 && c != 1) {
            throw new XGradCamException(m.source() + " takes an input of shape " + shape(d) + "; xgradcam reads a rank-5 input"
                    + " as a clip or volume [N, C, T, H, W] (or [N, T, H, W, C]) of 1 or 3 channels");
        }
        long t = last ? d[1] : d[2];
        long h = last ? d[2] : d[3];
        long w = last ? d[3] : d[4];
        int frames = t > 0 ? (int) Math.min(t, Preprocessing.MAX_FRAMES + 1L) : org.xgradcam.onnx.ModelShapes.FREE_FRAMES;
        int height = h > 0 ? (int) Math.min(h, Preprocessing.MAX_SIDE + 1L) : org.xgradcam.onnx.ModelShapes.FREE_CLIP_SIDE;
        int width = w > 0 ? (int) Math.min(w, Preprocessing.MAX_SIDE + 1L) : org.xgradcam.onnx.ModelShapes.FREE_CLIP_SIDE;
        if (frames > Preprocessing.MAX_FRAMES || height > Preprocessing.MAX_SIDE || width > Preprocessing.MAX_SIDE) {
            throw new XGradCamException(m.source() + " declares an input of " + shape(d) + ", more than xgradcam feeds a model"
                    + " (at most " + Preprocessing.MAX_FRAMES + " frames and " + Preprocessing.MAX_SIDE + " a side)");
        }
        Preprocessing p = c == 3 ? Preprocessing.torchvisionVideo(Math.min(width, height), frames).withSize(width, height)
                : Preprocessing.seed().withSize(width, height).withMeanStd(new float[] {0, 0, 0}, new float[] {1, 1, 1})
                        .withFrames(frames).withChannels(1);
        return p.withNhwc(last);
    }

    private static String shape(long[] d) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < d.length; i++) {
            b.append(i == 0 ? "" : ", ").append(d[i] < 0 ? "?" : String.valueOf(d[i]));
        }
        return b.append(']').toString();
    }

    /** The same model with another preprocessing. */
    public ModelSpec withPreprocessing(org.xgradcam.image.Preprocessing p) {
        return new ModelSpec(name, model, p, labels);
    }

    /**
     * The same model with other labels (a user's labels file, say), which must name as many
     * classes as the model scores when its output shape says how many; {@code source} names them in
     * the error.
     */
    public ModelSpec withLabels(Labels l, String source) {
        int classes = classCount(model);
        if (classes > 0 && l.lines().size() != classes) {
            throw new XGradCamException(source + " has " + l.lines().size() + " names but the model scores " + classes
                    + " classes; give one name per class, in class-index order");
        }
        return new ModelSpec(name, model, preprocessing, l, origin);
    }

    /**
     * ImageNet labels for 1000-class models, COCO labels for raw dense detection heads with 80
     * classes ([1, 84, N] or [1, N, 85]), else class numbers.
     */
    public static Labels guessLabels(OnnxModel m) {
        java.util.Optional<Labels> carried = Labels.fromMetadata(m.proto());
        int count = classCount(m);
        if (carried.isPresent() && (count < 0 || carried.get().lines().size() == count)) {
            return carried.get(); // the names the exporter wrote into the model
        }
        if (org.xgradcam.onnx.DetectionOutputs.of(m).isPresent()) {
            // torchvision's COCO detectors number 91 categories, background and gaps included
            return count == 91 ? Labels.resource("coco91") : Labels.none(); // (count: read from its heads)
        }
        boolean detector = m.proto().getGraph().getOutput(0).getType().getTensorType().getShape().getDimCount() == 3;
        if (!detector && count == 1000) {
            return Labels.resource("imagenet");
        }
        return detector && count == 80 ? Labels.resource("coco") : Labels.none();
    }

    /**
     * The classes of a torchvision detector, from its heads' last layers as torch names them
     * (/roi_heads/box_predictor/cls_score for Faster R-CNN: K outputs; /head/classification_head
     * and /head/regression_head for RetinaNet, FCOS and SSD: A*K and A*4 channels per location);
     * -1 when the graph does not say.
     */
    static int torchvisionClasses(OnnxModel m) {
        long cls = -1;
        long reg = -1;
        boolean gemm = false;
        var g = m.proto().getGraph();
        java.util.Map<String, long[]> dims = new java.util.HashMap<>();
        g.getInitializerList().forEach(t -> dims.put(t.getName(), t.getDimsList().stream().mapToLong(Long::longValue).toArray()));
        for (var n : g.getNodeList()) {
            if (!(n.getOpType().equals("Conv") || n.getOpType().equals("Gemm")) || n.getInputCount() < 2
                    || !dims.containsKey(n.getInput(1))) {
                continue;
            }
            long out = dims.get(n.getInput(1))[0];
            if (n.getName().startsWith("/roi_heads/box_predictor/cls_score/")) {
                cls = out;
                gemm = true;
            } else if (n.getName().startsWith("/head/classification_head/")) {
                cls = out; // the last one is the final layer of the last level
            } else if (n.getName().startsWith("/head/regression_head/") && !n.getName().contains("ctrness")) { // FCOS's centreness: one per location
                reg = out;
            }
        }
        if (gemm) {
            return (int) cls;
        }
        return cls > 0 && reg > 0 && reg % 4 == 0 && cls % (reg / 4) == 0 ? (int) (cls / (reg / 4)) : -1;
    }

    /**
     * How many classes the first output scores, when its shape says so: C of a [N, C] classifier,
     * K of a [1, 4+K, N] or [1, N, 5+K] detection head; -1 when it does not.
     */
    public static int classCount(OnnxModel m) {
        if (org.xgradcam.onnx.DetectionOutputs.of(m).isPresent()) {
            return torchvisionClasses(m); // its first output is boxes [D, 4], not class scores
        }
        var out = m.proto().getGraph().getOutput(0).getType().getTensorType().getShape();
        long[] d = new long[out.getDimCount()];
        for (int i = 0; i < d.length; i++) {
            d[i] = out.getDim(i).hasDimValue() ? out.getDim(i).getDimValue() : -1;
        }
        if (d.length == 2 && d[1] > 0) {
            return (int) d[1];
        }
        // a detection head: the attributes are the shorter axis (anchors far outnumber them)
        if (d.length == 3 && d[1] > 0 && d[2] > 0 && Math.min(d[1], d[2]) >= 5) {
            return (int) (d[1] < d[2] ? d[1] - 4 : d[2] - 5);
        }
        return -1;
    }
}
