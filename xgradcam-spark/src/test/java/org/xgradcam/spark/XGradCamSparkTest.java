package org.xgradcam.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.tensor.FloatTensor;

/**
 * The Spark job on local[2]: the same classes, scores and maps as one JVM's Explainer, a broken
 * image a row with its error (the job does not fail), a rerun that skips what is done.
 */
class XGradCamSparkTest {
    /** The embedded demo model's file, as a user would pass a model file. */
    static final Path MODEL = Path.of("..", "xgradcam-core", "src", "main", "resources", "org", "xgradcam", "models", "demo",
            "shapes.onnx");

    static SparkSession spark;

    @TempDir
    static Path tmp;

    static Path images;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("xgradcam-test").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        images = tmp.resolve("images");
        Files.createDirectories(images.resolve("sub"));
        try (var s = Files.list(Path.of("..", "examples"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".png")).toList()) {
                Files.copy(p, images.resolve(p.getFileName()));
            }
        }
        Files.copy(Path.of("..", "examples", "star-and-circle.png"), images.resolve("sub").resolve("again.png"));
        Files.writeString(images.resolve("broken.png"), "not an image");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void rowsEqualOneJvmsExplainer() throws Exception {
        XGradCamSpark.Options o = XGradCamSpark.Options.of(MODEL.toString(), "xgradcam", "gradcam").withTopK(3);
        List<Row> rows = XGradCamSpark.explain(XGradCamSpark.readImages(spark, images.toString()).repartition(2), o)
                .collectAsList();
        assertThat(rows).hasSize(6);
        ModelSpec spec = ModelSpec.ofFile(MODEL);
        assertThat(spec.labels().name(3)).isEqualTo("class 3"); // a file names no classes; the demo by name does
        try (Explainer e = Explainer.open(spec, Explainer.Options.defaults().withInputShape(new long[] {1, 3, 96, 96}))) {
            for (Row r : rows) {
                String path = r.getAs("path");
                if (path.endsWith("broken.png")) {
                    assertThat((String) r.getAs("error")).contains("broken.png");
                    assertThat((Object) r.getAs("class")).isNull();
                    continue;
                }
                assertThat((String) r.getAs("error")).as(path).isNull();
                byte[] bytes = Files.readAllBytes(Path.of(path.substring("file:".length())));
                FloatTensor x = spec.preprocessing().toTensor(spec.preprocessing().fit(ImageLoader.decode(bytes, path)));
                Explanation ex = e.explainTopK(x, 3, Explainer.Request.of(Methods.byName("xgradcam"), Methods.byName("gradcam")))
                        .get(0);
                assertThat((int) r.getAs("class_index")).as(path).isEqualTo(ex.classIndex());
                assertThat((String) r.getAs("class")).isEqualTo(spec.labels().name(ex.classIndex()));
                assertThat((String) r.getAs("kind")).isEqualTo("classifier");
                assertThat((double) r.getAs("score")).isEqualTo(ex.score());
                assertThat(r.<Row>getList(r.fieldIndex("explanations"))).hasSize(3); // the three best classes
                assertThat(r.<Row>getList(r.fieldIndex("top5")).get(0).<Integer>getAs("class_index")).isEqualTo(ex.classIndex());
                Map<String, scala.collection.Seq<Float>> maps = r.getJavaMap(r.fieldIndex("maps"));
                float[] ours = ex.result("xgradcam").layers().get(0).raw().data();
                List<Float> theirs = scala.jdk.javaapi.CollectionConverters.asJava(maps.get("xgradcam"));
                assertThat(theirs).hasSize(ours.length);
                for (int i = 0; i < ours.length; i++) {
                    assertThat(theirs.get(i)).isEqualTo(ours[i]);
                }
                Map<String, byte[]> pictures = r.getJavaMap(r.fieldIndex("pictures"));
                assertThat(ImageLoader.decode(pictures.get("gradcam"), "png").width()).isEqualTo(96);
            }
        }
    }

    /** The maps of a row's explained thing (floats by method id). */
    private static Map<String, List<Float>> maps(Row explained) {
        Map<String, scala.collection.Seq<Float>> m = explained.getJavaMap(explained.fieldIndex("maps"));
        Map<String, List<Float>> out = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, scala.jdk.javaapi.CollectionConverters.asJava(v)));
        return out;
    }

    @Test
    void everyKindOfModelIsARowWithTheSameNumbersAsThePipeline() throws Exception {
        Path scene = images.resolve("star-and-circle.png");
        Path one = tmp.resolve("one");
        Files.createDirectories(one);
        Files.copy(scene, one.resolve("scene.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path seg = org.xgradcam.testing.KindsOfModels.segmenter(tmp);
        Path fixtures = Path.of("..", "xgradcam-core", "src", "test", "resources");
        for (String model : List.of("shapes", "shapes-detector", seg.toString(), fixtures.resolve("sequence/model.onnx").toString(),
                fixtures.resolve("detectors/maskrcnn/model.onnx").toString(), fixtures.resolve("video/r3d/model.onnx").toString())) {
            XGradCamSpark.Options o = XGradCamSpark.Options.of(model, "gradcam", "xgradcam");
            Row row = XGradCamSpark.explain(XGradCamSpark.readImages(spark, one.toString()), o).collectAsList().get(0);
            assertThat((String) row.getAs("error")).as(model).isNull();
            ModelSpec spec = ModelSpec.resolve(model, new org.xgradcam.models.ModelCache());
            try (org.xgradcam.pipeline.Pipeline p = org.xgradcam.pipeline.Pipeline.open(spec)) {
                var r = p.explain(p.prepare(Files.readAllBytes(scene), "scene", false, ImageLoader.MAX_PIXELS),
                        p.plan(o.request()));
                assertThat((String) row.getAs("kind")).isEqualTo(r.kind().id());
                List<Row> explained = row.getList(row.fieldIndex("explanations"));
                assertThat(explained).hasSize(r.explained().size());
                for (int i = 0; i < explained.size(); i++) {
                    var want = r.explained().get(i);
                    Row got = explained.get(i);
                    // a sequence's text explained as a whole has no class index
                    assertThat(got.<Integer>getAs("class_index")).isEqualTo(want.classIndex() < 0 ? null : want.classIndex());
                    assertThat(got.<String>getAs("class")).isEqualTo(want.name());
                    assertThat(got.<Double>getAs("score")).isEqualTo(want.score());
                    for (String m : List.of("gradcam", "xgradcam")) {
                        float[] low = want.explanation().result(m).layers().get(0).raw().data();
                        List<Float> theirs = maps(got).get(m);
                        assertThat(theirs).hasSize(low.length);
                        for (int k = 0; k < low.length; k++) {
                            assertThat(theirs.get(k)).isEqualTo(low[k]);
                        }
                    }
                }
                switch (r.kind()) {
                    case DETECTION_HEAD -> {
                        List<Row> dets = row.getList(row.fieldIndex("detections"));
                        assertThat(dets).hasSize(r.detections().size()).isNotEmpty();
                        assertThat(dets.get(0).<String>getAs("class")).isIn("star", "circle");
                        assertThat(dets.get(0).<Double>getAs("score")).isEqualTo((double) r.detections().get(0).detection().score());
                        assertThat((Object) row.getAs("class")).isNull();
                    }
                    case SEGMENTER -> {
                        List<Row> segs = row.getList(row.fieldIndex("segments"));
                        assertThat(segs.get(0).<Double>getAs("pixel_share")).isEqualTo(r.segments().get(0).pixelShare());
                        assertThat((int) row.getAs("class_index")).isEqualTo(r.first().classIndex());
                    }
                    case SEQUENCE -> {
                        Row q = row.getAs("sequence");
                        assertThat(q.<String>getAs("text")).isEqualTo(r.sequence().text());
                        assertThat(q.getList(q.fieldIndex("symbols"))).hasSize(r.sequence().symbols().size());
                        assertThat((Object) row.getAs("class_index")).isNull();
                    }
                    case SELECTING_DETECTOR -> {
                        List<Row> dets = row.getList(row.fieldIndex("detections"));
                        assertThat(dets).hasSize(r.detections().size()).isNotEmpty();
                        assertThat(dets.get(0).<Integer>getAs("mask_pixels")).isEqualTo(
                                ((java.util.Map<?, ?>) ((List<?>) r.toJson().get("detections")).get(0)).get("mask_pixels"));
                    }
                    default -> assertThat((String) row.getAs("class")).isEqualTo(model.endsWith("r3d/model.onnx")
                            ? r.first().name() : "star"); // the video model: random weights, the still image as 8 frames
                }
            }
        }
    }

    @Test
    void theJobWritesParquetAndARerunSkipsWhatIsDone() throws Exception {
        Path out = tmp.resolve("out");
        String[] args = {"--master", "local[2]", "--images", images.toString(), "--model", MODEL.toString(),
            "--methods", "xgradcam", "--output", out.toString()};
        assertThat(XGradCamSparkJob.run(args)).isZero();
        Dataset<Row> first = spark.read().parquet(out.toString());
        assertThat(first.count()).isEqualTo(6);
        assertThat(first.filter("error is not null").count()).isEqualTo(1);
        // a rerun adds nothing; a new image is explained and appended
        assertThat(XGradCamSparkJob.run(args)).isZero();
        assertThat(spark.read().parquet(out.toString()).count()).isEqualTo(6);
        Files.copy(Path.of("..", "examples", "star-and-cross.png"), images.resolve("sub").resolve("new.png"));
        try {
            assertThat(XGradCamSparkJob.run(args)).isZero();
            assertThat(spark.read().parquet(out.toString()).count()).isEqualTo(7);
        } finally {
            Files.delete(images.resolve("sub").resolve("new.png"));
        }
        // JSON lines too, with the embedded demo by name: its classes named as the command line names them
        Path json = tmp.resolve("json");
        assertThat(XGradCamSparkJob.run("--master", "local[1]", "--images", images.toString(), "--model", "shapes",
                "--output", json.toString(), "--format", "json", "--no-pictures")).isZero();
        Dataset<Row> lines = spark.read().json(json.toString());
        assertThat(lines.count()).isEqualTo(6);
        assertThat(lines.filter("path like '%star-and-circle.png' and class = 'star' and class_index = 3 and kind = 'classifier'")
                .count()).isEqualTo(1);
    }

    @Test
    void badArgumentsAreOneLineAndStartNoJob() {
        assertThat(XGradCamSparkJob.run("--images", images.toString(), "--model", MODEL.toString(), "--output",
                tmp.resolve("x").toString(), "--format", "csv")).isEqualTo(1);
        assertThat(XGradCamSparkJob.run("--images", tmp.resolve("nowhere").toString(), "--model", MODEL.toString(),
                "--output", tmp.resolve("y").toString())).isEqualTo(1);
        assertThat(XGradCamSparkJob.run("--images", images.toString(), "--model", MODEL.toString(), "--method", "nosuchcam",
                "--output", tmp.resolve("z").toString())).isEqualTo(1);
        assertThat(tmp.resolve("x")).doesNotExist();
        assertThat(tmp.resolve("z")).doesNotExist();
    }

    @Test
    void everyListedFileIsARowEvenTheOnesThatCannotBeRead() throws Exception {
        Path odd = tmp.resolve("odd");
        Files.createDirectories(odd);
        Files.copy(Path.of("..", "examples", "star-and-circle.png"), odd.resolve("good.png"));
        Files.write(odd.resolve("empty.png"), new byte[0]);
        Files.createSymbolicLink(odd.resolve("loop.jpg"), odd.resolve("loop.jpg"));
        Files.createSymbolicLink(odd.resolve("gone.png"), odd.resolve("nothing-here.png"));
        Path unreadable = odd.resolve("locked.png");
        Files.copy(Path.of("..", "examples", "star-and-cross.png"), unreadable);
        boolean canLock = unreadable.toFile().setReadable(false, false) && !Files.isReadable(unreadable); // not as root
        Files.writeString(odd.resolve("notes.txt"), "not an image name: not listed");
        try {
            List<Row> rows = XGradCamSpark.explain(XGradCamSpark.readImages(spark, odd.toString()),
                    XGradCamSpark.Options.of(MODEL.toString(), "xgradcam")).collectAsList();
            Map<String, String> errors = new java.util.HashMap<>();
            for (Row r : rows) {
                String path = r.getAs("path");
                errors.put(path.substring(path.lastIndexOf('/') + 1), r.getAs("error"));
            }
            assertThat(errors.keySet()).containsExactlyInAnyOrder("good.png", "empty.png", "loop.jpg", "gone.png", "locked.png");
            assertThat(errors.get("good.png")).isNull();
            assertThat(errors.get("empty.png")).contains("empty");
            assertThat(errors.get("loop.jpg")).contains("symbolic link");
            assertThat(errors.get("gone.png")).contains("symbolic link");
            if (canLock) {
                assertThat(errors.get("locked.png")).contains("permission denied");
            }
            // the job counts them as failed
            Path out = tmp.resolve("odd-out");
            assertThat(XGradCamSparkJob.run("--master", "local[1]", "--images", odd.toString(), "--model", MODEL.toString(),
                    "--output", out.toString(), "--format", "json", "--no-pictures")).isZero();
            assertThat(spark.read().json(out.toString()).count()).isEqualTo(5);
            assertThat(spark.read().json(out.toString()).filter("error is not null").count()).isEqualTo(canLock ? 4 : 3);
        } finally {
            unreadable.toFile().setReadable(true, false);
        }
    }

    @Test
    void aSecondJobIntoTheSameOutputIsRefusedAndAFailedOneLeavesNothing() throws Exception {
        Path out = tmp.resolve("locked-out");
        Files.createDirectories(out);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(out.resolve(XGradCamSparkJob.LOCK),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             java.nio.channels.FileLock held = ch.lock()) {
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            java.io.PrintStream before = System.err;
            System.setErr(new java.io.PrintStream(err, true));
            int status;
            try {
                status = XGradCamSparkJob.run("--master", "local[1]", "--images", images.toString(), "--model", MODEL.toString(),
                        "--output", out.toString());
            } finally {
                System.setErr(before);
            }
            assertThat(status).isEqualTo(1);
            assertThat(err.toString()).contains("another xgradcam-spark job is writing into");
            assertThat(out.resolve(XGradCamSparkJob.LOCK)).as("the other job's lock stays").exists();
        }
        try (var s = Files.list(out)) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("part-")).toList()).isEmpty();
        }
        // a job that fails on its model leaves no output folder it made
        Path fresh = tmp.resolve("never-written");
        assertThat(XGradCamSparkJob.run("--master", "local[1]", "--images", images.toString(), "--model",
                tmp.resolve("no-such-model.onnx").toString(), "--output", fresh.toString())).isEqualTo(1);
        assertThat(fresh).doesNotExist();
    }
}
