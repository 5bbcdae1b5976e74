package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.testing.TestGraph;

/** A raw dense detection head through the command line: detections listed, each explained, bad choices one line. */
class DetectionCommandTest {
    @TempDir
    Path tmp;

    private Path model() throws Exception {
        TestGraph g = new TestGraph(13);
        Random w = new Random(9);
        String x = g.input("input", 1, 3, 32, 32);
        String f = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(w, 0.4f, 6, 3, 3, 3), g.random(w, 0.1f, 6)),
                Attributes.ofInts("pads", 1, 1, 1, 1))));
        // a head of 4 box values and 3 class scores per cell of an 8x8 grid: [1, 7, 64]
        String head = g.node("Conv", List.of(f, g.random(w, 0.5f, 7, 6, 3, 3), g.constant(new float[] {16, 16, 8, 8, 0.2f, 0.1f, 0f}, 7)),
                Attributes.ofInts("pads", 1, 1, 1, 1), Attributes.ofInts("strides", 4, 4));
        Path p = tmp.resolve("det.onnx");
        Files.write(p, g.build(g.node("Reshape", List.of(head, g.ints(1, 7, 64)))).toBytes());
        return p;
    }

    @Test
    void detectionsAreListedAndEachExplained() throws Exception {
        Path m = model();
        Path img = Path.of("..", "examples", "star-and-circle.png");
        Path out = tmp.resolve("out");
        CliRunner.Result r = CliRunner.run("--model", m.toString(), "--image-path", img.toString(), "--layer", "relu_3",
                "--score-threshold", "0.5", "--json", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        Matcher scores = Pattern.compile("\"score\": ([0-9.eE-]+)").matcher(r.out());
        double last = Double.POSITIVE_INFINITY;
        int n = 0;
        while (scores.find()) {
            double s = Double.parseDouble(scores.group(1));
            assertThat(s).isGreaterThan(0.5).isLessThanOrEqualTo(last);
            last = s;
            n++;
        }
        assertThat(n).isPositive();
        assertThat(r.out()).contains("\"detections\"").contains("\"box\"").contains("\"class_index\"");
        for (int i = 0; i < n; i++) {
            assertThat(out.resolve("box-" + i).resolve("X_cam.jpg")).exists();
        }
        Path one = tmp.resolve("one");
        CliRunner.Result b = CliRunner.run("--model", m.toString(), "--image-path", img.toString(), "--layer", "relu_3",
                "--score-threshold", "0.5", "--box", "0", "--save-raw", "--output-dir", one.toString());
        assertThat(b.exit()).as(b.err()).isZero();
        assertThat(Npy.read(one.resolve("box-0").resolve("activations.npy")).shape()).containsExactly(6, 32, 32);
        assertThat(Npy.read(one.resolve("box-0").resolve("gradients.npy")).shape()).containsExactly(6, 32, 32);
    }

    @Test
    void theLayoutCanBeGiven() throws Exception {
        Path m = model();
        Path img = Path.of("..", "examples", "star-and-circle.png");
        CliRunner.Result told = CliRunner.run("--model", m.toString(), "--image-path", img.toString(), "--layer", "relu_3",
                "--score-threshold", "0.5", "--head-layout", "v8", "--json", "--output-dir", tmp.resolve("told").toString());
        CliRunner.Result found = CliRunner.run("--model", m.toString(), "--image-path", img.toString(), "--layer", "relu_3",
                "--score-threshold", "0.5", "--json", "--output-dir", tmp.resolve("found").toString());
        assertThat(told.exit()).as(told.err()).isZero();
        assertThat(detections(told.out())).isEqualTo(detections(found.out()));
    }

    private static String detections(String json) {
        int at = json.indexOf("\"detections\"");
        return json.substring(at, json.indexOf("\"outputs\"", at));
    }

    @Test
    void theDefaultLayerIsTheFeaturesTheHeadReads() throws Exception {
        Path m = model();
        Path img = Path.of("..", "examples", "star-and-circle.png");
        CliRunner.Result named = CliRunner.run("--model", m.toString(), "--image-path", img.toString(), "--layer", "relu_3",
                "--score-threshold", "0.5", "--box", "0", "--json", "--save-raw", "--output-dir", tmp.resolve("named").toString());
        CliRunner.Result dflt = CliRunner.run("--model", m.toString(), "--image-path", img.toString(),
                "--score-threshold", "0.5", "--box", "0", "--json", "--save-raw", "--output-dir", tmp.resolve("default").toString());
        assertThat(dflt.exit()).as(dflt.err()).isZero();
        Matcher a = Pattern.compile("\"layer\": \"([^\"]+)\"").matcher(named.out());
        Matcher b = Pattern.compile("\"layer\": \"([^\"]+)\"").matcher(dflt.out());
        assertThat(a.find()).as(named.out()).isTrue();
        assertThat(b.find()).as(dflt.out()).isTrue();
        // the ReLU the head convolution reads, not the head's own output
        assertThat(b.group(1)).isEqualTo(a.group(1));
        assertThat(Npy.read(tmp.resolve("default").resolve("box-0").resolve("activations.npy")).shape()).containsExactly(6, 32, 32);
    }

    @Test
    void badDetectionChoicesAreOneLine() throws Exception {
        Path m = model();
        Path img = Path.of("..", "examples", "star-and-circle.png");
        for (String[] args : new String[][] {{"--box", "999"}, {"--score-threshold", "1e9"}, {"--top-k", "2"},
            {"--target-index", "1"}, {"--head-layout", "yolo9000"}}) {
            Path out = tmp.resolve("bad" + args[0] + args[1]);
            CliRunner.Result r = CliRunner.run("--model", m.toString(), "--image-path", img.toString(), "--layer", "relu_3",
                    args[0], args[1], "--output-dir", out.toString());
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
            assertThat(out).doesNotExist();
        }
    }
}
