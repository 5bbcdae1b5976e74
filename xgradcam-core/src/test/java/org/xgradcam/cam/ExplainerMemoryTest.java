package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * Warm explanations do not grow native memory: what the process holds outside the Java heap
 * stays flat over 20000 calls of the whole explain path (sessions, tensors, results, maps).
 * Resident memory as a whole may still rise while the heap expands towards its limit: that is
 * the JVM taking memory it is allowed, returned to the collector, not a leak, so the heap is
 * subtracted.
 */
class ExplainerMemoryTest {
    @Test
    void twentyThousandExplanationsKeepNativeMemoryFlat() throws Exception {
        Path status = Path.of("/proc/self/status");
        Assumptions.assumeTrue(Files.exists(status), "needs /proc (Linux)");
        FloatTensor x = Npy.read(Fixtures.resource("torchvision/resnet/input.npy"));
        x = x.row(0).reshape(prepend(x.row(0).shape()));
        Explainer.Request req = new Explainer.Request(List.of(Methods.byName("gradcam"), Methods.byName("xgradcam"),
                Methods.byName("layercam")), Target.topClass(), List.of(), PostProcess.SEED, 0);
        try (Explainer e = Explainer.open(OnnxModel.load(Fixtures.resource("torchvision/resnet/model.onnx")),
                Explainer.Options.defaults())) {
            for (int i = 0; i < 1000; i++) {
                e.explain(x, req); // warm-up: arenas and JIT settle
            }
            // glibc's arenas move resident memory by tens of MiB either way now and then, so single
            // windows say little; a leak grows linearly. The slope of native memory against calls,
            // fitted over 21 samples 1000 calls apart, has a noise below 1 KiB per call; anything a
            // call allocates and never frees (the input alone is 12 KiB) would put it far above 4.
            int samples = 21;
            int per = 1000;
            double[] kb = new double[samples];
            long rssStart = rssKb(status);
            for (int w = 0; w < samples; w++) {
                if (w > 0) {
                    for (int i = 0; i < per; i++) {
                        e.explain(x, req);
                    }
                }
                kb[w] = nativeKb(status);
            }
            double meanX = (samples - 1) / 2.0;
            double meanY = java.util.Arrays.stream(kb).average().orElse(0);
            double num = 0;
            double den = 0;
            for (int w = 0; w < samples; w++) {
                num += (w - meanX) * (kb[w] - meanY);
                den += (w - meanX) * (w - meanX);
            }
            double slopePerCall = num / den / per;
            System.out.printf("explainer memory: native slope %.2f KiB per call over %d calls; resident growth %d KiB"
                    + " (heap included)%n", slopePerCall, (samples - 1) * per, rssKb(status) - rssStart);
            assertThat(slopePerCall).as("native KiB per explanation, samples %s", java.util.Arrays.toString(kb))
                    .isLessThan(4.0);
        }
    }

    private static long[] prepend(long[] s) {
        long[] out = new long[s.length + 1];
        out[0] = 1;
        System.arraycopy(s, 0, out, 1, s.length);
        return out;
    }

    /** Resident memory outside the JVM's committed heap and non-heap. */
    private static long nativeKb(Path status) throws Exception {
        System.gc();
        var mem = ManagementFactory.getMemoryMXBean();
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
