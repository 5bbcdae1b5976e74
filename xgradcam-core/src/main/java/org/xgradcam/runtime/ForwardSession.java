package org.xgradcam.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.OrtSessions;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;

/** A plain forward run of a model (or of a part of one, such as the graph after a layer). */
public final class ForwardSession implements AutoCloseable {
    private final OrtSession session;
    private final String input;
    private final OrtEnvironment env = OrtSessions.environment();

    public ForwardSession(OnnxModel model, String input, RuntimeOptions options) {
        this.session = Sessions.open(model, options);
        this.input = input;
    }

    /**
     * A run's outputs kept open as ONNX Runtime gave them (any type), to feed another session
     * ({@link GradientSession#run(FloatTensor, GradientSession.Seed, Map)}); close it after.
     */
    public static final class Kept implements AutoCloseable {
        private final OnnxTensor input;
        private final OrtSession.Result result;

        private Kept(OnnxTensor input, OrtSession.Result result) {
            this.input = input;
            this.result = result;
        }

        public FloatTensor floats(String name) {
            return GradientSession.read(result, name);
        }

        /** An output, or the run's own input by its name. */
        public OnnxTensor tensor(String name, String inputName) {
            if (name.equals(inputName)) {
                return input;
            }
            return (OnnxTensor) result.get(name).orElseThrow(() -> new XGradCamException("missing output " + name));
        }

        @Override
        public void close() {
            result.close();
            input.close();
        }
    }

    /** Runs the model and keeps the named outputs open (see {@link Kept}). */
    public Kept runKept(FloatTensor x, java.util.Collection<String> outputs) {
        OnnxTensor t = null;
        try {
            t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data()), x.shape());
            return new Kept(t, OrtSessions.run(session, Map.of(input, t), Set.copyOf(outputs)));
        } catch (OrtException e) {
            if (t != null) {
                t.close();
            }
            throw new XGradCamException("ONNX Runtime failed to run the model on an input of shape "
                    + Arrays.toString(x.shape()) + ": " + OrtSessions.firstLine(e.getMessage()), e);
        }
    }

    /** Runs the model and returns the named outputs (all outputs if none are named). */
    public Map<String, FloatTensor> run(FloatTensor x, String... outputs) {
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data()), x.shape());
             OrtSession.Result r = OrtSessions.run(session, Map.of(input, t), outputs.length == 0 ? null
                     : Set.copyOf(List.of(outputs)))) {
            Map<String, FloatTensor> out = new LinkedHashMap<>();
            for (var e : r) {
                out.put(e.getKey(), GradientSession.read(r, e.getKey()));
            }
            return out;
        } catch (OrtException e) {
            throw new XGradCamException("ONNX Runtime failed to run the model on an input of shape "
                    + Arrays.toString(x.shape()) + ": " + OrtSessions.firstLine(e.getMessage()), e);
        }
    }

    /** Runs a model of several inputs (a tail that keeps the model input) and returns one output. */
    public FloatTensor run(Map<String, FloatTensor> feeds, String output) {
        return run(feeds, List.of(output)).get(output);
    }

    /** Runs a model of several inputs and returns the named outputs, from one run. */
    public Map<String, FloatTensor> run(Map<String, FloatTensor> feeds, List<String> outputs) {
        List<OnnxTensor> owned = new java.util.ArrayList<>();
        try {
            Map<String, OnnxTensor> in = new LinkedHashMap<>();
            for (var f : feeds.entrySet()) {
                OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(f.getValue().data()), f.getValue().shape());
                owned.add(t);
                in.put(f.getKey(), t);
            }
            try (OrtSession.Result r = OrtSessions.run(session, in, Set.copyOf(outputs))) {
                Map<String, FloatTensor> out = new LinkedHashMap<>();
                for (String o : outputs) {
                    out.put(o, GradientSession.read(r, o));
                }
                return out;
            }
        } catch (OrtException e) {
            throw new XGradCamException("ONNX Runtime failed to run the model: " + OrtSessions.firstLine(e.getMessage()), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    public FloatTensor run(FloatTensor x, String output) {
        return run(x, new String[] {output}).get(output);
    }

    @Override
    public void close() {
        OrtSessions.closeSession(session);
    }
}
