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
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.TestGraph;

/** A segmentation model ([1, K, H, W] scores) on the command line: a class is explained over its pixels. */
class SegmentationCommandTest {
    @TempDir
    Path tmp;

    /** Conv stride 2, ReLU, 1x1 class scores, bilinear upsampling back to 96x96: FCN in miniature. */
    private Path model() throws Exception {
        return org.xgradcam.testing.KindsOfModels.segmenter(tmp);
    }

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (-?[0-9.eE+-]+)").matcher(json);
        assertThat(m.find()).as(key + " in " + json).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aClassIsExplainedOverThePixelsItWins() throws Exception {
        Path seg = model();
        Path image = Path.of("..", "examples", "star-and-circle.png");
        for (Integer cls : new Integer[] {null, 0, 1, 2}) {
            Path out = tmp.resolve("out" + cls);
            var r = cls == null
                    ? CliRunner.run("--image-path", image.toString(), "--model", seg.toString(), "--json", "--save-raw",
                            "--output-dir", out.toString())
                    : CliRunner.run("--image-path", image.toString(), "--model", seg.toString(), "--json", "--save-raw",
                            "--target-index", cls.toString(), "--output-dir", out.toString());
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(out.resolve("X_cam.jpg")).exists();
            FloatTensor logits = Npy.read(out.resolve("logits.npy"));
            assertThat(logits.shape()).containsExactly(1, 3, 96, 96);
            // independently: the argmax mask of the chosen class, and the score summed over it
            int k = (int) number(r.out(), "class_index");
            int plane = 96 * 96;
            int[] wins = new int[3];
            double score = 0;
            for (int p = 0; p < plane; p++) {
                int best = 0;
                for (int c = 1; c < 3; c++) {
                    if (logits.data()[c * plane + p] > logits.data()[best * plane + p]) {
                        best = c;
                    }
                }
                wins[best]++;
                score += best == k ? logits.data()[k * plane + p] : 0;
            }
            if (cls == null) {
                assertThat(wins[k]).as("the default is the class winning the most pixels")
                        .isEqualTo(Math.max(wins[0], Math.max(wins[1], wins[2])));
            } else {
                assertThat(k).isEqualTo(cls);
            }
            if (wins[k] > 0) {
                assertThat(number(r.out(), "score")).isCloseTo(score, org.assertj.core.api.Assertions.within(1e-3 * (1 + Math.abs(score))));
            }
        }
    }

    @Test
    void aClassOutOfRangeIsOneLine() throws Exception {
        Path out = tmp.resolve("bad");
        var r = CliRunner.run("--image-path", Path.of("..", "examples", "star-and-circle.png").toString(), "--model",
                model().toString(), "--target-index", "3", "--output-dir", out.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err().strip()).isEqualTo(
                "xgradcam: error: class index 3 is out of range: the model scores 3 classes per pixel (0..2)");
        assertThat(out).doesNotExist();
    }
}
