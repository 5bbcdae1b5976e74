package org.xgradcam.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.xgradcam.XGradCamException;
import org.xgradcam.image.PreprocessingOverrides;
import org.xgradcam.pipeline.Request;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The spark-submit (and {@code java -jar}) entry point: explains a folder of images into
 * Parquet or JSON. A rerun over the same output skips images already there (same path, size and
 * modification time) and appends the rest.
 */
@Command(name = "xgradcam-spark", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Explain a folder of images on Apache Spark: one row per image (class, score, top-k, maps, error).")
public final class XGradCamSparkJob implements Callable<Integer> {
    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default local[*]; under spark-submit its own).")
    String master;

    @Option(names = "--images", required = true, paramLabel = "DIR", description = "Folder of images (read recursively).")
    String images;

    @Option(names = "--model", required = true, paramLabel = "NAME|FILE", description = "Catalogue name or .onnx file (shipped with the job).")
    String model;

    @Option(names = {"--method", "--methods"}, split = ",", paramLabel = "M", description = "CAM methods (default gradcam and"
            + " xgradcam, as the command line).")
    List<String> methods = Request.DEFAULT_METHODS;

    @Option(names = "--layer", paramLabel = "NAME", description = "Target layer (default: as the command line picks it).")
    String layer;

    @Option(names = "--target-index", paramLabel = "CLASS", description = "Explain this class, by index, name or WordNet id"
            + " (default: each image's top class).")
    String target;

    @Option(names = "--top-k", paramLabel = "K", description = "Explain the K best classes of each image (entries of"
            + " explanations).")
    Integer topK;

    @Option(names = "--score-threshold", paramLabel = "T", description = "Detectors: keep the detections scoring above T"
            + " (default 0.25).")
    double scoreThreshold = 0.25;

    @Option(names = "--max-detections", paramLabel = "N", description = "Detectors: keep (and explain) at most the N best"
            + " (default " + Request.DEFAULT_MAX_DETECTIONS + ").")
    int maxDetections = Request.DEFAULT_MAX_DETECTIONS;

    @Option(names = "--box", paramLabel = "N", description = "Detectors: explain only the N-th detection.")
    Integer box;

    @Option(names = "--step", paramLabel = "T", description = "Sequence models (text recognisers): explain step T's class"
            + " instead of the decoded text.")
    Integer step;

    @Option(names = "--postprocess", paramLabel = "seed|pytorch-grad-cam|torch-cam", description = "Map post-processing"
            + " convention (default seed).")
    String postprocess = "seed";

    @Option(names = "--preprocessing", paramLabel = "original|torchvision",
            description = "A preset replacing the model's preprocessing (original: direct resize, OpenCV; torchvision: centre crop, PIL).")
    String preset;

    @Option(names = "--input-size", paramLabel = "HxW", description = "Input height and width, for models whose size is free.")
    String size;

    @Option(names = "--resize", paramLabel = "direct|crop", description = "Resize mode (default: the model's).")
    String resize;

    @Option(names = "--interpolation", paramLabel = "opencv|pil", description = "Bilinear resize (default: the model's).")
    String interpolation;

    @Option(names = "--scale", paramLabel = "0-1|0-255|-1-1", description = "Pixel value range before mean/std.")
    String scale;

    @Option(names = "--mean", paramLabel = "R,G,B", description = "Per-channel mean to subtract (after scaling).")
    String mean;

    @Option(names = "--std", paramLabel = "R,G,B", description = "Per-channel standard deviation to divide by.")
    String std;

    @Option(names = "--bgr", description = "Feed channels in BGR order.")
    boolean bgr;

    @Option(names = "--no-pictures", description = "Keep only the maps' floats, not their overlays as PNG bytes.")
    boolean noPictures;

    @Option(names = {"--output-dir", "--output"}, required = true, paramLabel = "DIR", description = "Output folder.")
    String output;

    @Option(names = "--format", paramLabel = "F", description = "parquet (default) or json.")
    String format = "parquet";

    @Option(names = "--partitions", paramLabel = "N", description = "Repartition the images into N partitions (default: as read).")
    Integer partitions;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the job; the exit status (0 done, 1 bad input, 2 usage) instead of exiting. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new XGradCamSparkJob());
        cl.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("xgradcam-spark: error: " + (e instanceof XGradCamException x ? x.message(XGradCamSpark.SPARK_WORDS)
                    : e.toString()));
            return 1;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        if (!format.equals("parquet") && !format.equals("json")) {
            throw new XGradCamException("--format " + format + " is not parquet or json");
        }
        if (!Files.isDirectory(Path.of(images)) && !images.contains("://")) {
            throw new XGradCamException("--images " + images + " is not a folder");
        }
        XGradCamSpark.Options o = new XGradCamSpark.Options(model, methods, layer, target, topK, scoreThreshold, maxDetections, box,
                postprocess, new PreprocessingOverrides(preset, size, resize, interpolation, scale, mean, std, bgr), !noPictures, step);
        // a model that cannot be read fails the job here, once, not as an error in every row
        org.xgradcam.models.ModelSpec.resolve(model, new org.xgradcam.models.ModelCache());
        if (output.contains("://")) {
            return explainInto(o); // a distributed store: one job per output is the caller's to ensure
        }
        Path out = Path.of(output);
        boolean created = !Files.exists(out);
        try {
            Files.createDirectories(out);
        } catch (java.io.IOException e) {
            throw new XGradCamException("cannot create --output-dir " + output + ": " + org.xgradcam.validation.IoErrors.describe(e));
        }
        Path lockFile = out.resolve(LOCK);
        boolean done = false;
        boolean locked = false;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(lockFile,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.channels.FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException held) {
                lock = null; // held by another job of this JVM
            }
            if (lock == null) {
                throw new XGradCamException("another xgradcam-spark job is writing into " + output + "; wait for it to"
                        + " finish (a rerun then adds only what it left) or give another --output");
            }
            locked = true;
            try {
                int status = explainInto(o);
                done = true;
                return status;
            } finally {
                lock.release();
            }
        } catch (java.io.IOException e) {
            throw new XGradCamException("cannot lock --output-dir " + output + ": " + org.xgradcam.validation.IoErrors.describe(e));
        } finally {
            // what this run made and nothing else: its lock, and the folder if it made it and wrote nothing
            try {
                if (locked) {
                    Files.deleteIfExists(lockFile); // only ours: another job's lock file stays where it is
                }
                if (created && !done) {
                    try (var left = Files.list(out)) {
                        if (left.findAny().isEmpty()) {
                            Files.delete(out);
                        }
                    }
                }
            } catch (java.io.IOException e) {
                // left as it is
            }
        }
    }

    /** The lock a job holds on its output folder (Spark's readers skip names starting with a dot). */
    static final String LOCK = ".xgradcam-spark.lock";

    private int explainInto(XGradCamSpark.Options o) {
        SparkSession.Builder b = SparkSession.builder().appName("xgradcam");
        if (master != null) {
            b.master(master);
        } else if (!System.getProperties().containsKey("spark.master")) {
            b.master("local[*]");
        }
        // a session the caller runs already (a notebook, a test) is used and left running
        boolean own = SparkSession.getDefaultSession().isEmpty() && SparkSession.getActiveSession().isEmpty();
        SparkSession spark = b.getOrCreate();
        try {
            long t0 = System.nanoTime();
            Dataset<Row> in = XGradCamSpark.readImages(spark, images);
            Dataset<Row> done = previous(spark);
            long skipped = 0;
            if (done != null) {
                // done before: the same file (path, size, modification time), explained or failed; a
                // changed file has another size or time and is explained again
                Dataset<Row> keys = done.select("path", "length", "modificationTime").distinct();
                long before = in.count();
                in = in.join(keys, scala.jdk.javaapi.CollectionConverters.asScala(List.of("path", "length", "modificationTime")).toSeq(),
                        "left_anti");
                skipped = before - in.count();
            }
            if (partitions != null) {
                in = in.repartition(partitions);
            }
            // kept (spilling to disk) so that counting and writing explain each image once, and the
            // counts are of this run: computed before the write adds to what "done" reads
            Dataset<Row> out = XGradCamSpark.explain(in, XGradCamSpark.ship(spark, o))
                    .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
            long explained = out.count();
            long failed = out.filter(functions.col("error").isNotNull()).count();
            out.write().mode(SaveMode.Append).format(format).save(output);
            out.unpersist();
            System.out.printf("xgradcam-spark: %d image(s) explained into %s (%d failed, each a row with its error),"
                    + " %d skipped as done before, %.1f s%n", explained, output, failed, skipped, (System.nanoTime() - t0) / 1e9);
        } finally {
            if (own) {
                spark.stop();
            }
        }
        return 0;
    }

    /** The rows an earlier run wrote to the output, or null. */
    private Dataset<Row> previous(SparkSession spark) {
        Path out = Path.of(output);
        if (!Files.isDirectory(out)) {
            return null;
        }
        try (var s = Files.list(out)) {
            if (s.noneMatch(p -> p.getFileName().toString().startsWith("part-"))) {
                return null;
            }
        } catch (java.io.IOException e) {
            throw new XGradCamException("cannot read --output-dir " + output + ": " + e.getMessage());
        }
        return spark.read().format(format).schema(XGradCamSpark.schema()).load(output);
    }
}
