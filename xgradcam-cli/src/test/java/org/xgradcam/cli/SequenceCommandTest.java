package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.io.Npy;

/**
 * The command line on a text recogniser of free width (tools/fixtures/export_sequence.py): the
 * decoded text is printed, each image keeps its own width, and the raw arrays follow it (the
 * sequence is as long as the image is wide).
 */
class SequenceCommandTest {
    static final Path MODEL = Path.of("..", "xgradcam-core", "src", "test", "resources", "sequence", "model.onnx");

    @TempDir
    Path tmp;

    private Path line(int w, int h) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                img.setRGB(x, y, ((x / 4) % 3 == 0) ? 0xffffff : (x * 37) & 0xffffff);
            }
        }
        Path p = tmp.resolve("line-" + w + ".png");
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    @Test
    void aLineIsReadAtItsOwnWidthAndItsArraysFollowIt() throws Exception {
        for (int w : new int[] {64, 100}) {
            Path out = tmp.resolve("out-" + w);
            var r = CliRunner.run("--model", MODEL.toString(), "--image-path", line(w, 16).toString(), "--output-dir",
                    out.toString(), "--save-raw", "--method", "gradcam");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("text: \"");
            // height 16 as the model has it, width from the image, rounded to the stride of 4: T = width / 4
            assertThat(Npy.read(out.resolve("logits.npy")).shape()).containsExactly(1, w / 4, 12);
            assertThat(r.err()).doesNotContain("detection");
        }
        var step = CliRunner.run("--model", MODEL.toString(), "--image-path", line(64, 16).toString(), "--output-dir",
                tmp.resolve("step").toString(), "--step", "3");
        assertThat(step.exit()).as(step.err()).isZero();
        assertThat(step.out()).startsWith("step 3: ");
        var bad = CliRunner.run("--model", MODEL.toString(), "--image-path", line(64, 16).toString(), "--output-dir",
                tmp.resolve("bad").toString(), "--top-k", "3");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("sequence model").contains("--step");
    }
}
