package org.xgradcam.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.OrtSessions;
import org.xgradcam.autodiff.AugmentedModel;
import org.xgradcam.autodiff.BiasTerm;
import org.xgradcam.tensor.FloatTensor;

/**
 * Runs an augmented model: forward and backward in one ONNX Runtime call. The seed selects the
 * score: {@link Seed#topClass()} differentiates each row's top logit (chosen inside the graph),
 * {@link Seed#of(FloatTensor)} any weighted mix of score entries per row.
 */
public final class GradientSession implements AutoCloseable {
    private final AugmentedModel model;
    private final OrtSession session;
    private final OrtEnvironment env = OrtSessions.environment();

    /** The weights of the score entries that make up L, per batch row. */
    public static final class Seed {
        final FloatTensor weights; // null: top class only
        final float topClassWeight;

        private Seed(FloatTensor weights, float topClassWeight) {
            this.weights = weights;
            this.topClassWeight = topClassWeight;
        }

        public static Seed topClass() {
            return new Seed(null, 1f);
        }

        /** The weights per row (null: the top class, chosen inside the graph). */
        public FloatTensor weights() {
            return weights;
        }

        public static Seed of(FloatTensor weights) {
            return new Seed(weights, 0f);
        }

        /** One-hot seeds: class classes[i] for row i. */
        public static Seed classes(int[] classes, int numClasses) {
            float[] w = new float[classes.length * numClasses];
            for (int i = 0; i < classes.length; i++) {
                if (classes[i] < 0 || classes[i] >= numClasses) {
                    throw new XGradCamException("class index " + classes[i] + " is out of range: the model has "
                            + numClasses + " classes (0 to " + (numClasses - 1) + ")");
                }
                w[i * numClasses + classes[i]] = 1f;
            }
            return new Seed(new FloatTensor(new long[] {classes.length, numClasses}, w), 0f);
        }
    }

    public GradientSession(AugmentedModel model, RuntimeOptions options) {
        this(model, options, false);
    }

    /** With {@code prepack}, for a session whose matrix products run on several rows ({@link Sessions#open(org.xgradcam.onnx.OnnxModel, RuntimeOptions, boolean)}). */
    public GradientSession(AugmentedModel model, RuntimeOptions options, boolean prepack) {
        this.model = model;
        this.session = Sessions.open(model.model(), options, prepack);
    }

    public AugmentedModel model() {
        return model;
    }

    public GradientResult run(FloatTensor input, Seed seed) {
        return run(input, seed, -1, List.of(), null, Map.of());
    }

    /**
     * As {@link #run(FloatTensor, Seed)} for a model with more inputs than the layer (a fed tail,
     * {@link org.xgradcam.onnx.GraphSurgery#fedTail}): their values as another session gave them,
     * of any type; the caller keeps them open.
     */
    public GradientResult run(FloatTensor input, Seed seed, Map<String, OnnxTensor> fed) {
        return run(input, seed, -1, List.of(), null, fed);
    }

    /**
     * For a model whose score has a fixed number of rows whatever the input's batch (the k
     * ranked copies of a top-k run): each of the {@code rows} rows' top entry seeded; the graph
     * outputs {@code kept} are read into {@code keptValues} too.
     */
    public GradientResult runRows(FloatTensor input, int rows, List<String> kept, Map<String, FloatTensor> keptValues) {
        return run(input, Seed.topClass(), rows, kept, keptValues, Map.of());
    }

    private GradientResult run(FloatTensor input, Seed seed, int rows, List<String> kept, Map<String, FloatTensor> keptValues,
                               Map<String, OnnxTensor> fed) {
        long[] expected = model.inputShape();
        long[] got = input.shape();
        boolean ok = got.length == expected.length;
        for (int i = 1; ok && i < got.length; i++) {
            ok = got[i] == expected[i];
        }
        if (!ok) {
            long[] shown = expected.clone();
            shown[0] = -1;
            throw new XGradCamException("wrong input shape " + Arrays.toString(got) + ": this model was prepared for "
                    + Arrays.toString(shown).replace("-1", "N") + "; resize the image or prepare the model for this size");
        }
        int n = rows > 0 ? rows : (int) got[0];
        long[] scoreShape = model.scoreShape().clone();
        if (scoreShape.length > 1) {
            scoreShape[0] = n; // (a detector's scores [D] are one image's, with no batch axis)
        }
        FloatTensor seedWeights = seed.weights != null ? seed.weights : FloatTensor.zeros(scoreShape);
        if (!Arrays.equals(seedWeights.shape(), scoreShape)) {
            throw new XGradCamException("seed shape " + Arrays.toString(seedWeights.shape()) + " does not match the score shape "
                    + Arrays.toString(scoreShape));
        }
        if (seed.weights == null && model.topClassSeed().isEmpty()) {
            throw new XGradCamException("the score '" + model.score() + "' is not a [N, classes] tensor, so there is no"
                    + " top class; give an explicit target");
        }
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> feeds = new HashMap<>(fed);
            feeds.put(model.input(), own(owned, input));
            feeds.put(model.seed(), own(owned, seedWeights));
            if (model.topClassSeed().isPresent()) {
                float[] top = new float[n];
                Arrays.fill(top, seed.topClassWeight);
                feeds.put(model.topClassSeed().get(), own(owned, new FloatTensor(new long[] {n, 1}, top)));
            }
            try (OrtSession.Result r = OrtSessions.run(session, feeds, null)) {
                FloatTensor score = read(r, model.score());
                Map<String, FloatTensor> acts = new LinkedHashMap<>();
                Map<String, FloatTensor> grads = new LinkedHashMap<>();
                for (String t : model.targets()) {
                    acts.put(t, read(r, t));
                    grads.put(t, read(r, model.targetGradients().get(t)));
                }
                Optional<FloatTensor> inGrad = model.inputGradient().map(g -> read(r, g));
                Map<String, FloatTensor> bias = new LinkedHashMap<>();
                for (BiasTerm b : model.biasTerms()) {
                    bias.put(b.gradient(), read(r, b.gradient()));
                    if (b.isSaturation()) {
                        bias.put(b.clipInput(), read(r, b.clipInput()));
                    }
                }
                for (String k : kept) {
                    keptValues.put(k, read(r, k));
                }
                return new GradientResult(score, acts, grads, inGrad, bias);
            }
        } catch (OrtException e) {
            throw new XGradCamException("ONNX Runtime failed to run the model on an input of shape " + Arrays.toString(got)
                    + ": " + OrtSessions.firstLine(e.getMessage()), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    private OnnxTensor own(List<OnnxTensor> owned, FloatTensor t) throws OrtException {
        return own(env, owned, t);
    }

    /** A tensor over {@code t}'s data, added to {@code owned} for the caller to close after the run. */
    static OnnxTensor own(OrtEnvironment env, List<OnnxTensor> owned, FloatTensor t) throws OrtException {
        OnnxTensor o = OnnxTensor.createTensor(env, FloatBuffer.wrap(t.data()), t.shape());
        owned.add(o);
        return o;
    }

    static FloatTensor read(OrtSession.Result r, String name) {
        OnnxValue v = r.get(name).orElseThrow(() -> new XGradCamException("missing output " + name));
        OnnxTensor t = (OnnxTensor) v;
        if (t.getInfo().type == ai.onnxruntime.OnnxJavaType.INT64) {
            // integer outputs (a detector's labels) as floats: exact for the values they hold
            java.nio.LongBuffer lb = t.getLongBuffer();
            float[] data = new float[lb.remaining()];
            for (int i = 0; i < data.length; i++) {
                data[i] = lb.get();
            }
            return new FloatTensor(t.getInfo().getShape(), data);
        }
        if (t.getInfo().type == ai.onnxruntime.OnnxJavaType.INT32) {
            java.nio.IntBuffer ib = t.getIntBuffer();
            float[] data = new float[ib.remaining()];
            for (int i = 0; i < data.length; i++) {
                data[i] = ib.get();
            }
            return new FloatTensor(t.getInfo().getShape(), data);
        }
        FloatBuffer fb = t.getFloatBuffer();
        float[] data = new float[fb.remaining()];
        fb.get(data);
        return new FloatTensor(t.getInfo().getShape(), data);
    }

    @Override
    public void close() {
        OrtSessions.closeSession(session);
    }
}
