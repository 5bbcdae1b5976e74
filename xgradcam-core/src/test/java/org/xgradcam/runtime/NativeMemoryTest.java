package org.xgradcam.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Engines;
import org.xgradcam.testing.Fixtures;

/** Every native tensor and result is released: runs in a loop do not grow the process. */
class NativeMemoryTest {
    @Test
    void thousandRunsDoNotGrowResidentMemory() throws Exception {
        Path status = Path.of("/proc/self/status");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(status), "needs /proc (Linux)");
        Engines e = Engines.load(Fixtures.resource("torchvision/resnet/model.onnx"));
        FloatTensor x = Npy.read(Fixtures.resource("torchvision/resnet/input.npy"));
        try (GradientSession s = new GradientSession(e.augment(e.catalog().requireDefault().tensor()), RuntimeOptions.cpu())) {
            for (int i = 0; i < 200; i++) {
                s.run(x, GradientSession.Seed.topClass()); // warm-up: arenas and JIT settle
            }
            // glibc's arenas move resident memory by up to ~20 MiB either way now and then, so single
            // windows say little. Every native object a run creates is at least the 24 KiB input
            // (2x3x32x32 floats): leaking any of them would add >= 120 MiB over these 5000 runs.
            long[] growth = new long[5];
            long start = nativeKb(status);
            for (int w = 0; w < growth.length; w++) {
                long before = nativeKb(status);
                for (int i = 0; i < 1000; i++) {
                    s.run(x, GradientSession.Seed.topClass());
                }
                growth[w] = nativeKb(status) - before;
            }
            long total = nativeKb(status) - start;
            assertThat(total).as("native growth in KiB over 5000 runs (per 1000: %s)", java.util.Arrays.toString(growth))
                    .isLessThan(48 * 1024);
        }
    }

    /** Resident memory outside the JVM's own committed heap and metaspace: what ONNX Runtime holds. */
    private static long nativeKb(Path status) throws Exception {
        System.gc();
        var mem = java.lang.management.ManagementFactory.getMemoryMXBean();
        long jvm = mem.getHeapMemoryUsage().getCommitted() + mem.getNonHeapMemoryUsage().getCommitted();
        return rssKb(status) - jvm / 1024;
    }

    private static long rssKb(Path status) throws Exception {
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }
}
