package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --no-pictures: only what was asked is written (the raw numbers, the summary), and asking for nothing is refused. */
class NoPicturesTest {
    @TempDir
    Path tmp;

    private static final Path IMAGE = Path.of("..", "examples", "star-and-circle.png");

    private static List<String> names(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void rawNumbersOnly() throws Exception {
        Path out = tmp.resolve("raw");
        CliRunner.Result r = CliRunner.run("--image-path", IMAGE.toString(), "--no-pictures", "--save-raw", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(names(out)).contains("activations.npy", "gradients.npy", "logits.npy", "xgradcam_cam.npy", "gradcam_cam.npy")
                .allMatch(n -> n.endsWith(".npy"));
    }

    @Test
    void theSummaryOnly() throws Exception {
        Path out = tmp.resolve("json");
        CliRunner.Result r = CliRunner.run("--image-path", IMAGE.toString(), "--no-pictures", "--json", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"class\": \"star\"");
        assertThat(names(out)).isEmpty();
    }

    @Test
    void nothingAskedIsRefused() throws Exception {
        Path out = tmp.resolve("none");
        CliRunner.Result r = CliRunner.run("--image-path", IMAGE.toString(), "--no-pictures", "--output-dir", out.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("--no-pictures").contains("--save-raw");
        assertThat(out).doesNotExist();
    }
}
