package org.xgradcam.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.function.Consumer;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.onnx.OrtSessions;

/** Session creation with the runtime options applied; a missing CUDA provider falls back to CPU. */
public final class Sessions {
    private Sessions() {}

    /** Where a note for the user goes (the CLI prints it; the library default is stderr). */
    private static volatile Consumer<String> notes = System.err::println;

    public static void setNoteSink(Consumer<String> sink) {
        notes = sink;
    }

    public static OrtSession open(OnnxModel model, RuntimeOptions options) {
        OrtEnvironment env = OrtSessions.environment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // pre-packed weights are one more copy of each and half of a large model's session start
            // (VGG16: 0.6 s), and measured no faster on the CPU (docs/benchmarks.md)
            opts.addConfigEntry("session.disable_prepacking", "1");
            if (options.threads() == 0 || options.threads() == OrtSessions.globalThreads()) {
                opts.disablePerSessionThreads(); // the environment's shared pool
            } else {
                opts.setIntraOpNumThreads(options.threads());
            }
            if (options.useCuda()) {
                try {
                    opts.addCUDA(0);
                } catch (OrtException | RuntimeException e) {
                    notes.accept("CUDA is not available (" + OrtSessions.firstLine(e.getMessage())
                            + "); running on the CPU. Use the onnxruntime_gpu build and a CUDA device to run on the GPU.");
                }
            }
            return OrtSessions.create(env, model, opts);
        } catch (OrtException e) {
            throw new XGradCamException("ONNX Runtime cannot load " + model.source() + ": " + OrtSessions.firstLine(e.getMessage()), e);
        }
    }
}
