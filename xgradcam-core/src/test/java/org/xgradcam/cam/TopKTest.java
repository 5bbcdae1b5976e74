package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** The k best classes from one forward and a batched tail: the same maps as k separate explanations. */
class TopKTest {
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"torchvision/vgg, features.10", "torchvision/resnet, layer2", "torchvision/vgg, features.9",
            "transformers/vit_op17, encoder.layers.encoder_layer_1.ln_1"})
    void topKEqualsOneExplanationPerClass(String fixture, String layer) throws Exception {
        FloatTensor x = Npy.read(Fixtures.resource(fixture + "/input.npy")).row(0);
        long[] s = x.shape();
        FloatTensor one = x.reshape(1, s[0], s[1], s[2]);
        List<CamMethod> methods = List.of(Methods.byName("gradcam"), Methods.byName("xgradcam"), Methods.byName("layercam"),
                Methods.byName("eigencam"));
        try (Explainer e = Explainer.open(OnnxModel.load(Fixtures.resource(fixture + "/model.onnx")), Explainer.Options.defaults())) {
            Explainer.Request req = new Explainer.Request(methods, Target.topClass(), List.of(layer), PostProcess.SEED, 0);
            List<Explanation> top = e.explainTopK(one, 3, req);
            assertThat(top).hasSize(3);
            int[] expected = e.explain(one, req).get(0).topK(3);
            for (int i = 0; i < 3; i++) {
                assertThat(top.get(i).classIndex()).isEqualTo(expected[i]);
                Explanation single = e.explain(one, req.withTarget(Target.classes(expected[i]))).get(0);
                assertThat(top.get(i).score()).isCloseTo(single.score(), org.assertj.core.data.Offset.offset(1e-4));
                for (CamMethod m : methods) {
                    float[] a = top.get(i).result(m.id()).map().data();
                    float[] b = single.result(m.id()).map().data();
                    for (int j = 0; j < a.length; j++) {
                        assertThat(a[j]).as("%s class %d", m.id(), expected[i]).isCloseTo(b[j], org.assertj.core.data.Offset.offset(1e-4f));
                    }
                }
            }
        }
    }
}
