package org.xgradcam.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.GraphSurgery;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.HessianSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Engines;
import org.xgradcam.testing.Fixtures;

/**
 * The second differentiation pass: H A at a layer against central finite differences of the
 * gradient along A, g(A + hA) - g(A - hA) / 2h, computed through the graph after the layer.
 */
class HessianTest {
    @ParameterizedTest(name = "{0} at {1}")
    @CsvSource({"efficientnet, features.4", "efficientnet, features.2", "convnext, features.1", "vgg, features.9", "resnet, layer2"})
    void hessianTimesActivationsEqualsFiniteDifferencesOfTheGradient(String model, String module) throws Exception {
        Engines e = Engines.load(Fixtures.resource("torchvision/" + model + "/model.onnx"));
        String layer = e.catalog().resolve(module).tensor();
        FloatTensor x = Npy.read(Fixtures.resource("torchvision/" + model + "/input.npy"));
        FloatTensor seed = Npy.read(Fixtures.resource("torchvision/" + model + "/seed.npy"));
        HessianBuilder.HessianModel hm = HessianBuilder.build(e.graph(), e.shapes(), layer, e.catalog().score(),
                GradientRequest.ScoreTransform.NONE);
        HessianSession.Result r;
        try (HessianSession s = new HessianSession(hm, RuntimeOptions.cpu())) {
            r = s.run(x, seed);
        }
        // the gradient of the graph after the layer, at A + hA and A - hA
        OnnxModel tail = GraphSurgery.tail(e.graph(), e.shapes(), layer, e.catalog().score());
        Engines t = Engines.load(tail);
        AugmentedModel aug = GradientBuilder.build(t.graph(), t.shapes(), GradientRequest.of(List.of(layer), t.catalog().score()));
        double h = 1e-3;
        float[] a = r.activations().data();
        float[] plus = a.clone();
        float[] minus = a.clone();
        for (int i = 0; i < a.length; i++) {
            plus[i] += (float) (h * a[i]);
            minus[i] -= (float) (h * a[i]);
        }
        try (GradientSession g = new GradientSession(aug, RuntimeOptions.cpu())) {
            GradientResult gp = g.run(new FloatTensor(r.activations().shape(), plus), GradientSession.Seed.of(seed));
            GradientResult gm = g.run(new FloatTensor(r.activations().shape(), minus), GradientSession.Seed.of(seed));
            float[] fd = new float[a.length];
            for (int i = 0; i < fd.length; i++) {
                fd[i] = (float) ((gp.gradient(layer).data()[i] - gm.gradient(layer).data()[i]) / (2 * h));
            }
            double scale = Math.max(maxAbs(fd), maxAbs(r.gradient().data()));
            double err = 0;
            for (int i = 0; i < fd.length; i++) {
                err = Math.max(err, Math.abs(fd[i] - r.hessianTimesActivations().data()[i]));
            }
            System.out.printf("hessian %s at %s: max |H A| %.3g, max |g| %.3g, max |H A - fd| %.3g%n", model, module,
                    maxAbs(r.hessianTimesActivations().data()), maxAbs(r.gradient().data()), err);
            assertThat(err / scale).as("H A against finite differences").isLessThan(2e-2);
        }
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
