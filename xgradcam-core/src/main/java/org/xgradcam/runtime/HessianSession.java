package org.xgradcam.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xgradcam.XGradCamException;
import org.xgradcam.autodiff.HessianBuilder;
import org.xgradcam.onnx.OrtSessions;
import org.xgradcam.tensor.FloatTensor;

/**
 * Runs a {@link HessianBuilder.HessianModel}: one ONNX Runtime call gives the score, the layer's
 * activations A, the gradient g = dS/dA and the Hessian-vector product H A, for the seed weights
 * of each row (as {@link GradientSession} takes them).
 */
public final class HessianSession implements AutoCloseable {
    private final HessianBuilder.HessianModel model;
    private final OrtSession session;
    private final OrtEnvironment env = OrtSessions.environment();

    /** The outputs of one run, [N, ...] each. */
    public record Result(FloatTensor score, FloatTensor activations, FloatTensor gradient, FloatTensor hessianTimesActivations) {}

    public HessianSession(HessianBuilder.HessianModel model, RuntimeOptions options) {
        this.model = model;
        this.session = Sessions.open(model.second().model(), options);
    }

    public Result run(FloatTensor input, FloatTensor seedWeights) {
        int n = input.dim(0);
        long[] scoreShape = model.first().scoreShape().clone();
        scoreShape[0] = n;
        if (!Arrays.equals(seedWeights.shape(), scoreShape)) {
            throw new XGradCamException("seed shape " + Arrays.toString(seedWeights.shape()) + " does not match the score shape "
                    + Arrays.toString(scoreShape));
        }
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> feeds = new HashMap<>();
            feeds.put(model.first().input(), own(owned, input));
            feeds.put(model.first().seed(), own(owned, seedWeights));
            model.first().topClassSeed().ifPresent(t -> feeds.put(t, uncheckedOwn(owned, FloatTensor.zeros(n, 1))));
            float[] ones = new float[n];
            Arrays.fill(ones, 1f);
            feeds.put(model.second().seed(), own(owned, new FloatTensor(new long[] {n, 1}, ones)));
            model.second().topClassSeed().ifPresent(t -> feeds.put(t, uncheckedOwn(owned, FloatTensor.zeros(n, 1))));
            try (OrtSession.Result r = org.xgradcam.onnx.OrtSessions.run(session, feeds, null)) {
                FloatTensor g = GradientSession.read(r, model.gradient());
                FloatTensor g2 = GradientSession.read(r, model.gradientOfSecond());
                float[] hv = new float[g.size()];
                for (int i = 0; i < hv.length; i++) {
                    hv[i] = g2.data()[i] - g.data()[i]; // d(sum g A)/dA = H A + g
                }
                return new Result(GradientSession.read(r, model.first().score()), GradientSession.read(r, model.layer()), g,
                        new FloatTensor(g.shape(), hv));
            }
        } catch (OrtException e) {
            throw new XGradCamException("ONNX Runtime failed to run the second-order model: " + OrtSessions.firstLine(e.getMessage()), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    private OnnxTensor own(List<OnnxTensor> owned, FloatTensor t) throws OrtException {
        return GradientSession.own(env, owned, t);
    }

    private OnnxTensor uncheckedOwn(List<OnnxTensor> owned, FloatTensor t) {
        try {
            return own(owned, t);
        } catch (OrtException e) {
            throw new XGradCamException("cannot create a tensor: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        OrtSessions.closeSession(session);
    }
}
