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
        return open(model, options, false);
    }

    /**
     * As {@link #open(OnnxModel, RuntimeOptions)}; with {@code prepack}, ONNX Runtime packs the
     * weights for its matrix products once, at creation: for a session whose products run on
     * several rows (the k ranked copies of a top-k run; VGG16's head backward at 5 rows: 206 ->
     * 163 ms), at the cost of a slower start and one more copy of those weights.
     */
    public static OrtSession open(OnnxModel model, RuntimeOptions options, boolean prepack) {
        OrtEnvironment env = OrtSessions.environment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // pre-packed weights are one more copy of each and half of a large model's session start
            // (VGG16: 0.6 s), and measured no faster for one image (docs/benchmarks.md)
            if (!prepack) {
                opts.addConfigEntry("session.disable_prepacking", "1");
            }
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
