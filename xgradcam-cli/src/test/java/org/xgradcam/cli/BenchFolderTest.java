package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.image.Pictures;
import org.xgradcam.scenes.Scenes;

/** bench --folder: the folder run against a plain forward of the same images, and its refusals. */
class BenchFolderTest {
    @TempDir
    Path tmp;

    private Path folder(String name, int n) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (int i = 0; i < n; i++) {
            Pictures.save(Scenes.generate(70 + i, 1, 96, 1.0).image(), dir.resolve(String.format("s%02d.png", i)));
        }
        return dir;
    }

    private static double perImage(String out, String row) {
        Matcher m = Pattern.compile(Pattern.quote(row) + "\\s+([0-9.]+) ms/image").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void timesTheFolderRunAgainstAPlainForwardAtTheSameBatchSize() throws Exception {
        Path dir = folder("scenes", 14);
        for (String batch : new String[] {"1", "2"}) {
            CliRunner.Result r = CliRunner.run("bench", "--folder", dir.toString(), "--batch-size", batch, "--no-figure");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("14 images", "batch " + batch, "methods xgradcam", "no figure");
            assertThat(perImage(r.out(), "plain forward")).isPositive();
            assertThat(perImage(r.out(), "decoding + preprocessing (one thread)")).isPositive();
            assertThat(perImage(r.out(), "folder run (xgradcam explain)")).isPositive();
            assertThat(r.out()).doesNotContain("class of interest"); // the folder run's own lines are not the report
        }
        try (var s = Files.list(dir)) {
            assertThat(s.count()).as("nothing written into the folder").isEqualTo(14);
        }
    }

    @Test
    void tooFewOrBrokenImagesAreOneLineErrors() throws Exception {
        CliRunner.Result few = CliRunner.run("bench", "--folder", folder("few", 5).toString());
        assertThat(few.exit()).isEqualTo(1);
        assertThat(few.err()).contains("holds 5 images", "at least 12").doesNotContain("\tat ");

        Path broken = folder("broken", 14);
        Files.writeString(broken.resolve("s03.png"), "not a picture");
        CliRunner.Result bad = CliRunner.run("bench", "--folder", broken.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("s03.png").doesNotContain("\tat ");
        assertThat(bad.err().lines().filter(l -> l.startsWith("xgradcam: error:"))).hasSize(1);
    }
}
