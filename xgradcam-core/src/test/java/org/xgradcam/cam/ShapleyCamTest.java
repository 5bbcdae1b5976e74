package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.autodiff.GradientRequest;
import org.xgradcam.autodiff.HessianBuilder;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.LayerView;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.HessianSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * ShapleyCAM against tools/fixtures/shapley_references.py: the Hessian-vector product against
 * torch's double backward, the maps against pytorch-grad-cam's ShapleyCAM, and on a ReLU network
 * with a logit target (H A = 0) ShapleyCAM equal to Grad-CAM.
 */
class ShapleyCamTest {
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"torchvision/efficientnet, features.4", "torchvision/convnext, features.1", "torchvision/vgg, features.9",
            "transformers/vit_op17, encoder.layers.encoder_layer_1.ln_1"})
    void hessianVectorProductEqualsTorchDoubleBackward(String fixture, String module) throws Exception {
        Path dir = Fixtures.resource(fixture);
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        float[] cls = Npy.read(dir.resolve("shapley/classes.npy")).data();
        try (Explainer e = Explainer.open(OnnxModel.load(dir.resolve("model.onnx")), Explainer.Options.defaults())) {
            String layer = e.layers().resolve(module).tensor();
            LayerView view = e.layers().resolve(module).view();
            int k = e.numClasses();
            float[] seed = new float[2 * k];
            seed[(int) cls[0]] = 1;
            seed[k + (int) cls[1]] = 1;
            HessianBuilder.HessianModel hm = HessianBuilder.build(e.graph(), e.shapes(), layer, e.layers().score(),
                    GradientRequest.ScoreTransform.NONE);
            try (HessianSession s = new HessianSession(hm, RuntimeOptions.cpu())) {
                HessianSession.Result r = s.run(x, new FloatTensor(new long[] {2, k}, seed));
                FloatTensor hv = view.toNchw(r.hessianTimesActivations());
                FloatTensor want = Npy.read(dir.resolve("shapley/hvp.npy"));
                FloatTensor g = view.toNchw(r.gradient());
                assertThat(Fixtures.relativeError(g, Npy.read(dir.resolve("shapley/gradients.npy")))).as("gradient")
                        .isLessThan(1e-4);
                double scale = Math.max(maxAbs(want.data()), maxAbs(g.data()));
                double err = 0;
                for (int i = 0; i < want.size(); i++) {
                    err = Math.max(err, Math.abs(hv.data()[i] - want.data()[i]));
                }
                assertThat(err / scale).as("H A against torch's double backward").isLessThan(1e-4);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"efficientnet, features.4", "convnext, features.1", "vgg, features.9"})
    void mapsEqualPytorchGradCamsShapleyCam(String model, String module) throws Exception {
        Path dir = Fixtures.resource("torchvision/" + model);
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        float[] cls = Npy.read(dir.resolve("shapley/classes.npy")).data();
        try (Explainer e = Explainer.open(OnnxModel.load(dir.resolve("model.onnx")), Explainer.Options.defaults())) {
            List<Explanation> ex = e.explain(x, new Explainer.Request(List.of(Methods.byName("shapleycam"), Methods.byName("gradcam")),
                    Target.classes((int) cls[0], (int) cls[1]), List.of(module), PostProcess.PYTORCH_GRAD_CAM, 0));
            FloatTensor want = Npy.read(dir.resolve("shapley/shapleycam_pgc.npy"));
            for (int r = 0; r < 2; r++) {
                float[] ours = ex.get(r).result("shapleycam").map().data();
                double err = 0;
                for (int i = 0; i < ours.length; i++) {
                    err = Math.max(err, Math.abs(ours[i] - want.row(r).data()[i]));
                }
                assertThat(err).as("ShapleyCAM map, image %d", r).isLessThan(1e-3);
                if (model.equals("vgg")) {
                    // a ReLU network and a logit: H A = 0, so ShapleyCAM is Grad-CAM
                    assertThat(ex.get(r).result("shapleycam").layers().get(0).weights().data())
                            .containsExactly(ex.get(r).result("gradcam").layers().get(0).weights().data());
                } else {
                    assertThat(ex.get(r).result("shapleycam").layers().get(0).weights().data())
                            .isNotEqualTo(ex.get(r).result("gradcam").layers().get(0).weights().data());
                }
            }
        }
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float f : v) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }
}
