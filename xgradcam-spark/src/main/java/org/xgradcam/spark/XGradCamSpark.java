package org.xgradcam.spark;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamResult;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.PostProcess;
import org.xgradcam.image.Colormap;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.PreprocessingOverrides;
import org.xgradcam.models.ModelCache;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.pipeline.ModelKind;
import org.xgradcam.pipeline.Pipeline;
import org.xgradcam.pipeline.Request;
import org.xgradcam.pipeline.Result;
import org.xgradcam.tensor.FloatTensor;

/**
 * xgradcam's explain over a Spark Dataset of images: rows with {@code path} (string) and
 * {@code content} (the file's bytes, as Spark's binaryFile source reads them) in, one row per
 * image out: its top class and score (or the class asked for), the top-k classes, and per method
 * the low-resolution map as floats and the overlay as PNG bytes. {@code class} is the class's name
 * and {@code class_index} its number, as in the command line's --json. A failed image is a row with its
 * {@code error}, never a failed job. One Explainer per executor JVM (per model and options),
 * opened on first use and shared by every partition and task thread that runs there.
 */
public final class XGradCamSpark {
    private XGradCamSpark() {}

    /**
     * What to explain and how; the same names and defaults as the command line's options: the
     * model, the methods (default Grad-CAM and XGrad-CAM), the layer, the target (a class by
     * index, name or WordNet id), the top k classes, for detectors the score threshold, the most
     * detections kept and the one explained, the post-processing convention, the preprocessing
     * overrides, whether the overlays are kept as PNG bytes, and for a sequence model the step
     * explained (null: the decoded text).
     */
    public record Options(String model, List<String> methods, String layer, String target, Integer topK, double scoreThreshold,
                          int maxDetections, Integer box, String postprocess, PreprocessingOverrides preprocessing,
                          boolean pictures, Integer step) implements Serializable {
        public Options {
            if (model == null || model.isBlank()) {
                throw new XGradCamException("no model given: a catalogue name or an .onnx file");
            }
            methods = List.copyOf(methods == null || methods.isEmpty() ? Request.DEFAULT_METHODS : methods);
            preprocessing = preprocessing == null ? PreprocessingOverrides.none() : preprocessing;
            postprocess = postprocess == null ? "seed" : postprocess;
            preprocessing.validate();
            request(methods, layer, target, topK, scoreThreshold, maxDetections, box, postprocess, pictures, step); // checked now
        }

        public static Options of(String model, String... methods) {
            return new Options(model, List.of(methods), null, null, null, 0.25, Request.DEFAULT_MAX_DETECTIONS, null, "seed",
                    PreprocessingOverrides.none(), true, null);
        }

        public Options withLayer(String l) {
            return new Options(model, methods, l, target, topK, scoreThreshold, maxDetections, box, postprocess, preprocessing,
                    pictures, step);
        }

        public Options withTarget(String t) {
            return new Options(model, methods, layer, t, topK, scoreThreshold, maxDetections, box, postprocess, preprocessing,
                    pictures, step);
        }

        public Options withTopK(Integer k) {
            return new Options(model, methods, layer, target, k, scoreThreshold, maxDetections, box, postprocess, preprocessing,
                    pictures, step);
        }

        public Options withPictures(boolean p) {
            return new Options(model, methods, layer, target, topK, scoreThreshold, maxDetections, box, postprocess, preprocessing,
                    p, step);
        }

        /** For a sequence model (a text recogniser): explain step t instead of the decoded text. */
        public Options withStep(Integer t) {
            return new Options(model, methods, layer, target, topK, scoreThreshold, maxDetections, box, postprocess, preprocessing,
                    pictures, t);
        }

        public Options withModel(String m) {
            return new Options(m, methods, layer, target, topK, scoreThreshold, maxDetections, box, postprocess, preprocessing,
                    pictures, step);
        }

        /** The pipeline's request these options make. */
        Request request() {
            return request(methods, layer, target, topK, scoreThreshold, maxDetections, box, postprocess, pictures, step);
        }

        private static Request request(List<String> methods, String layer, String target, Integer topK, double threshold,
                                       int max, Integer box, String postprocess, boolean pictures, Integer step) {
            return Request.defaults().withMethods(Request.methods(methods)).withLayers(layer == null ? List.of() : List.of(layer))
                    .withTarget(target).withTopK(topK).withDetections(threshold, max, box, null).withStep(step)
                    .withConvention(PostProcess.parse(postprocess)).withPictures(pictures, Colormap.JET, false, false);
        }
    }

    private static StructField field(String name, org.apache.spark.sql.types.DataType type) {
        return DataTypes.createStructField(name, type, true);
    }

    private static final org.apache.spark.sql.types.DataType MAPS = DataTypes.createMapType(DataTypes.StringType,
            DataTypes.createArrayType(DataTypes.FloatType));
    private static final org.apache.spark.sql.types.DataType PICTURES = DataTypes.createMapType(DataTypes.StringType,
            DataTypes.BinaryType);

    private static final StructType CLASS_SCORE = new StructType(new StructField[] {field("class_index", DataTypes.IntegerType),
        field("class", DataTypes.StringType), field("wnid", DataTypes.StringType), field("logit", DataTypes.DoubleType),
        field("probability", DataTypes.DoubleType)});
    private static final StructType SEGMENT = new StructType(new StructField[] {field("class_index", DataTypes.IntegerType),
        field("class", DataTypes.StringType), field("wnid", DataTypes.StringType), field("pixel_share", DataTypes.DoubleType)});
    private static final StructType DETECTION = new StructType(new StructField[] {field("index", DataTypes.IntegerType),
        field("class_index", DataTypes.IntegerType), field("class", DataTypes.StringType), field("wnid", DataTypes.StringType),
        field("score", DataTypes.DoubleType), field("box", DataTypes.createArrayType(DataTypes.DoubleType)),
        field("mask_pixels", DataTypes.IntegerType),
        field("keypoints", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType)))});
    private static final StructType SYMBOL = new StructType(new StructField[] {field("step", DataTypes.IntegerType),
        field("class", DataTypes.IntegerType), field("text", DataTypes.StringType), field("score", DataTypes.DoubleType)});
    private static final StructType SEQUENCE = new StructType(new StructField[] {field("text", DataTypes.StringType),
        field("symbols", DataTypes.createArrayType(SYMBOL)), field("explained_step", DataTypes.IntegerType)});
    private static final StructType EXPLAINED = new StructType(new StructField[] {field("rank", DataTypes.IntegerType),
        field("detection", DataTypes.IntegerType), field("class_index", DataTypes.IntegerType),
        field("class", DataTypes.StringType), field("wnid", DataTypes.StringType), field("score", DataTypes.DoubleType),
        field("map_height", DataTypes.IntegerType), field("map_width", DataTypes.IntegerType), field("maps", MAPS),
        field("pictures", PICTURES)});

    /**
     * The schema of the result rows: the result document's fields (docs/results.md) as columns,
     * named and formed as the command line's --json and the API name them. The class explained
     * first (class_index, class, wnid, score) and its maps are columns of their own; every thing
     * explained (the ranked classes of top-k, each detection) is an entry of explanations. Maps are
     * keyed by method id.
     */
    public static StructType schema() {
        return new StructType(new StructField[] {
            DataTypes.createStructField("path", DataTypes.StringType, false),
            field("length", DataTypes.LongType),
            field("modificationTime", DataTypes.TimestampType),
            field("kind", DataTypes.StringType),
            field("layer", DataTypes.StringType),
            field("class_index", DataTypes.IntegerType),
            field("class", DataTypes.StringType),
            field("wnid", DataTypes.StringType),
            field("score", DataTypes.DoubleType),
            field("top5", DataTypes.createArrayType(CLASS_SCORE)),
            field("segments", DataTypes.createArrayType(SEGMENT)),
            field("detections", DataTypes.createArrayType(DETECTION)),
            field("sequence", SEQUENCE),
            field("map_height", DataTypes.IntegerType),
            field("map_width", DataTypes.IntegerType),
            field("maps", MAPS),
            field("pictures", PICTURES),
            field("explanations", DataTypes.createArrayType(EXPLAINED)),
            field("warnings", DataTypes.createArrayType(DataTypes.StringType)),
            field("error", DataTypes.StringType)});
    }

    /** The image file names the job takes (the command line's, as Spark's glob filter). */
    static final String IMAGE_GLOB = "*.{png,PNG,jpg,JPG,jpeg,JPEG,bmp,BMP,gif,GIF,webp,WEBP,tif,tiff,TIF,TIFF}";

    private static final java.util.regex.Pattern IMAGE_NAME =
            java.util.regex.Pattern.compile(".*\\.(png|jpg|jpeg|bmp|gif|webp|tif|tiff)", java.util.regex.Pattern.CASE_INSENSITIVE);

    /**
     * The image files under a folder (recursively). A local folder is listed here, every entry
     * with an image name a row (path, length, modificationTime), and each executor reads its
     * files itself, so that an empty file, a link that leads nowhere, an unreadable or vanished
     * file is a row with its error like any other failure (Spark's binaryFile source leaves
     * such files out, or fails the whole job on them). A URI (hdfs://, s3a://, ...) is read by
     * Spark's binaryFile source, with the files' bytes in {@code content}.
     */
    public static Dataset<Row> readImages(SparkSession spark, String folder) {
        if (folder.contains("://")) {
            return spark.read().format("binaryFile").option("recursiveFileLookup", "true")
                    .option("pathGlobFilter", IMAGE_GLOB).load(folder);
        }
        List<Row> rows = new ArrayList<>();
        Path root = Path.of(folder).toAbsolutePath().normalize();
        try {
            Files.walkFileTree(root, java.util.Set.of(java.nio.file.FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new java.nio.file.SimpleFileVisitor<>() {
                        @Override
                        public java.nio.file.FileVisitResult visitFile(Path p, java.nio.file.attribute.BasicFileAttributes a) {
                            if (IMAGE_NAME.matcher(p.getFileName().toString()).matches()) {
                                rows.add(RowFactory.create("file:" + p, a.isRegularFile() ? a.size() : null,
                                        new java.sql.Timestamp(a.lastModifiedTime().toMillis())));
                            }
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }

                        @Override
                        public java.nio.file.FileVisitResult visitFileFailed(Path p, java.io.IOException e) {
                            // a link loop, an unreadable file or folder: listed all the same, its row says what
                            // is wrong (a folder walked twice through links is no entry of its own)
                            boolean image = IMAGE_NAME.matcher(p.getFileName().toString()).matches();
                            if (p.equals(root) || (!image && e instanceof java.nio.file.FileSystemLoopException)) {
                                return java.nio.file.FileVisitResult.CONTINUE;
                            }
                            if (image || e instanceof java.nio.file.AccessDeniedException) {
                                rows.add(RowFactory.create("file:" + p, null, null));
                            }
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }
                    });
        } catch (java.io.IOException e) {
            throw new XGradCamException("cannot list --images " + folder + ": " + e.getMessage());
        }
        StructType listing = new StructType(new StructField[] {
            DataTypes.createStructField("path", DataTypes.StringType, false),
            DataTypes.createStructField("length", DataTypes.LongType, true),
            DataTypes.createStructField("modificationTime", DataTypes.TimestampType, true)});
        return spark.createDataFrame(rows, listing);
    }

    /**
     * Ships a model file with the job (SparkFiles), so executors on other machines find it; a
     * catalogue name is left as it is (each executor downloads it once into its cache).
     */
    public static Options ship(SparkSession spark, Options o) {
        Path p = Path.of(o.model());
        if (Files.isRegularFile(p)) {
            spark.sparkContext().addFile(p.toAbsolutePath().toString());
            return o.withModel("sparkfile:" + p.getFileName());
        }
        return o;
    }

    /**
     * One result row per image row: column {@code path}, and {@code content} (the bytes) or, where
     * there is none, a local file at {@code path} that the executor reads; length and
     * modificationTime are kept if present.
     */
    public static Dataset<Row> explain(Dataset<Row> images, Options o) {
        if (!List.of(images.columns()).contains("path")) {
            throw new XGradCamException("the images Dataset has no 'path' column (it has "
                    + String.join(", ", images.columns()) + "); read images with XGradCamSpark.readImages");
        }
        return images.mapPartitions((MapPartitionsFunction<Row, Row>) rows -> new Explaining(rows, o), Encoders.row(schema()));
    }

    /** Explains a partition's rows one by one, lazily, each failure a row of its own. */
    private static final class Explaining implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final Options options;

        Explaining(Iterator<Row> rows, Options options) {
            this.rows = rows;
            this.options = options;
        }

        @Override
        public boolean hasNext() {
            return rows.hasNext();
        }

        @Override
        public Row next() {
            Row in = rows.next();
            String path = in.getAs("path");
            Long length = has(in, "length") ? in.getAs("length") : null;
            java.sql.Timestamp time = has(in, "modificationTime") ? in.getAs("modificationTime") : null;
            try {
                byte[] content = has(in, "content") ? in.getAs("content") : read(path);
                return explainOne(path, length, time, content, options);
            } catch (XGradCamException e) {
                return failed(path, length, time, e.message(SPARK_WORDS));
            } catch (IllegalArgumentException e) {
                return failed(path, length, time, e.getMessage() == null ? e.toString() : e.getMessage());
            } catch (RuntimeException e) {
                return failed(path, length, time, "internal error: " + e);
            }
        }

        /** A listed local file's bytes, with the command line's checks (regular, readable, not empty, bounded). */
        private static byte[] read(String path) {
            Path p = Path.of(path.startsWith("file:") ? path.substring(5) : path);
            if (Files.isDirectory(p)) {
                throw new XGradCamException("folder " + p + " could not be read (" + (Files.isReadable(p) ? "an error"
                        : "permission denied") + "): the images in it are not explained");
            }
            byte[] b = org.xgradcam.validation.InputFiles.read(p, "image", ImageLoader.MAX_FILE_BYTES);
            if (b.length == 0) {
                throw new XGradCamException("image " + p + " is empty (0 bytes)");
            }
            return b;
        }

        private static boolean has(Row r, String field) {
            return List.of(r.schema().fieldNames()).contains(field);
        }
    }

    /** The way out of an error, in the words of someone running the job. */
    static final java.util.function.Function<XGradCamException.Advice, String> SPARK_WORDS = a -> switch (a) {
        case LAYERS -> "list the model's layers with 'xgradcam layers --model MODEL', and give one with --layer";
        case MODELS -> "give --model a catalogue name ('xgradcam models' lists them) or an .onnx file";
        case LABELS -> "give the class index";
        case DAMAGED_IMAGE -> "re-encode or replace it";
        case MODEL_FILE -> "or give --model the file itself";
    };

    private static Row failed(String path, Long length, java.sql.Timestamp time, String error) {
        Object[] v = new Object[schema().size()];
        v[0] = path;
        v[1] = length;
        v[2] = time;
        v[v.length - 1] = error;
        return RowFactory.create(v);
    }

    private static final Map<Options, Pipeline> PIPELINES = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> PIPELINES.values().forEach(Pipeline::close)));
    }

    /** This JVM's pipeline for the options: opened once, shared (the pipeline is thread-safe). */
    static Pipeline pipeline(Options o) {
        return PIPELINES.computeIfAbsent(o, k -> {
            String name = k.model();
            ModelSpec spec = name.startsWith("sparkfile:") ? ModelSpec.ofFile(Path.of(SparkFiles.get(name.substring(10))))
                    : ModelSpec.resolve(name, new ModelCache());
            return Pipeline.open(spec, k.preprocessing().apply(spec.preprocessing()), Explainer.Options.defaults(),
                    Pipeline.Sizing.of(spec, k.preprocessing()));
        });
    }

    private static Row explainOne(String path, Long length, java.sql.Timestamp time, byte[] content, Options o) {
        Pipeline p = pipeline(o);
        Result r = p.explain(p.prepare(content, path, false, ImageLoader.MAX_PIXELS), p.plan(o.request()));
        List<Row> top = new ArrayList<>();
        for (Result.ClassScore c : r.classes()) {
            top.add(RowFactory.create(c.classIndex(), c.name(), c.wordNetId(), c.logit(), c.probability()));
        }
        List<Row> segments = new ArrayList<>();
        for (Result.Segment s : r.segments()) {
            segments.add(RowFactory.create(s.classIndex(), s.name(), s.wordNetId(), s.pixelShare()));
        }
        List<Row> detections = new ArrayList<>();
        for (Object o2 : (List<?>) r.toJson().getOrDefault("detections", List.of())) {
            // the result document's detection entries, field by field (mask_pixels, keypoints where the model has them)
            java.util.Map<?, ?> d = (java.util.Map<?, ?>) o2;
            List<Object> keypoints = null;
            if (d.get("keypoints") instanceof List<?> k) {
                keypoints = new ArrayList<>();
                for (Object point : k) {
                    keypoints.add(seq((List<?>) point));
                }
            }
            detections.add(RowFactory.create(d.get("index"), d.get("class_index"), d.get("class"), d.get("wnid"), d.get("score"),
                    seq((List<?>) d.get("box")), d.get("mask_pixels"), keypoints == null ? null : seq(keypoints)));
        }
        Row sequence = null;
        if (r.sequence() != null) {
            List<Row> symbols = new ArrayList<>();
            for (var sym : r.sequence().symbols()) {
                symbols.add(RowFactory.create(sym.step(), sym.classIndex(), sym.text(), sym.score()));
            }
            sequence = RowFactory.create(r.sequence().text(), seq(symbols), r.sequence().step());
        }
        List<Row> explained = new ArrayList<>();
        Object[] firstMaps = null;
        for (Result.Explained e : r.explained()) {
            Object[] m = maps(e, r, o.pictures());
            firstMaps = firstMaps == null ? m : firstMaps;
            // a sequence's text explained as a whole has no class index: its name is the text
            explained.add(RowFactory.create(e.rank(), e.detection(), e.classIndex() < 0 ? null : e.classIndex(), e.name(), e.wordNetId(), e.score(), m[0], m[1],
                    m[2], m[3]));
        }
        Result.Explained first = r.kind().detects() ? null : r.first();
        Object[] fm = firstMaps != null && first != null ? firstMaps : new Object[4];
        return RowFactory.create(path, length, time, r.kind().id(), r.layers().isEmpty() ? null : r.layers().get(0),
                first == null || first.classIndex() < 0 ? null : first.classIndex(), first == null ? null : first.name(),
                first == null ? null : first.wordNetId(), first == null ? null : first.score(),
                r.kind() == ModelKind.CLASSIFIER ? seq(top) : null, r.kind() == ModelKind.SEGMENTER ? seq(segments) : null,
                r.kind().detects() ? seq(detections) : null, sequence, fm[0], fm[1], fm[2], fm[3], seq(explained),
                seq(r.warnings()), null);
    }

    /** One explained thing's map size, maps (the layer's map as floats) and pictures (PNG) per method id. */
    private static Object[] maps(Result.Explained e, Result r, boolean pictures) {
        java.util.Map<String, Object> maps = new java.util.LinkedHashMap<>();
        java.util.Map<String, byte[]> pics = new java.util.LinkedHashMap<>();
        Integer h = null;
        Integer w = null;
        for (var m : r.methods()) {
            CamResult cr = e.explanation().result(m.id());
            if (cr.map() == null) {
                continue;
            }
            FloatTensor low = cr.layers().get(0).raw();
            h = low.dim(low.rank() - 2);
            w = low.dim(low.rank() - 1);
            maps.put(m.id(), floats(low.data()));
            Result.Pictures pic = e.pictures().get(m.id());
            if (pictures && pic != null) {
                pics.put(m.id(), org.xgradcam.image.Pictures.png(pic.overlay()));
            }
        }
        return new Object[] {h, w, scalaMap(maps), pictures ? scalaMap(pics) : null};
    }

    private static <T> scala.collection.immutable.Seq<T> seq(List<T> list) {
        return scala.jdk.javaapi.CollectionConverters.asScala(list).toSeq();
    }

    private static scala.collection.immutable.Seq<Object> floats(float[] v) {
        List<Object> out = new ArrayList<>(v.length);
        for (float f : v) {
            out.add(f);
        }
        return scala.jdk.javaapi.CollectionConverters.asScala(out).toSeq();
    }

    private static <V> scala.collection.Map<String, V> scalaMap(java.util.Map<String, V> m) {
        return scala.jdk.javaapi.CollectionConverters.asScala(m);
    }

}
