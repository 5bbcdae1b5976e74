package org.xgradcam.runtime;

import org.xgradcam.validation.Check;

/**
 * How sessions run: on CPU (default) or the CUDA execution provider, with a thread count
 * (0 = ONNX Runtime's default, one per core).
 */
public record RuntimeOptions(boolean useCuda, int threads) {
    /** The most intra-op threads a session may be given. */
    public static final int MAX_THREADS = 256;

    public RuntimeOptions {
        Check.range("thread count", threads, 0, MAX_THREADS);
    }

    public static RuntimeOptions cpu() {
        return new RuntimeOptions(false, 0);
    }

    public RuntimeOptions withCuda(boolean cuda) {
        return new RuntimeOptions(cuda, threads);
    }

    /** Intra-op threads: 0 (one per core) to 256. */
    public RuntimeOptions withThreads(int n) {
        return new RuntimeOptions(useCuda, n);
    }
}
