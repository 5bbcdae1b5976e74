package org.xgradcam.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.Target;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** Randomising the head changes Grad-CAM's map (it explains the model), not Eigen-CAM's (it does not look past the layer). */
class SanityCheckTest {
    @Test
    void randomisedHeadChangesGradientMapsOnly() {
        OnnxModel model = OnnxModel.load(Fixtures.resource("torchvision/vgg/model.onnx"));
        FloatTensor x = Npy.read(Fixtures.resource("torchvision/vgg/input.npy")).row(0).reshape(1, 3, 32, 32);
        Explainer.Options o = Explainer.Options.defaults().withInputShape(x.shape());
        try (Explainer e = Explainer.open(model, o)) {
            String layer = e.layers().requireDefault().tensor();
            try (Explainer r = Explainer.open(SanityCheck.randomiseHead(model, layer, 1), o)) {
                var req = Explainer.Request.of(Methods.byName("gradcam"), Methods.byName("eigencam")).withTarget(Target.classes(2));
                var a = e.explain(x, req).get(0);
                var b = r.explain(x, req).get(0);
                double grad = Faithfulness.spearman(a.result("gradcam").map().data(), b.result("gradcam").map().data());
                double eigen = Faithfulness.spearman(a.result("eigencam").map().data(), b.result("eigencam").map().data());
                assertThat(eigen).as("Eigen-CAM reads only the activations before the head").isGreaterThan(0.999);
                assertThat(grad).as("Grad-CAM follows the head").isLessThan(0.9);
                assertThat(a.logits()).isNotEqualTo(b.logits());
            }
        }
    }
}
