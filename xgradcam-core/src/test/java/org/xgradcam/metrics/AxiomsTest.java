package org.xgradcam.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xgradcam.autodiff.AugmentedModel;
import org.xgradcam.autodiff.GradientBuilder;
import org.xgradcam.autodiff.GradientRequest;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.Target;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** The paper's claims about its axioms, checked on the VGG-style fixture (ReLU, max-pool, FC). */
class AxiomsTest {

    @Test
    void xgradCamConservationResidualIsTheBiasTerm() {
        OnnxModel model = OnnxModel.load(Fixtures.resource("torchvision/vgg/model.onnx"));
        FloatTensor x = Npy.read(Fixtures.resource("torchvision/vgg/input.npy")).row(0).reshape(1, 3, 32, 32);
        try (Explainer e = Explainer.open(model, Explainer.Options.defaults().withInputShape(x.shape()))) {
            Explanation ex = e.explain(x, Explainer.Request.of(Methods.byName("xgradcam"), Methods.byName("gradcam"))
                    .withTarget(Target.classes(3))).get(0);
            String layer = ex.layer();
            double s = ex.logits()[3];
            double xgrad = Axioms.conservation(s, ex.result("xgradcam").layers().get(0).raw());
            AugmentedModel aug = GradientBuilder.build(e.graph(), e.shapes(),
                    GradientRequest.of(List.of(layer), e.layers().score()).withBiasGradients());
            try (GradientSession session = new GradientSession(aug, RuntimeOptions.cpu())) {
                GradientResult r = session.run(x, GradientSession.Seed.classes(new int[] {3}, 10));
                float[] seed = new float[10];
                seed[3] = 1;
                ScoreDecomposition d = ScoreDecomposition.of(aug, r, layer, 0, seed);
                // sum of XGrad-CAM's map = sum_k sum(A_k G_k) (its eps aside) = S - bias term
                assertThat(xgrad).isCloseTo(Math.abs(d.biasTerm()) / Math.abs(s),
                        org.assertj.core.api.Assertions.within(1e-3 * Math.abs(d.biasTerm() / s) + 1e-5));
            }
            double grad = Axioms.conservation(s, ex.result("gradcam").layers().get(0).raw());
            float[] seed = new float[10];
            seed[3] = 1;
            double sensX = Axioms.sensitivity(e, layer, ex.activations(), ex.result("xgradcam").layers().get(0).weights().data(),
                    s, seed, 32);
            double sensG = Axioms.sensitivity(e, layer, ex.activations(), ex.result("gradcam").layers().get(0).weights().data(),
                    s, seed, 32);
            System.out.printf("vgg fixture, class 3: conservation residual XGrad-CAM %.4f, Grad-CAM %.4f; sensitivity"
                    + " residual XGrad-CAM %.5f, Grad-CAM %.5f%n", xgrad, grad, sensX, sensG);
            assertThat(sensX).isFinite();
            assertThat(sensG).isFinite();
        }
    }
}
