package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every run says what it wrote and where: an image's files, a folder run's summary. */
class OutputsSaidTest {
    @TempDir
    Path tmp;

    static final Path EXAMPLES = Path.of("..", "examples");

    @Test
    void oneImageNamesItsFiles() {
        Path out = tmp.resolve("one");
        CliRunner.Result r = CliRunner.run("--image-path", EXAMPLES.resolve("star-and-circle.png").toString(), "--output-dir",
                out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("class of interest: star" + System.lineSeparator()); // stdout as the original's
        assertThat(r.err()).contains("xgradcam: wrote cam.jpg, X_cam.jpg, compare.png in " + out);
        CliRunner.Result k = CliRunner.run("--image-path", EXAMPLES.resolve("star-and-circle.png").toString(), "--top-k", "2",
                "--output-dir", tmp.resolve("k").toString());
        assertThat(k.err()).contains("1-star/X_cam.jpg").contains("2-circle/X_cam.jpg");
    }

    @Test
    void aFolderRunEndsWithItsSummaryEvenWhenAllWent() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("in"));
        for (String n : new String[] {"star-and-circle.png", "star-and-cross.png"}) {
            Files.copy(EXAMPLES.resolve(n), images.resolve(n));
        }
        Path out = tmp.resolve("out");
        CliRunner.Result r = CliRunner.run("--image-path", images.toString(), "--output-dir", out.toString(), "--quiet");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("xgradcam: explained 2 images into " + out + " (a folder per image)")
                .doesNotContain("xgradcam: wrote");
    }
}
