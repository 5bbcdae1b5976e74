package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * torchvision's detectors (tiny exports with their own selection inside, see
 * tools/fixtures/export_detectors.py) through the command line: the listed detections are the
 * model's own, the arrays saved for a box are torch autograd's, bad choices are one line.
 */
class SelectingDetectorCommandTest {
    static final Path FIXTURES = Path.of("..", "xgradcam-core", "src", "test", "resources", "detectors");

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ssd", "retinanet", "fcos", "fasterrcnn"})
    void detectionsAndSavedArraysAreTorchs(String name) throws Exception {
        Path dir = FIXTURES.resolve(name);
        String model = dir.resolve("model.onnx").toString();
        List<String[]> layers = org.xgradcam.testing.Fixtures.layers(dir);
        float[] scores = Npy.read(dir.resolve("scores.npy")).data();
        float[] boxes = Npy.read(dir.resolve("boxes.npy")).data();
        double threshold = (scores[1] + scores[2]) / 2; // the first two detections
        Path out = tmp.resolve("out");
        CliRunner.Result r = CliRunner.run("--model", model, "--input-tensor", dir.resolve("input.npy").toString(),
                "--score-threshold", Double.toString(threshold), "--box", "1", "--save-raw", "--json",
                "--layer", layers.get(layers.size() - 1)[1], "--methods", "xgradcam,eigencam", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        Matcher m = Pattern.compile("\"score\": ([0-9.eE-]+),\\s*\"box\": \\[([^]]+)]").matcher(r.out());
        int n = 0;
        while (m.find()) {
            assertThat(Double.parseDouble(m.group(1))).isCloseTo(scores[n], org.assertj.core.data.Offset.offset(1e-5));
            String[] b = m.group(2).split(",\\s*");
            for (int k = 0; k < 4; k++) {
                assertThat(Double.parseDouble(b[k])).isCloseTo(boxes[4 * n + k], org.assertj.core.data.Offset.offset(1e-3));
            }
            n++;
        }
        assertThat(n).as(r.out()).isEqualTo(2);
        int last = layers.size() - 1;
        FloatTensor grad = Npy.read(out.resolve("box-1").resolve("gradients.npy"));
        FloatTensor act = Npy.read(out.resolve("box-1").resolve("activations.npy"));
        // torch's arrays keep the batch axis [1, C, h, w]; the saved ones are one image's [C, h, w]
        assertThat(Fixtures.relativeError(act, Npy.read(dir.resolve("act_" + last + ".npy")).row(0))).isLessThan(1e-4);
        assertThat(Fixtures.relativeError(grad, Npy.read(dir.resolve("grad_1_" + last + ".npy")).row(0))).isLessThan(1e-4);
        assertThat(out.resolve("box-1").resolve("X_cam.jpg")).exists();
        assertThat(out.resolve("box-1").resolve("eigencam.jpg")).exists();
        assertThat(out.resolve("box-0")).doesNotExist();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"retinanet", "fasterrcnn"})
    void anImageIsExplainedBoxByBoxWithEveryKindOfMethod(String name) throws Exception {
        Path out = tmp.resolve("img");
        CliRunner.Result r = CliRunner.run("--model", FIXTURES.resolve(name).resolve("model.onnx").toString(), "--image-path",
                Path.of("..", "examples", "star-and-circle.png").toString(), "--score-threshold", "0", "--box", "0",
                "--methods", "gradcam,scorecam,ablationcam", "--renormalize", "--json", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        // the default layer is a map the backbone hands to the heads
        assertThat(r.out()).contains("\"layer\": \"/backbone/");
        for (String f : List.of("cam.jpg", "scorecam.jpg", "ablationcam.jpg", "compare.png", "gradcam_in_box.jpg",
                "scorecam_in_box.jpg")) {
            assertThat(out.resolve("box-0").resolve(f)).exists();
        }
        assertThat(out.resolve("detections.jpg")).exists(); // every detection drawn and labelled
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--box 99", "--box -1", "--score-threshold 0.9999", "--top-k 2", "--target-index 1",
        "--layer /head/classification_head/cls_logits/Conv_output_0_nonexistent"})
    void badDetectionChoicesAreOneLine(String choice) throws Exception {
        Path dir = FIXTURES.resolve("retinanet");
        Path out = tmp.resolve("bad");
        List<String> args = new ArrayList<>(List.of("--model", dir.resolve("model.onnx").toString(), "--input-tensor",
                dir.resolve("input.npy").toString(), "--output-dir", out.toString()));
        args.addAll(List.of(choice.split(" ")));
        CliRunner.Result r = CliRunner.run(args.toArray(new String[0]));
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(out).doesNotExist();
    }

    @org.junit.jupiter.api.Test
    void evaluateRefusesADetectorInOneLine() throws Exception {
        String model = FIXTURES.resolve("retinanet").resolve("model.onnx").toString();
        Path out = tmp.resolve("eval");
        CliRunner.Result ev = CliRunner.run("evaluate", "--model", model, "--images", Path.of("..", "examples").toString(),
                "--output-dir", out.toString());
        assertThat(ev.exit()).isEqualTo(1);
        assertThat(ev.err().strip().lines()).as(ev.err()).hasSize(1);
        assertThat(ev.err()).contains("detections").contains("--box");
        assertThat(out).doesNotExist();
    }
}
