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
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.CamResult;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.Target;
import org.xgradcam.image.Colormap;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Overlay;
import org.xgradcam.image.RgbImage;
import org.xgradcam.models.ModelCache;
import org.xgradcam.models.ModelSpec;
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

    /** What to explain and how; the same names as the command line's options. */
    public record Options(String model, List<String> methods, String layer, Integer targetIndex, int topK,
                          boolean pictures) implements Serializable {
        public Options {
            if (model == null || model.isBlank()) {
                throw new XGradCamException("no model given: a catalogue name or an .onnx file");
            }
            methods = List.copyOf(methods == null || methods.isEmpty() ? List.of("xgradcam") : methods);
            for (String m : methods) {
                Methods.byName(m); // unknown methods are refused before any job starts
            }
            if (topK < 0) {
                throw new XGradCamException("--top-k must be at least 0, not " + topK);
            }
        }

        public static Options of(String model, String... methods) {
            return new Options(model, List.of(methods), null, null, 0, true);
        }

        public Options withLayer(String l) {
            return new Options(model, methods, l, targetIndex, topK, pictures);
        }

        public Options withTarget(Integer t) {
            return new Options(model, methods, layer, t, topK, pictures);
        }

        public Options withTopK(int k) {
            return new Options(model, methods, layer, targetIndex, k, pictures);
        }

        public Options withPictures(boolean p) {
            return new Options(model, methods, layer, targetIndex, topK, p);
        }
    }

    /** The schema of the result rows (maps keyed by method id). */
    public static StructType schema() {
        return new StructType(new StructField[] {
            DataTypes.createStructField("path", DataTypes.StringType, false),
            DataTypes.createStructField("length", DataTypes.LongType, true),
            DataTypes.createStructField("modificationTime", DataTypes.TimestampType, true),
            DataTypes.createStructField("class_index", DataTypes.IntegerType, true),
            DataTypes.createStructField("class", DataTypes.StringType, true),
            DataTypes.createStructField("score", DataTypes.DoubleType, true),
            DataTypes.createStructField("top_k", DataTypes.createArrayType(DataTypes.IntegerType), true),
            DataTypes.createStructField("map_height", DataTypes.IntegerType, true),
            DataTypes.createStructField("map_width", DataTypes.IntegerType, true),
            DataTypes.createStructField("maps", DataTypes.createMapType(DataTypes.StringType,
                    DataTypes.createArrayType(DataTypes.FloatType)), true),
            DataTypes.createStructField("pictures", DataTypes.createMapType(DataTypes.StringType, DataTypes.BinaryType), true),
            DataTypes.createStructField("error", DataTypes.StringType, true)});
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
            return new Options("sparkfile:" + p.getFileName(), o.methods(), o.layer(), o.targetIndex(), o.topK(), o.pictures());
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
            } catch (XGradCamException | IllegalArgumentException e) {
                return RowFactory.create(path, length, time, null, null, null, null, null, null, null, null,
                        e.getMessage() == null ? e.toString() : e.getMessage());
            } catch (RuntimeException e) {
                return RowFactory.create(path, length, time, null, null, null, null, null, null, null, null,
                        "internal error: " + e);
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

    private static final Map<Options, Explainer> EXPLAINERS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> EXPLAINERS.values().forEach(Explainer::close)));
    }

    /** This JVM's explainer for the options: opened once, shared (Explainer is thread-safe). */
    static Explainer explainer(Options o) {
        return EXPLAINERS.computeIfAbsent(o, k -> {
            String name = k.model();
            ModelSpec spec = name.startsWith("sparkfile:") ? ModelSpec.ofFile(Path.of(SparkFiles.get(name.substring(10))))
                    : ModelSpec.resolve(name, new ModelCache());
            return Explainer.open(spec, Explainer.Options.defaults()); // the input shape follows the preprocessing
        });
    }

    private static Row explainOne(String path, Long length, java.sql.Timestamp time, byte[] content, Options o) {
        Explainer e = explainer(o);
        ModelSpec spec = e.spec();
        if (e.shapes().shape(e.layers().score()).length != 2) {
            throw new XGradCamException(spec.name() + " is not a classifier ([N, classes] scores); the Spark job explains classifiers");
        }
        RgbImage fitted = spec.preprocessing().fit(ImageLoader.decode(content, path));
        FloatTensor x = spec.preprocessing().toTensor(fitted);
        List<CamMethod> methods = o.methods().stream().map(Methods::byName).toList();
        Explainer.Request req = Explainer.Request.of(methods.toArray(new CamMethod[0]))
                .withTarget(o.targetIndex() == null ? Target.topClass() : Target.classes(o.targetIndex()));
        if (o.layer() != null) {
            req = req.withLayers(List.of(o.layer()));
        }
        Explanation ex = e.explain(x, req).get(0);
        java.util.Map<String, Object> maps = new java.util.LinkedHashMap<>();
        java.util.Map<String, byte[]> pictures = new java.util.LinkedHashMap<>();
        int h = 0;
        int w = 0;
        for (CamMethod m : methods) {
            CamResult r = ex.result(m.id());
            if (r.map() == null) {
                continue;
            }
            FloatTensor low = r.layers().get(0).raw();
            h = low.dim(low.rank() - 2);
            w = low.dim(low.rank() - 1);
            maps.put(m.id(), floats(low.data()));
            if (o.pictures()) {
                pictures.put(m.id(), org.xgradcam.image.Pictures.png(Overlay.additive(fitted, r.map().data(), Colormap.JET)));
            }
        }
        List<Integer> top = new ArrayList<>();
        for (int c : ex.topK(o.topK())) {
            top.add(c);
        }
        return RowFactory.create(path, length, time, ex.classIndex(), spec.labels().name(ex.classIndex()), ex.score(),
                scala.jdk.javaapi.CollectionConverters.asScala(top).toSeq(), h, w,
                scalaMap(maps), o.pictures() ? scalaMap(pictures) : null, null);
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
