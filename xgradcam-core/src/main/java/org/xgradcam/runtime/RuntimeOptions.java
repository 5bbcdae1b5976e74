package org.xgradcam.runtime;

/**
 * How sessions run: on CPU (default) or the CUDA execution provider, with a thread count
 * (0 = ONNX Runtime's default, one per core).
 */
public record RuntimeOptions(boolean useCuda, int threads) {
    public static RuntimeOptions cpu() {
        return new RuntimeOptions(false, 0);
    }

    public RuntimeOptions withCuda(boolean cuda) {
        return new RuntimeOptions(cuda, threads);
    }

    public RuntimeOptions withThreads(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("thread count must be >= 0");
        }
        return new RuntimeOptions(useCuda, n);
    }
}
