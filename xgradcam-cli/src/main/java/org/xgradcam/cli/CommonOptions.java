package org.xgradcam.cli;

import org.xgradcam.models.ModelSpec;

import java.nio.file.Path;
import org.xgradcam.XGradCamException;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.validation.Check;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares (the cache's too). */
public class CommonOptions extends CacheOptions {
    @Option(names = "--model", paramLabel = "NAME|FILE",
            description = "Model: 'shapes' (the embedded demo, default), a catalogue name (see 'xgradcam models') or a model"
                    + " file (ONNX).")
    String model;

    @Option(names = "--use-cuda", description = "Run on the GPU (CUDA execution provider) when available; otherwise say so and use the CPU.")
    boolean useCuda;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads, 0 to 256 (default 0: one per core).")
    int threads;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "Class names, one per line in class-index order, instead of the model's (ImageNet for 1000 classes, COCO for 80-class detection heads, else numbers).")
    Path labels;

    /** Checks the values before anything is loaded. */
    void validate() {
        Check.range("--threads", threads, 0, RuntimeOptions.MAX_THREADS);
        if (model != null && model.isBlank()) {
            throw new XGradCamException("--model is empty; give a catalogue name (see 'xgradcam models'), 'shapes' or an .onnx file");
        }
    }

    RuntimeOptions runtime() {
        if (threads > 0) {
            // the pool every session shares, when ONNX Runtime is not started yet (else per session)
            org.xgradcam.onnx.OrtSessions.useGlobalThreads(threads);
        }
        return RuntimeOptions.cpu().withCuda(useCuda).withThreads(threads);
    }

    ModelSpec resolveModel() {
        validate();
        // the labels file is read first: a wrong path fails before a model is downloaded or loaded
        org.xgradcam.models.Labels own = labels == null ? null : org.xgradcam.models.Labels.file(labels);
        ModelSpec spec = DemoModel.resolve(model, cache());
        return own == null ? spec : spec.withLabels(own, "labels file " + labels);
    }
}
