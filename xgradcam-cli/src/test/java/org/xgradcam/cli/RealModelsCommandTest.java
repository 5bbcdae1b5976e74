package org.xgradcam.cli;

import org.xgradcam.models.Labels;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** The real ImageNet models of ../shared on the real photos (skipped when ../shared is absent). */
class RealModelsCommandTest {
    @TempDir
    Path tmp;

    @Test
    void shippedLabelsAgreeWithTheReferenceList() throws Exception {
        var shared = Files.readAllLines(Fixtures.shared("labels/imagenet_synsets.txt"));
        Labels ours = Labels.resource("imagenet");
        assertThat(ours.lines()).hasSize(1000);
        for (int i = 0; i < 1000; i++) {
            assertThat(ours.line(i).substring(0, 9)).isEqualTo(shared.get(i).substring(0, 9));
        }
        assertThat(ours.line(159)).isEqualTo("n02087394 Rhodesian ridgeback");
    }

    @Test
    void ridgebackIsFoundAndTheDogHighlighted() throws Exception {
        Path model = Fixtures.shared("models/squeezenet1.0-tflite-fp32.onnx");
        Path image = Fixtures.shared("images/ILSVRC2012_val_00000077.JPEG");
        Path out = tmp.resolve("rb");
        var r = CliRunner.run("--image-path", image.toString(), "--model", model.toString(), "--scale", "-1-1",
                "--mean", "0,0,0", "--std", "1,1,1", "--resize", "crop", "--save-raw", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().trim()).isEqualTo("class of interest: n02087394 Rhodesian ridgeback");
        // The dog fills the centre of the photo; its map mass must be there, not on the border.
        FloatTensor map = Npy.read(out.resolve("xgradcam_cam.npy"));
        int h = map.dim(0);
        int w = map.dim(1);
        double centre = 0;
        double all = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double v = map.data()[y * w + x];
                all += v;
                if (x > w / 6 && x < 5 * w / 6 && y > h / 6 && y < 5 * h / 6) {
                    centre += v;
                }
            }
        }
        assertThat(centre / all).as("share of the map in the central 4/9 of the image").isGreaterThan(0.6);
    }

    /**
     * A newcomer's first run on a file without preprocessing metadata: the int8 MobileNetV2 takes
     * the ridgeback for a Saluki under the original tool's resize, and the run says which preset
     * fixes it; with that one flag the answer is right.
     */
    @Test
    void aFileModelSaysWhichPreprocessingItUsedAndTheOneFlagThatFixesIt() throws Exception {
        Path model = Fixtures.shared("models/mobilenetv2-12-int8.onnx");
        Path image = Fixtures.shared("images/ILSVRC2012_val_00000077.JPEG");
        var plain = CliRunner.run("--image-path", image.toString(), "--model", model.toString(), "--output-dir",
                tmp.resolve("a").toString());
        assertThat(plain.exit()).as(plain.err()).isZero();
        assertThat(plain.out().trim()).isEqualTo("class of interest: n02091831 Saluki");
        assertThat(plain.err()).contains("original tool's").contains("--preprocessing torchvision");
        var fixed = CliRunner.run("--image-path", image.toString(), "--model", model.toString(), "--preprocessing",
                "torchvision", "--output-dir", tmp.resolve("b").toString());
        assertThat(fixed.exit()).as(fixed.err()).isZero();
        assertThat(fixed.out().trim()).isEqualTo("class of interest: n02087394 Rhodesian ridgeback");
        assertThat(fixed.err()).doesNotContain("--preprocessing torchvision");
        // the map over the photo itself, at its size, beside the seed's pictures at the model's
        java.awt.image.BufferedImage photo = javax.imageio.ImageIO.read(tmp.resolve("b/X_cam_on_photo.jpg").toFile());
        assertThat(photo.getWidth()).isEqualTo(500);
        assertThat(photo.getHeight()).isEqualTo(429);
        assertThat(tmp.resolve("b/X_cam.jpg")).exists();
    }

    @Test
    void originalCommandLineOnARealModel() {
        Path model = Fixtures.shared("models/mobilenetv2-12-int8-dequant-fp32.onnx");
        Path image = Fixtures.shared("images/ILSVRC2012_val_00000077.JPEG");
        var r = CliRunner.run("--image-path", image.toString(), "--target-index", "159", "--model", model.toString(),
                "--output-dir", tmp.resolve("mb").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().trim()).isEqualTo("class of interest: n02087394 Rhodesian ridgeback");
        assertThat(tmp.resolve("mb/cam.jpg")).exists();
        assertThat(tmp.resolve("mb/X_cam.jpg")).exists();
    }

    @Test
    void torchvisionPreprocessingGivesTheRecordedLogits() {
        // shorter side 256 with Pillow's bilinear, centre crop 224: ../shared's recorded input, so
        // the logits are ONNX Runtime's recorded ones
        Path model = Fixtures.shared("models/squeezenet1.1-7-fp32.onnx");
        Path out = tmp.resolve("tv");
        var r = CliRunner.run("--image-path", Fixtures.shared("images/chelsea.png").toString(), "--model", model.toString(),
                "--resize", "crop", "--interpolation", "pil", "--save-raw", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        FloatTensor logits = Npy.read(out.resolve("logits.npy"));
        FloatTensor expected = Npy.read(Fixtures.shared("expected/squeezenet1.1-7-fp32/chelsea_logits.npy"));
        assertThat(Fixtures.relativeError(logits, expected)).isLessThan(1e-5);
        assertThat(r.out().trim()).isEqualTo("class of interest: n02124075 Egyptian cat");
    }

    @Test
    void unknownInterpolationIsOneLine() {
        var r = CliRunner.run("--image-path", Fixtures.shared("images/chelsea.png").toString(), "--interpolation", "bicubic",
                "--output-dir", tmp.resolve("bad").toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err().strip()).isEqualTo("xgradcam: error: unknown interpolation 'bicubic'; use opencv, pil or tensor");
        assertThat(tmp.resolve("bad")).doesNotExist();
    }
}
