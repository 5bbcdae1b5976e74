package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.image.Pictures;
import org.xgradcam.scenes.Scenes;

/** Each bad input: a one-line error, a non-zero exit, and no file left in the output folder. */
class BadInputCommandTest {
    @TempDir
    Path tmp;

    private void assertCleanFailure(CliRunner.Result r, Path out, String expected) throws Exception {
        assertThat(r.exit()).isNotZero();
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).startsWith("xgradcam: error: ").contains(expected).doesNotContain("\tat ");
        if (existedBefore.contains(out)) {
            try (var s = Files.list(out)) {
                assertThat(s.toList()).as("files left behind").isEmpty();
            }
        } else {
            assertThat(out).as("output folder created by the failed run").doesNotExist();
        }
    }

    private final java.util.Set<Path> existedBefore = new java.util.HashSet<>();

    private Path good() {
        Path p = tmp.resolve("good.png");
        Pictures.save(Scenes.generate(1, 1, 96, 1.0).image(), p);
        return p;
    }

    @Test
    void missingImage() throws Exception {
        Path out = tmp.resolve("o1");
        assertCleanFailure(CliRunner.run("--image-path", tmp.resolve("nope.jpg").toString(), "--output-dir", out.toString()),
                out, "image not found");
    }

    @Test
    void corruptJpeg() throws Exception {
        Path jpg = tmp.resolve("corrupt.jpg");
        byte[] b = new byte[2000];
        b[0] = (byte) 0xFF;
        b[1] = (byte) 0xD8;
        b[2] = (byte) 0xFF;
        b[3] = (byte) 0xE0;
        new java.util.Random(3).nextBytes(java.util.Arrays.copyOfRange(b, 4, b.length));
        Files.write(jpg, b);
        Path out = tmp.resolve("o2");
        assertCleanFailure(CliRunner.run("--image-path", jpg.toString(), "--output-dir", out.toString()), out, "corrupt.jpg");
    }

    @Test
    void hugePngHeader() throws Exception {
        Path p = tmp.resolve("bomb.png");
        Files.write(p, org.xgradcam.testing.Fixtures.pngHeaderClaiming(30000, 30000));
        Path out = tmp.resolve("o3");
        assertCleanFailure(CliRunner.run("--image-path", p.toString(), "--output-dir", out.toString()), out, "30000x30000");
    }

    @Test
    void textFileAsImage() throws Exception {
        Path p = tmp.resolve("notes.png");
        Files.writeString(p, "not an image");
        Path out = tmp.resolve("o4");
        assertCleanFailure(CliRunner.run("--image-path", p.toString(), "--output-dir", out.toString()), out, "is not an image");
    }

    @Test
    void unknownModelName() throws Exception {
        Path out = tmp.resolve("o5");
        assertCleanFailure(CliRunner.run("--image-path", good().toString(), "--model", "vgg17", "--output-dir", out.toString()),
                out, "unknown model 'vgg17'");
    }

    @Test
    void classIndexOutOfRange() throws Exception {
        Path out = tmp.resolve("o6");
        assertCleanFailure(CliRunner.run("--image-path", good().toString(), "--target-index", "6", "--output-dir",
                out.toString()), out, "class index 6 is out of range");
    }

    @Test
    void unknownLayerAndMethod() throws Exception {
        Path out = tmp.resolve("o7");
        assertCleanFailure(CliRunner.run("--image-path", good().toString(), "--layer", "conv99", "--output-dir",
                out.toString()), out, "unknown layer 'conv99'");
        assertCleanFailure(CliRunner.run("--image-path", good().toString(), "--method", "magiccam", "--output-dir",
                out.toString()), out, "unknown method 'magiccam'");
    }

    @Test
    void unwritableOutputDirectory() throws Exception {
        Assumptions.assumeFalse("root".equals(System.getProperty("user.name")), "root can write anywhere");
        Path ro = tmp.resolve("ro");
        Files.createDirectories(ro);
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        existedBefore.add(ro);
        assertCleanFailure(CliRunner.run("--image-path", good().toString(), "--output-dir", ro.toString()), ro,
                "cannot write to output directory");
    }

    @Test
    void outputDirectoryThatIsAFile() throws Exception {
        Path file = tmp.resolve("afile");
        Files.writeString(file, "x");
        var r = CliRunner.run("--image-path", good().toString(), "--output-dir", file.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).startsWith("xgradcam: error: cannot write to output directory");
    }

    @Test
    void brokenModelFile() throws Exception {
        Path m = tmp.resolve("broken.onnx");
        Files.writeString(m, "garbage");
        Path out = tmp.resolve("o8");
        assertCleanFailure(CliRunner.run("--image-path", good().toString(), "--model", m.toString(), "--output-dir",
                out.toString()), out, "is not a valid ONNX model");
    }

    @Test
    void aFailedRunRemovesTheNestedFoldersItCreated() throws Exception {
        Path out = tmp.resolve("a/b/c");
        assertCleanFailure(CliRunner.run("--image-path", good().toString(), "--target-index", "6", "--output-dir",
                out.toString()), tmp.resolve("a"), "class index 6");
    }

    @Test
    void evaluateWithAnUnknownModelLeavesNoFolder() throws Exception {
        Path images = tmp.resolve("imgs");
        Files.createDirectories(images);
        Pictures.save(Scenes.generate(1, 1, 96, 1.0).image(), images.resolve("s.png"));
        Path out = tmp.resolve("ev");
        assertCleanFailure(CliRunner.run("evaluate", "--images", images.toString(), "--model", "vgg17", "--output-dir",
                out.toString()), out, "unknown model 'vgg17'");
    }

    @Test
    void aBareCallShowsWhatToTypeAndANearMissIsNamed() {
        CliRunner.Result bare = CliRunner.run();
        assertThat(bare.exit()).isEqualTo(2);
        assertThat(bare.err()).startsWith("Usage: xgradcam --image-path IMAGE").contains("Try:").doesNotContain("error");
        CliRunner.Result typo = CliRunner.run("--imagepath", "x.png");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err()).contains("did you mean --image-path?");
        CliRunner.Result models = CliRunner.run("models", "--help");
        assertThat(models.out()).contains("--cache-dir").doesNotContain("--use-cuda").doesNotContain("--labels");
    }

    @Test
    void helpIsInSectionsWithNamedPlaceholdersForEveryCommand() {
        CliRunner.Result main = CliRunner.run("--help");
        assertThat(main.out()).startsWith("Usage: xgradcam [OPTIONS] [IMAGE...] [COMMAND]")
                .contains("\nInput:", "\nModel:", "\nPreprocessing:", "\nWhat to explain:", "\nMethods:", "\nDetectors:",
                        "\nOutput:", "\nHelp:").doesNotContain("image classifier.");
        for (String command : java.util.List.of("layers", "methods", "models", "compare", "evaluate", "proof", "serve", "bench")) {
            String help = CliRunner.run(command, "--help").out();
            assertThat(help).as(command).startsWith("Usage: xgradcam " + command).doesNotContain("=<")
                    .doesNotContainPattern("\\s\\.\\n").doesNotContain("\nOther:");
        }
        assertThat(main.out()).doesNotContain("=<").doesNotContain("\nOther:");
        // the methods table stays aligned, whatever the longest id (smoothgradcamplusplus)
        String[] rows = CliRunner.run("methods").out().split("\\R");
        int nameAt = rows[0].indexOf("name");
        for (String row : java.util.Arrays.copyOfRange(rows, 1, rows.length)) {
            assertThat(row.charAt(nameAt - 1)).as(row).isEqualTo(' ');
            assertThat(row.charAt(nameAt)).as(row).isNotEqualTo(' ');
        }
    }
}
