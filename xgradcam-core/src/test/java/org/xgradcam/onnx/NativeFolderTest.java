package org.xgradcam.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A run leaves no onnxruntime-java* folder behind in the temporary directory. */
class NativeFolderTest {

    /** Run in a child JVM: loads ONNX Runtime and prints the folder it extracted into. */
    public static void main(String[] args) {
        OrtSessions.environment();
        System.out.println(OrtSessions.nativeFolder());
    }

    @Test
    void theExtractedLibrariesFolderIsRemovedAtExit() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                NativeFolderTest.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String last = out.lines().reduce((a, b) -> b).orElse("");
        assertThat(last).as("the folder ONNX Runtime reported").contains("onnxruntime-java");
        assertThat(Path.of(last)).as("left behind").satisfies(d -> assertThat(Files.exists(d)).isFalse());
    }
}
