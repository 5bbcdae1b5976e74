package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.image.Pictures;
import org.xgradcam.scenes.Scenes;

/** Folder runs: every good image done, each bad one reported once, a summary, exit 5; one folder per input. */
class FolderRunTest {
    @TempDir
    Path tmp;

    private Path scene(Path dir, String name, long seed) {
        Path p = dir.resolve(name);
        Pictures.save(Scenes.generate(seed, 1, 96, 1.0).image(), p);
        return p;
    }

    private Path mixedFolder() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        scene(in, "a.png", 1);
        Files.writeString(in.resolve("b.jpg"), "not an image");
        Files.createDirectories(in.resolve("c.jpg"));
        Files.createSymbolicLink(in.resolve("d.png"), in.resolve("d.png"));
        scene(in, "e.jpg", 2);
        Files.write(in.resolve("f.png"), java.util.Arrays.copyOf(Files.readAllBytes(in.resolve("a.png")), 300));
        scene(in, "g.png", 3);
        Files.writeString(in.resolve("notes.txt"), "ignored: not an image name");
        Files.writeString(in.resolve(".hidden.png"), "ignored: hidden");
        new ProcessBuilder("mkfifo", in.resolve("h.png").toString()).start().waitFor();
        return in;
    }

    @Test
    void badImagesAreReportedAndTheRestIsDone() throws Exception {
        Path in = mixedFolder();
        Path out = tmp.resolve("out");
        CliRunner.Result r = CliRunner.run("--image-path", in.toString(), "--output-dir", out.toString(), "--quiet");
        assertThat(r.exit()).as(r.err()).isEqualTo(FolderRun.SOME_FAILED);
        List<String> errors = r.err().lines().filter(l -> l.startsWith("xgradcam: error: ")).toList();
        boolean fifo = Files.exists(in.resolve("h.png"));
        assertThat(errors).as(r.err()).hasSize(fifo ? 5 : 4);
        for (String bad : fifo ? List.of("b.jpg", "c.jpg", "d.png", "f.png", "h.png") : List.of("b.jpg", "c.jpg", "d.png", "f.png")) {
            assertThat(errors).as(r.err()).anyMatch(l -> l.contains(bad));
        }
        assertThat(r.err()).contains("explained 3 of " + (fifo ? 8 : 7) + " images").doesNotContain("\tat ");
        assertThat(r.out().lines().filter(l -> l.contains("class of interest"))).hasSize(3);
        for (String ok : List.of("a", "e", "g")) {
            assertThat(out.resolve(ok).resolve("cam.jpg")).exists();
            assertThat(out.resolve(ok).resolve("X_cam.jpg")).exists();
        }
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("a", "e", "g");
        }
    }

    @Test
    void batchedFolderRunsGiveEachImageItsOwnNumbersAndReportABrokenImageAlone() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("batched"));
        for (int i = 0; i < 7; i++) {
            scene(in, "s" + i + ".png", 40 + i);
        }
        Files.writeString(in.resolve("s3b.png"), "not an image"); // inside the second batch of three
        Path out = tmp.resolve("batched-out");
        CliRunner.Result r = CliRunner.run("--image-path", in.toString(), "--output-dir", out.toString(), "--quiet",
                "--save-raw", "--json", "--batch-size", "3");
        assertThat(r.exit()).as(r.err()).isEqualTo(FolderRun.SOME_FAILED);
        assertThat(r.err().lines().filter(l -> l.startsWith("xgradcam: error: "))).as(r.err()).singleElement()
                .asString().contains("s3b.png");
        assertThat(r.err()).contains("explained 7 of 8 images");
        List<String> order = new java.util.ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"image\": \"[^\"]*(s\\d\\w?)\\.png\"").matcher(r.out());
        while (m.find()) {
            order.add(m.group(1));
        }
        assertThat(order).containsExactly("s0", "s1", "s2", "s3", "s3b", "s4", "s5", "s6");
        for (int i = 0; i < 7; i++) {
            Path single = tmp.resolve("alone" + i);
            CliRunner.Result one = CliRunner.run("--image-path", in.resolve("s" + i + ".png").toString(), "--output-dir",
                    single.toString(), "--quiet", "--save-raw");
            assertThat(one.exit()).isZero();
            for (String f : List.of("xgradcam_cam.npy", "gradcam_cam.npy", "activations.npy", "gradients.npy")) {
                float[] batched = org.xgradcam.io.Npy.read(out.resolve("s" + i).resolve(f)).data();
                float[] alone = org.xgradcam.io.Npy.read(single.resolve(f)).data();
                assertThat(batched).as("%s of s%d", f, i).hasSameSizeAs(alone);
                for (int k = 0; k < alone.length; k++) {
                    assertThat(batched[k]).as("%s of s%d at %d", f, i, k).isCloseTo(alone[k],
                            org.assertj.core.api.Assertions.within(1e-4f * (1 + Math.abs(alone[k]))));
                }
            }
        }
        // a rerun, batched too, finds every explained image done and reports the broken one again
        CliRunner.Result again = CliRunner.run("--image-path", in.toString(), "--output-dir", out.toString(), "--quiet",
                "--save-raw", "--batch-size", "3");
        assertThat(again.exit()).isEqualTo(FolderRun.SOME_FAILED);
        assertThat(again.out().lines().filter(l -> l.endsWith("(done before, skipped)"))).hasSize(7);
    }

    @Test
    void thePipelinedFolderRunGivesWhatSingleRunsGiveInOrder() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("many"));
        for (int i = 0; i < 7; i++) {
            scene(in, "s" + i + ".png", 20 + i);
        }
        Path out = tmp.resolve("all");
        CliRunner.Result r = CliRunner.run("--image-path", in.toString(), "--output-dir", out.toString(), "--quiet",
                "--save-raw", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> order = new java.util.ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"image\": \"[^\"]*(s\\d)\\.png\"").matcher(r.out());
        while (m.find()) {
            order.add(m.group(1));
        }
        assertThat(order).containsExactly("s0", "s1", "s2", "s3", "s4", "s5", "s6");
        for (int i = 0; i < 7; i++) {
            Path single = tmp.resolve("one" + i);
            assertThat(CliRunner.run("--image-path", in.resolve("s" + i + ".png").toString(), "--output-dir",
                    single.toString(), "--quiet", "--save-raw").exit()).isZero();
            for (String f : List.of("X_cam.jpg", "cam.jpg", "compare.png", "xgradcam_cam.npy", "gradients.npy")) {
                assertThat(Files.readAllBytes(out.resolve("s" + i).resolve(f))).as("%s of s%d", f, i)
                        .isEqualTo(Files.readAllBytes(single.resolve(f)));
            }
        }
    }

    @Test
    void aRerunSkipsWhatIsDoneByContentAndOptions() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("resume"));
        for (int i = 0; i < 4; i++) {
            scene(in, "r" + i + ".png", 40 + i);
        }
        Path out = tmp.resolve("rout");
        String[] args = {"--image-path", in.toString(), "--output-dir", out.toString(), "--quiet"};
        CliRunner.Result first = CliRunner.run(args);
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).doesNotContain("skipped");
        byte[] before = Files.readAllBytes(out.resolve("r1").resolve("X_cam.jpg"));
        scene(in, "r2.png", 99); // changed content: explained again
        CliRunner.Result second = CliRunner.run(args);
        assertThat(second.exit()).as(second.err()).isZero();
        assertThat(second.out().lines().filter(l -> l.contains("skipped"))).hasSize(3);
        assertThat(second.out().lines().filter(l -> l.contains("r2.png")).findFirst().orElseThrow()).doesNotContain("skipped");
        assertThat(Files.readAllBytes(out.resolve("r1").resolve("X_cam.jpg"))).isEqualTo(before);
        // other options: nothing is skipped; --overwrite: nothing is skipped either
        assertThat(CliRunner.run("--image-path", in.toString(), "--output-dir", out.toString(), "--quiet", "--colormap",
                "turbo").out()).doesNotContain("skipped");
        CliRunner.Result forced = CliRunner.run("--image-path", in.toString(), "--output-dir", out.toString(), "--quiet",
                "--colormap", "turbo", "--overwrite");
        assertThat(forced.out()).doesNotContain("skipped");
        CliRunner.Result json = CliRunner.run("--image-path", in.toString(), "--output-dir", out.toString(), "--quiet",
                "--colormap", "turbo", "--json");
        assertThat(json.out()).contains("r0.png").contains("r3.png").contains("\"class\"");
    }

    @Test
    void topKWritesAFolderPerClassEqualToExplainingEachClass() throws Exception {
        Path img = scene(tmp, "k.png", 77);
        Path out = tmp.resolve("topk");
        CliRunner.Result r = CliRunner.run("--image-path", img.toString(), "--top-k", "3", "--output-dir", out.toString(),
                "--save-raw", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"top_k\"").contains("\"rank\": 3");
        List<Path> folders;
        try (Stream<Path> s = Files.list(out)) {
            folders = s.sorted().toList();
        }
        assertThat(folders).hasSize(3);
        for (Path f : folders) {
            String cls = f.getFileName().toString().replaceAll("^\\d+-", "");
            Path single = tmp.resolve("single-" + cls);
            assertThat(CliRunner.run("--image-path", img.toString(), "--target-index", cls, "--output-dir", single.toString(),
                    "--save-raw").exit()).isZero();
            float[] a = org.xgradcam.io.Npy.read(f.resolve("xgradcam_cam.npy")).data();
            float[] b = org.xgradcam.io.Npy.read(single.resolve("xgradcam_cam.npy")).data();
            for (int i = 0; i < a.length; i++) {
                assertThat(a[i]).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }

    @Test
    void jsonListsTheFailures() throws Exception {
        Path in = mixedFolder();
        CliRunner.Result r = CliRunner.run("--image-path", in.toString(), "--output-dir", tmp.resolve("o").toString(),
                "--json", "--quiet");
        assertThat(r.exit()).isEqualTo(FolderRun.SOME_FAILED);
        // one line per image; a failed one carries its error
        assertThat(r.out().lines().filter(l -> l.contains("b.jpg\"")).findFirst().orElseThrow())
                .contains("\"error\": ").contains("\"preprocessing\"");
    }

    @Test
    void inputsSharingAStemGetFoldersOfTheirOwn() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Path other = Files.createDirectories(tmp.resolve("other"));
        scene(in, "cat.jpg", 1);
        scene(in, "cat.png", 2);
        scene(in, "dog.png", 3);
        scene(other, "dog.png", 4);
        Path out = tmp.resolve("out");
        CliRunner.Result r = CliRunner.run("--image-path", in.toString(), "--image-path", other.resolve("dog.png").toString(),
                "--output-dir", out.toString(), "--quiet", "--no-figure");
        assertThat(r.exit()).as(r.err()).isZero();
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("cat_jpg", "cat_png", "dog_png", "dog_png-2");
        }
    }

    @Test
    void evaluateGoesOnPastBadImages() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("ev"));
        scene(in, "a.png", 1);
        Files.writeString(in.resolve("b.png"), "broken");
        scene(in, "c.png", 2);
        Path out = tmp.resolve("report");
        CliRunner.Result r = CliRunner.run("evaluate", "--images", in.toString(), "--metrics", "deletion",
                "--methods", "gradcam", "--steps", "4", "--output-dir", out.toString(), "--quiet");
        assertThat(r.exit()).as(r.err()).isEqualTo(FolderRun.SOME_FAILED);
        assertThat(r.err()).contains("b.png").contains("evaluated 2 of 3 images");
        String csv = Files.readString(out.resolve("results.csv"));
        assertThat(csv).contains("a.png").contains("c.png").doesNotContain("b.png");
        assertThat(Files.readString(out.resolve("summary.json"))).contains("\"failed\"").contains("b.png");
    }

    @Test
    void severalLayersAreAllReportedAndSaved() throws Exception {
        Path img = scene(tmp, "x.png", 5);
        Path out = tmp.resolve("layers");
        String l1 = "/features/features.12/Relu_output_0";
        String l2 = "/features/features.8/MaxPool_output_0";
        CliRunner.Result r = CliRunner.run("--image-path", img.toString(), "--layer", l1, "--layer", l2, "--save-raw",
                "--json", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains(l1).contains(l2).contains("\"layers\"");
        assertThat(out.resolve("activations.npy")).exists();
        Path first = out.resolve("layers").resolve("1-features_features.12_Relu_output_0");
        Path second = out.resolve("layers").resolve("2-features_features.8_MaxPool_output_0");
        assertThat(org.xgradcam.io.Npy.read(first.resolve("activations.npy")).shape()).containsExactly(24, 12, 12);
        assertThat(org.xgradcam.io.Npy.read(second.resolve("activations.npy")).shape()).containsExactly(64, 12, 12);
        assertThat(org.xgradcam.io.Npy.read(second.resolve("xgradcam_cam_lowres.npy")).shape()).containsExactly(12, 12);
        assertThat(Files.readAllBytes(first.resolve("gradients.npy"))).isEqualTo(Files.readAllBytes(out.resolve("gradients.npy")));
    }

    @Test
    void torchModuleNamesFindTheModuleOutput() throws Exception {
        Path img = scene(tmp, "x.png", 6);
        CliRunner.Result r = CliRunner.run("--image-path", img.toString(), "--layer", "features.8", "--json",
                "--output-dir", tmp.resolve("m").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("/features/features.8/MaxPool_output_0");
        assertThat(r.err()).contains("module features.8");
    }
}
