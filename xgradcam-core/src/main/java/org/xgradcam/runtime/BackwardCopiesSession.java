package org.xgradcam.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xgradcam.XGradCamException;
import org.xgradcam.autodiff.AugmentedModel;
import org.xgradcam.onnx.GraphSurgery;
import org.xgradcam.onnx.OrtSessions;
import org.xgradcam.tensor.FloatTensor;

/**
 * k targets of one input in one run where the graph cannot run k rows (a detector that selects
 * one image's boxes): the forward once, its backward copied k times, each copy from its own seed
 * to its own gradient at the layer ({@link GraphSurgery#backwardCopies}).
 */
public final class BackwardCopiesSession implements AutoCloseable {
    private final AugmentedModel model;
    private final String layer;
    private final int k;
    private final OrtSession session;
    private final long buildNanos;

    /** The score and each seed's gradient at the layer, in seed order. */
    public record Result(FloatTensor score, List<FloatTensor> gradients) {}

    public BackwardCopiesSession(AugmentedModel model, String layer, int k, RuntimeOptions options) {
        if (model.topClassSeed().isPresent()) {
            throw new XGradCamException("backward copies take explicit seeds; this model seeds its top class inside");
        }
        this.model = model;
        this.layer = layer;
        this.k = k;
        long t0 = System.nanoTime();
        this.session = Sessions.open(GraphSurgery.backwardCopies(model.model(), model.seed(), model.targetGradients().get(layer),
                model.score(), k), options);
        this.buildNanos = System.nanoTime() - t0;
    }

    public int copies() {
        return k;
    }

    /** How long building the graph and starting its session took. */
    public long buildNanos() {
        return buildNanos;
    }

    /** One run: {@code input} the layer's (or the model's) input, a seed per copy, values fed as another run gave them. */
    public Result run(FloatTensor input, List<FloatTensor> seeds, Map<String, OnnxTensor> fed) {
        if (seeds.size() != k) {
            throw new IllegalArgumentException(seeds.size() + " seeds for " + k + " copies");
        }
        OrtEnvironment env = OrtSessions.environment();
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> feeds = new HashMap<>(fed);
            feeds.put(model.input(), GradientSession.own(env, owned, input));
            for (int j = 0; j < k; j++) {
                feeds.put(model.seed() + "_" + j, GradientSession.own(env, owned, seeds.get(j)));
            }
            try (OrtSession.Result r = OrtSessions.run(session, feeds, null)) {
                List<FloatTensor> grads = new ArrayList<>(k);
                String g = model.targetGradients().get(layer);
                for (int j = 0; j < k; j++) {
                    grads.add(GradientSession.read(r, g + "_" + j));
                }
                return new Result(GradientSession.read(r, model.score()), grads);
            }
        } catch (OrtException e) {
            throw new XGradCamException("ONNX Runtime failed to run " + k + " backward copies: " + OrtSessions.firstLine(e.getMessage()), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        OrtSessions.closeSession(session);
    }
}
