package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --labels: a user's class names replace the model's; a file that does not fit is one line, before any work. */
class LabelsOptionTest {
    @TempDir
    Path tmp;

    private static final Path IMAGE = Path.of("..", "examples", "star-and-circle.png");

    @Test
    void theUsersNamesNameTheClassOfInterest() throws Exception {
        Path labels = tmp.resolve("names.txt");
        Files.writeString(labels, "\uFEFFround\nsquare-ish\n\nthree-sided\nfive-pointed\nplus\nsix-sided\n");
        Path out = tmp.resolve("out");
        CliRunner.Result r = CliRunner.run("--image-path", IMAGE.toString(), "--labels", labels.toString(),
                "--target-index", "3", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("class of interest: five-pointed");
        assertThat(out.resolve("X_cam.jpg")).exists();
    }

    @Test
    void aClassIsChosenByNameAndAnAmbiguousNameIsRefused() throws Exception {
        Path out = tmp.resolve("byname");
        CliRunner.Result r = CliRunner.run("--image-path", IMAGE.toString(), "--target-index", " STAR ", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("class of interest: star");
        Path twice = tmp.resolve("twice.txt");
        Files.writeString(twice, "round\nsquare\nround\nstar\ncross\nhexagon\n");
        Path bad = tmp.resolve("ambiguous");
        CliRunner.Result a = CliRunner.run("--image-path", IMAGE.toString(), "--labels", twice.toString(), "--target-index", "round",
                "--output-dir", bad.toString());
        assertThat(a.exit()).isEqualTo(1);
        assertThat(a.err()).contains("names 2 classes: 0 (round), 2 (round)");
        assertThat(bad).doesNotExist();
        CliRunner.Result near = CliRunner.run("--image-path", IMAGE.toString(), "--target-index", "big star",
                "--output-dir", bad.toString());
        assertThat(near.exit()).isEqualTo(1);
        assertThat(near.err()).contains("'big star'").contains("classes like it: 3 star");
        CliRunner.Result p = CliRunner.run("proof", "--image-path", IMAGE.toString(), "--target-index", "cross");
        assertThat(p.exit()).as(p.err()).isZero();
        assertThat(p.out()).contains("class of interest: cross");
    }

    @Test
    void aFileThatDoesNotFitIsRefusedBeforeAnyOutput() throws Exception {
        Path tooFew = tmp.resolve("few.txt");
        Files.writeString(tooFew, "a\nb\n");
        Path empty = tmp.resolve("empty.txt");
        Files.writeString(empty, "\n \n");
        Path binary = tmp.resolve("dir");
        Files.createDirectory(binary);
        for (Path[] c : new Path[][] {{tooFew}, {empty}, {tmp.resolve("missing.txt")}, {binary}}) {
            Path out = tmp.resolve("out-" + c[0].getFileName());
            CliRunner.Result r = CliRunner.run("--image-path", IMAGE.toString(), "--labels", c[0].toString(),
                    "--output-dir", out.toString());
            assertThat(r.exit()).as(r.err()).isEqualTo(1);
            assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
            assertThat(r.err()).contains(c[0].getFileName().toString());
            assertThat(out).doesNotExist();
        }
        CliRunner.Result few = CliRunner.run("--image-path", IMAGE.toString(), "--labels", tooFew.toString(),
                "--output-dir", tmp.resolve("x").toString());
        assertThat(few.err()).contains("2 names").contains("6 classes");
    }
}
