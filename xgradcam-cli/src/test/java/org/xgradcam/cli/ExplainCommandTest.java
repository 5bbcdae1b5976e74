package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.image.Pictures;
import org.xgradcam.io.Npy;
import org.xgradcam.scenes.Scenes;
import org.xgradcam.tensor.FloatTensor;

/** The tool as people run it: the original command line on the embedded demo model. */
class ExplainCommandTest {
    @TempDir
    Path tmp;

    private Path scene(long index) {
        Path p = tmp.resolve("scene" + index + ".png");
        Pictures.save(Scenes.generate(77, index, 96, 1.0).image(), p);
        return p;
    }

    @Test
    void originalCommandLineWritesCamAndXCam() throws Exception {
        Path out = tmp.resolve("out");
        var r = CliRunner.run("--image-path", scene(1).toString(), "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("class of interest: ");
        for (String f : List.of("cam.jpg", "X_cam.jpg", "compare.png")) {
            BufferedImage img = ImageIO.read(out.resolve(f).toFile());
            assertThat(img).as(f).isNotNull();
        }
        assertThat(ImageIO.read(out.resolve("X_cam.jpg").toFile()).getWidth()).isEqualTo(96);
    }

    @Test
    void targetIndexPicksTheClass() {
        Path out = tmp.resolve("t");
        var r = CliRunner.run("--image-path", scene(2).toString(), "--target-index", "3", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().trim()).isEqualTo("class of interest: star");
    }

    @Test
    void saveRawWritesNumpyFilesOfTheDocumentedShapes() {
        Path out = tmp.resolve("raw");
        var r = CliRunner.run("--image-path", scene(3).toString(), "--save-raw", "--method", "xgradcam", "--method",
                "hirescam", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Npy.read(out.resolve("logits.npy")).shape()).containsExactly(1, 6);
        FloatTensor a = Npy.read(out.resolve("activations.npy"));
        assertThat(a.shape()).containsExactly(24, 12, 12);
        assertThat(Npy.read(out.resolve("gradients.npy")).shape()).containsExactly(24, 12, 12);
        assertThat(Npy.read(out.resolve("xgradcam_weights.npy")).shape()).containsExactly(24);
        assertThat(Npy.read(out.resolve("xgradcam_cam_lowres.npy")).shape()).containsExactly(12, 12);
        assertThat(Npy.read(out.resolve("xgradcam_cam.npy")).shape()).containsExactly(96, 96);
        assertThat(Files.exists(out.resolve("hirescam_weights.npy"))).as("HiResCAM has no channel weights").isFalse();
        assertThat(Npy.read(out.resolve("hirescam_cam.npy")).shape()).containsExactly(96, 96);
    }

    @Test
    void jsonSummary() {
        var r = CliRunner.run("--image-path", scene(4).toString(), "--json", "--output-dir", tmp.resolve("j").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"class_index\"").contains("\"top5\"").contains("\"explain_ms\"").startsWith("{");
    }

    @Test
    void aFolderOfImagesGetsOneOutputFolderEach() throws Exception {
        Path in = tmp.resolve("in");
        Files.createDirectories(in);
        for (int i = 0; i < 3; i++) {
            Files.move(scene(10 + i), in.resolve("s" + i + ".png"));
        }
        Path out = tmp.resolve("many");
        var r = CliRunner.run("--image-path", in.toString(), "--output-dir", out.toString(), "--quiet");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(out.resolve("s" + i).resolve("X_cam.jpg")).exists();
        }
    }

    @Test
    void everyMethodRuns() {
        for (String m : org.xgradcam.cam.Methods.ids()) {
            Path out = tmp.resolve("m-" + m);
            if (m.equals("cam")) {
                // CAM needs a global-average-pooled linear head: the demo's fully connected head is refused, by name
                var refused = CliRunner.run("--image-path", scene(5).toString(), "--method", m, "--output-dir", out.toString());
                assertThat(refused.exit()).isEqualTo(1);
                assertThat(refused.err()).contains("global average pool").contains("Grad-CAM");
                Path resnet = Path.of("..", "xgradcam-core", "src", "test", "resources", "torchvision", "resnet", "model.onnx");
                var r = CliRunner.run("--image-path", scene(5).toString(), "--model", resnet.toString(), "--method", m,
                        "--output-dir", out.toString(), "--postprocess", "torch-cam");
                assertThat(r.exit()).as(m + ": " + r.err()).isZero();
                assertThat(out.resolve(XGradCamCommand.pictureName(org.xgradcam.cam.Methods.byName(m)))).exists();
                continue;
            }
            var r = CliRunner.run("--image-path", scene(5).toString(), "--method", m, "--output-dir", out.toString(),
                    "--postprocess", "pytorch-grad-cam");
            assertThat(r.exit()).as(m + ": " + r.err()).isZero();
            assertThat(out.resolve(XGradCamCommand.pictureName(org.xgradcam.cam.Methods.byName(m)))).exists();
        }
    }

    @Test
    void subcommands() {
        var layers = CliRunner.run("layers");
        assertThat(layers.exit()).isZero();
        String def;
        try (var e = org.xgradcam.cam.Explainer.open(DemoModel.spec().model(), org.xgradcam.cam.Explainer.Options.defaults())) {
            def = e.layers().requireDefault().tensor();
        }
        assertThat(layers.out().lines().filter(l -> l.startsWith("*"))).singleElement().asString().contains(def);
        // every row's op column starts where the header's does, the longest name included
        java.util.List<String> rows = layers.out().lines().filter(l -> !l.startsWith("score:")).toList();
        int opColumn = rows.get(0).indexOf("op ");
        for (String row : rows.subList(1, rows.size())) {
            assertThat(row.charAt(opColumn - 1)).as(row).isEqualTo(' ');
            assertThat(row.charAt(opColumn)).as(row).isNotEqualTo(' ');
        }
        var methods = CliRunner.run("methods");
        assertThat(methods.out()).contains("xgradcam").contains("scorecam").contains("fullgrad");
        var models = CliRunner.run("models", "--cache-dir", tmp.toString());
        assertThat(models.out()).contains("vgg16").contains("efficientnet-lite4").contains("not downloaded");
    }

    @Test
    void proofOnTheDemoModel() {
        var r = CliRunner.run("proof", "--image-path", scene(6).toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("class score:").contains("sum(gradients * feature):").contains("bias term:")
                .contains("residual:");
        String residual = r.out().lines().filter(l -> l.startsWith("residual:")).findFirst().orElseThrow();
        double rel = Double.parseDouble(residual.replaceAll(".*\\((\\S+) of the score\\).*", "$1"));
        assertThat(rel).isLessThan(1e-4);
    }
}
