package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --json prints one object per image, one per line: explained, failed and resumed images alike. */
class JsonLinesTest {
    @TempDir
    Path tmp;

    @Test
    void everyImageIsOneLineWithItsPathAndClassOrError() throws Exception {
        Path in = tmp.resolve("in");
        Files.createDirectories(in);
        for (String n : List.of("star-and-circle.png", "star-and-cross.png")) {
            Files.copy(Path.of("..", "examples", n), in.resolve(n));
        }
        Files.writeString(in.resolve("broken.png"), "not a picture");
        Path out = tmp.resolve("out");
        for (int run = 0; run < 2; run++) {
            CliRunner.Result r = CliRunner.run("--image-path", in.toString(), "--json", "--quiet", "--output-dir", out.toString());
            assertThat(r.exit()).as(r.err()).isEqualTo(5);
            List<String> lines = r.out().strip().lines().toList();
            assertThat(lines).as(r.out()).hasSize(3).allMatch(l -> l.startsWith("{\"model\": \"shapes\"") && l.endsWith("}"));
            String star = lines.stream().filter(l -> l.contains("star-and-circle.png\"")).findFirst().orElseThrow();
            assertThat(star).contains("\"class\": \"star\"").contains("\"score\": ").doesNotContain("\"error\"");
            assertThat(star.contains("\"resumed\": true")).isEqualTo(run == 1);
            String broken = lines.stream().filter(l -> l.contains("broken.png\"")).findFirst().orElseThrow();
            assertThat(broken).contains("\"error\": \"").contains("not an image").doesNotContain("\"class\"");
        }
        CliRunner.Result one = CliRunner.run("--image-path", in.resolve("star-and-cross.png").toString(), "--json",
                "--output-dir", tmp.resolve("one").toString());
        assertThat(one.exit()).as(one.err()).isZero();
        assertThat(one.out().strip().lines()).hasSize(1).allMatch(l -> l.contains("\"image\": ") && l.contains("\"class\": \"cross\""));
    }
}
