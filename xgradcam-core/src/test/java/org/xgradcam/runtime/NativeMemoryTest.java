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
            // The allocator's arenas move by a few MiB either way now and then; a leak grows every
            // window. So: the median growth of 5 windows of 1000 runs (1000 runs in total per window).
            long[] growth = new long[5];
            for (int w = 0; w < growth.length; w++) {
                long before = nativeKb(status);
                for (int i = 0; i < 1000; i++) {
                    s.run(x, GradientSession.Seed.topClass());
                }
                growth[w] = nativeKb(status) - before;
            }
            long[] sorted = growth.clone();
            java.util.Arrays.sort(sorted);
            // leaking even 1 KiB a run (the input alone is 24 KiB) would put every window above 1000 KiB
            assertThat(sorted[2]).as("median native growth in KiB per 1000 runs, windows %s",
                    java.util.Arrays.toString(growth)).isLessThan(1000);
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
