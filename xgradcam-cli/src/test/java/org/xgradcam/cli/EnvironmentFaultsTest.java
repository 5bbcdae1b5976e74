package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.image.Pictures;
import org.xgradcam.scenes.Scenes;

/**
 * Faults of the machine, not of the input, each in a child process: a missing temporary folder,
 * a full disk, a file-size limit, too small a heap, a run terminated or killed midway. Each is
 * named as what it is, in one line, and leaves no partial file and no empty output folder.
 */
class EnvironmentFaultsTest {
    @TempDir
    Path tmp;

    private Path cache;
    private Path temp;

    @BeforeEach
    void folders() throws Exception {
        cache = Files.createDirectories(tmp.resolve("cache"));
        temp = Files.createDirectories(tmp.resolve("tmp"));
    }

    private record Run(int exit, String out, String err) {}

    private List<String> java(String... jvmArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), XGradCamCommand.class.getName()));
        return cmd;
    }

    private ProcessBuilder builder(List<String> cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("XGRADCAM_CACHE", cache.toString());
        return pb;
    }

    private Run run(List<String> cmd) throws Exception {
        Process p = builder(cmd).redirectOutput(tmp.resolve("stdout").toFile()).redirectError(tmp.resolve("stderr").toFile())
                .start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished").isTrue();
        return new Run(p.exitValue(), Files.readString(tmp.resolve("stdout")), Files.readString(tmp.resolve("stderr")));
    }

    private static List<String> with(List<String> cmd, String... args) {
        List<String> all = new ArrayList<>(cmd);
        all.addAll(List.of(args));
        return all;
    }

    private Path image(String name, int size) {
        Path p = tmp.resolve(name);
        Pictures.save(Scenes.generate(3, 1, size, 1.0).image(), p);
        return p;
    }

    private static List<Path> partials(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> w = Files.walk(dir)) {
            return w.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
        }
    }

    private static void assertOneLine(Run r, String... says) {
        List<String> lines = r.err().strip().lines().filter(l -> !l.startsWith("xgradcam: note:")).toList();
        assertThat(lines).as(r.err()).hasSize(1);
        assertThat(lines.get(0)).startsWith("xgradcam: error: ").doesNotContain("\tat ");
        for (String s : says) {
            assertThat(lines.get(0)).as(r.err()).contains(s);
        }
    }

    @Test
    void aMissingTemporaryFolderIsNamed() throws Exception {
        Path out = tmp.resolve("out");
        Run r = run(with(java("-Djava.io.tmpdir=" + tmp.resolve("no-such-folder")), "--image-path",
                image("a.png", 96).toString(), "--output-dir", out.toString()));
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertOneLine(r, "temporary folder", "java.io.tmpdir", "no-such-folder");
        assertThat(out).doesNotExist();
    }

    @Test
    void nativeLibrariesAreUnpackedOnceIntoTheCacheAndNothingIsLeftInTmp() throws Exception {
        List<String> cmd = with(java("-Djava.io.tmpdir=" + temp), "--image-path", image("a.png", 96).toString(),
                "--output-dir", tmp.resolve("o1").toString());
        Run first = run(cmd);
        assertThat(first.exit()).as(first.err()).isZero();
        try (Stream<Path> s = Files.list(cache.resolve("native"))) {
            List<Path> dirs = s.toList();
            assertThat(dirs).hasSize(1);
            assertThat(dirs.get(0).getFileName().toString()).startsWith("onnxruntime-");
            assertThat(dirs.get(0).resolve(System.mapLibraryName("onnxruntime"))).isRegularFile();
        }
        // killed while running: nothing of ONNX Runtime's stays in the temporary folder
        Process p = builder(with(java("-Djava.io.tmpdir=" + temp), "--image-path", tmp.toString(), "--output-dir",
                tmp.resolve("o2").toString())).start();
        Thread.sleep(1500);
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        try (Stream<Path> s = Files.walk(temp)) {
            assertThat(s.filter(Files::isRegularFile).toList()).as("files left in java.io.tmpdir").isEmpty();
        }
    }

    @Test
    void tooSmallAHeapIsSaidInOneLine() throws Exception {
        Path big = image("big.png", 3000);
        Path out = tmp.resolve("out");
        Run r = run(with(java("-Xmx48m"), "--image-path", big.toString(), "--output-dir", out.toString()));
        assertThat(r.exit()).as(r.err()).isIn(1, 4);
        assertOneLine(r, "-Xmx");
        assertThat(out).doesNotExist();
    }

    @Test
    void aFileSizeLimitIsNamedAndLeavesNoPartialFiles() throws Exception {
        Path img = image("a.png", 96);
        assertThat(run(with(java(), "--image-path", img.toString(), "--output-dir", tmp.resolve("warm").toString())).exit())
                .isZero(); // libraries unpacked into the cache before the limit applies
        Path out = tmp.resolve("out");
        String cmd = "ulimit -f 8; exec " + String.join(" ", with(java(), "--image-path", img.toString(), "--save-raw",
                "--output-dir", out.toString()).stream().map(a -> "'" + a + "'").toList());
        Run r = run(List.of("bash", "-c", cmd));
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertOneLine(r, "file-size limit");
        assertThat(partials(out)).isEmpty();
        assertThat(out).as("the image's files are removed together").doesNotExist();
    }

    @Test
    void aFileSizeLimitAtTheFirstStartIsOneLineWithoutOnnxRuntimesStackTrace() throws Exception {
        Path img = image("first.png", 96);
        Path fresh = tmp.resolve("fresh-cache"); // nothing unpacked yet: ONNX Runtime's libraries hit the limit
        String cmd = "ulimit -f 1000; export XGRADCAM_CACHE='" + fresh + "'; exec " + String.join(" ", with(java(),
                "--image-path", img.toString(), "--output-dir", tmp.resolve("first-out").toString()).stream()
                .map(a -> "'" + a + "'").toList());
        Run r = run(List.of("bash", "-c", cmd));
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertOneLine(r, "ONNX Runtime could not start", "file-size limit");
        assertThat(r.err()).doesNotContain("WARNING").doesNotContain("IOException");
    }

    @Test
    void aFileNameTheLocaleCannotHoldIsRefusedWithTheWayOut() throws Exception {
        Path img = image("plain.png", 96);
        // the name's bytes made by the shell (UTF-8 for "ü"), the run under the C locale
        String name = "$'\\xc3\\xbcber.png'";
        String java = String.join(" ", java().stream().map(a -> "'" + a + "'").toList());
        String cmd = "cd '" + tmp + "' && cp '" + img + "' " + name + " && mkdir -p umlaut && cp '" + img + "' umlaut/" + name
                + " && export LANG=C LC_ALL=C && " + java + " --image-path " + name + " --output-dir one; echo \"exit=$?\" >&2; "
                + java + " --image-path umlaut --output-dir folder; echo \"exit=$?\" >&2";
        Run r = run(List.of("bash", "-c", cmd));
        List<String> lines = r.err().strip().lines().toList();
        assertThat(lines.get(0)).as(r.err()).startsWith("xgradcam: error:").contains("cannot be used").contains("LANG=C.UTF-8")
                .doesNotContain("internal error");
        assertThat(lines.get(1)).isEqualTo("exit=2"); // a command-line value it cannot take
        assertThat(r.err()).doesNotContain("InvalidPathException").doesNotContain("\tat ").contains("exit=5");
        assertThat(lines.stream().filter(l -> l.contains("umlaut/")).findFirst().orElseThrow()).contains("LANG=C.UTF-8");
    }

    @Test
    void aFullDiskIsNamedAndLeavesNoPartialFiles() throws Exception {
        Path mount = Files.createDirectories(tmp.resolve("small"));
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        boolean mounted = m.waitFor(20, TimeUnit.SECONDS) && m.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN)");
        try {
            Path out = mount.resolve("out");
            Run r = run(with(java(), "--image-path", image("a.png", 96).toString(), "--save-raw", "--output-dir",
                    out.toString()));
            assertThat(r.exit()).as(r.err()).isEqualTo(1);
            assertOneLine(r, "disk is full");
            assertThat(partials(mount)).isEmpty();
            assertThat(out).doesNotExist();
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTerminatedOrKilledFolderRunLeavesNoPartialFilesOnceRerun() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        for (int i = 0; i < 40; i++) {
            Pictures.save(Scenes.generate(i, 1, 96, 1.0).image(), in.resolve("s" + i + ".png"));
        }
        Path out = tmp.resolve("out");
        List<String> cmd = with(java(), "--image-path", in.toString(), "--save-raw", "--method", "scorecam", "--method",
                "xgradcam", "--output-dir", out.toString(), "--quiet");
        Path work = Files.createDirectories(tmp.resolve("work"));
        for (boolean kill : new boolean[] {false, true}) {
            Process p = builder(cmd).directory(work.toFile()).redirectOutput(tmp.resolve("p.out").toFile())
                    .redirectError(tmp.resolve("p.err").toFile()).start();
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline && (!Files.exists(out) || Files.list(out).count() < 3)) {
                Thread.sleep(50);
            }
            if (kill) {
                p.destroyForcibly();
            } else {
                p.destroy(); // SIGTERM: the shutdown hook removes files in flight
            }
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            if (!kill) {
                assertThat(partials(out)).as("partial files after SIGTERM").isEmpty();
                // the model runs in flight were stopped before ONNX Runtime's exit: no JVM crash, no crash log
                assertThat(p.exitValue()).as(Files.readString(tmp.resolve("p.err"))).isEqualTo(143);
                try (Stream<Path> s = Files.list(work)) {
                    assertThat(s.map(f -> f.getFileName().toString())).as("crash logs").noneMatch(f -> f.startsWith("hs_err"));
                }
            }
        }
        // a rerun over the same folder finishes and sweeps what a killed run may have left
        Run again = run(cmd);
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(partials(out)).as("partial files after the rerun").isEmpty();
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.count()).isEqualTo(40);
        }
        assertThat(Files.readString(tmp.resolve("stdout"), StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("class of interest"))).hasSize(40);
    }

    @Test
    void aRunKilledBeforeWritingLeavesNoOutputFolder() throws Exception {
        Path out = tmp.resolve("never");
        Process p = builder(with(java(), "--image-path", image("a.png", 96).toString(), "--output-dir", out.toString()))
                .start();
        Thread.sleep(150);
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertThat(out).doesNotExist();
    }
}
