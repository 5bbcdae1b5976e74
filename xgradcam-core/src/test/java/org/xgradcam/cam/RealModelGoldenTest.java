package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * The activation/gradient methods on the real ImageNet models of ../shared and the recorded inputs
 * of real photos, against numpy implementations of their formulas applied to the engine's
 * activations and gradients (tools/fixtures/real_model_references.py; the gradients themselves are
 * checked by finite differences in SharedModelsTest). Top class; relative error <= 1e-4.
 */
class RealModelGoldenTest {
    static final List<String> METHODS = List.of("gradcam", "xgradcam", "gradcamplusplus", "hirescam",
            "gradcamelementwise", "layercam", "eigencam", "eigengradcam", "kpcacam", "fem");

    @ParameterizedTest(name = "{0} at {1}, {2}")
    @CsvSource({
            "squeezenet1.1-7-fp32, fire7, ILSVRC2012_val_00000077",
            "squeezenet1.1-7-fp32, fire7, chelsea",
            "mobilenetv2-12-int8-dequant-fp32, features, ILSVRC2012_val_00000077"})
    void methodsMatchTheirFormulas(String model, String layer, String image) {
        FloatTensor x = Npy.read(Fixtures.shared("expected/" + model + "/" + image + "_input.npy"));
        Path refs = Fixtures.resource("real/" + model + "/" + image);
        try (Explainer e = Explainer.open(OnnxModel.load(Fixtures.shared("models/" + model + ".onnx")),
                Explainer.Options.defaults().withInputShape(x.shape()))) {
            Explanation ex = e.explain(x, new Explainer.Request(METHODS.stream().map(Methods::byName).toList(),
                    Target.topClass(), List.of(layer), PostProcess.PYTORCH_GRAD_CAM, 0)).get(0);
            for (String m : METHODS) {
                CamResult.LayerResult r = ex.result(m).layers().get(0);
                assertThat(Fixtures.relativeError(r.raw(), Npy.read(refs.resolve(m + "_raw.npy")))).as(m + " raw map")
                        .isLessThanOrEqualTo(1e-4);
                if (Files.exists(refs.resolve(m + "_weights.npy"))) {
                    assertThat(Fixtures.relativeError(r.weights(), Npy.read(refs.resolve(m + "_weights.npy"))))
                            .as(m + " weights").isLessThanOrEqualTo(1e-4);
                }
            }
        }
    }
}
