package org.xgradcam.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.xgradcam.autodiff.AugmentedModel;
import org.xgradcam.autodiff.GradientBuilder;
import org.xgradcam.autodiff.GradientRequest;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.ForwardSession;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;

/**
 * Checks a model's analytic gradient of L = sum(seed * Y) with respect to its input against
 * central finite differences of ONNX Runtime's own forward pass.
 *
 * <p>Tolerance: the forward runs in float32, so L carries a rounding error of about
 * |L| * 1e-7 * sqrt(#ops); divided by 2h (h = 1e-2) that is ~1e-4 for the |L| ~ 10 of these
 * tests. Smooth ops add an O(h^2) truncation error of the same size. Inputs of piecewise-linear
 * ops are kept at least 2h away from kinks and ties, where FD would be meaningless. The check
 * asks max|analytic - FD| <= 2e-3 * max(1, max|FD|): far above the noise, far below the
 * O(1) relative error of a wrong rule.
 */
public final class GradientCheck {
    public static final double H = 1e-2;
    public static final double TOLERANCE = 2e-3;

    private GradientCheck() {}

    public static double[] check(OnnxModel model, String output, long[] inputShape, float[] x, long seedBits) {
        Graph graph = new Graph(model);
        FloatTensor xt = new FloatTensor(inputShape, x);
        // shapes of this input's run: a selection by value (NonZero, TopK) sizes its tensors by the values
        ModelShapes shapes = ModelShapes.measured(graph, inputShape, xt);
        String input = graph.inputs().get(0);
        AugmentedModel aug = GradientBuilder.build(graph, shapes, GradientRequest.of(List.of(input), output));
        Random rnd = new Random(seedBits);
        long[] yShape;
        try (ForwardSession f = new ForwardSession(model, input, RuntimeOptions.cpu().withThreads(1))) {
            yShape = f.run(xt, output).shape();
        }
        float[] w = new float[(int) FloatTensor.numel(yShape)];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        FloatTensor seed = new FloatTensor(yShape, w);
        float[] analytic;
        try (GradientSession s = new GradientSession(aug, RuntimeOptions.cpu().withThreads(1))) {
            GradientResult r = s.run(xt, GradientSession.Seed.of(seed));
            analytic = r.gradient(input).data();
        }
        double[] fd = new double[x.length];
        try (ForwardSession f = new ForwardSession(model, input, RuntimeOptions.cpu().withThreads(1))) {
            DoubleSupplier loss = () -> {
                float[] y = f.run(xt, output).data();
                double l = 0;
                for (int i = 0; i < y.length; i++) {
                    l += (double) y[i] * w[i];
                }
                return l;
            };
            for (int i = 0; i < x.length; i++) {
                float orig = x[i];
                x[i] = (float) (orig + H);
                double plus = loss.getAsDouble();
                x[i] = (float) (orig - H);
                double minus = loss.getAsDouble();
                x[i] = orig;
                fd[i] = (plus - minus) / (2 * H);
            }
        }
        double maxFd = 0;
        double maxErr = 0;
        for (int i = 0; i < x.length; i++) {
            maxFd = Math.max(maxFd, Math.abs(fd[i]));
            maxErr = Math.max(maxErr, Math.abs(fd[i] - analytic[i]));
        }
        assertThat(maxFd).as("finite differences see a gradient (else the check proves nothing)").isGreaterThan(1e-3);
        assertThat(maxErr).as("max |analytic - finite difference| (max |fd| = %s)", maxFd)
                .isLessThanOrEqualTo(TOLERANCE * Math.max(1, maxFd));
        return fd;
    }

    /** Values in [-2, 2] at least `margin` away from each of the given kinks. */
    public static float[] awayFrom(Random rnd, int n, double margin, double... kinks) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double x;
            boolean ok;
            do {
                x = rnd.nextDouble() * 4 - 2;
                ok = true;
                for (double k : kinks) {
                    ok &= Math.abs(x - k) > margin;
                }
            } while (!ok);
            v[i] = (float) x;
        }
        return v;
    }

    /** Distinct values spaced 0.05 apart, shuffled: no ties within 2h for max-pooling. */
    public static float[] distinct(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((i - n / 2.0) * 0.05);
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }
}
