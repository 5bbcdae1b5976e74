package org.xgradcam.cli;

import java.nio.file.Path;
import org.xgradcam.runtime.RuntimeOptions;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares. */
public class CommonOptions {
    @Option(names = "--model", paramLabel = "NAME|FILE",
            description = "Model: 'shapes' (the embedded demo, default), a catalogue name (see 'xgradcam models') or an .onnx file.")
    String model;

    @Option(names = "--use-cuda", description = "Run on the GPU (CUDA execution provider) when available; otherwise say so and use the CPU.")
    boolean useCuda;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads (default: one per core).")
    int threads;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Where downloaded models are kept (default: $XGRADCAM_CACHE or ~/.cache/xgradcam).")
    Path cacheDir;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    RuntimeOptions runtime() {
        return RuntimeOptions.cpu().withCuda(useCuda).withThreads(threads);
    }

    ModelCache cache() {
        return new ModelCache(cacheDir != null ? cacheDir : ModelCache.defaultDir(), new Progress(System.err, !quiet));
    }

    ModelSpec resolveModel() {
        return ModelSpec.resolve(model, cache());
    }
}
