package org.xgradcam.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * Whole-model gradients against PyTorch autograd: torchvision architectures (reduced widths)
 * exported by tools/fixtures/export_torchvision.py, batch of 2, a random mix of classes per row
 * as the seed, several layers per model at once plus the input gradient.
 */
class TorchvisionGradientsTest {
    static final double MAX_RELATIVE_ERROR = 1e-4;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vgg", "vgg_bn", "resnet", "densenet", "mobilenetv2", "mobilenetv3", "efficientnet",
            "squeezenet", "shufflenetv2", "googlenet", "convnext"})
    void gradientsMatchPytorch(String name) throws IOException {
        Path dir = Fixtures.resource("torchvision/" + name);
        OnnxModel model = OnnxModel.load(dir.resolve("model.onnx"));
        List<String> tensors = new ArrayList<>(Fixtures.layers(dir).stream().map(l -> l[2]).toList());
        Graph graph = new Graph(model);
        FloatTensor input = Npy.read(dir.resolve("input.npy"));
        ModelShapes shapes = ModelShapes.of(graph, input.shape());
        AugmentedModel aug = GradientBuilder.build(graph, shapes,
                GradientRequest.of(tensors, "logits").withInputGradient());
        try (GradientSession session = new GradientSession(aug, RuntimeOptions.cpu())) {
            GradientResult r = session.run(input, GradientSession.Seed.of(Npy.read(dir.resolve("seed.npy"))));
            assertThat(Fixtures.relativeError(r.score(), Npy.read(dir.resolve("logits.npy"))))
                    .as("logits").isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
            for (int i = 0; i < tensors.size(); i++) {
                String t = tensors.get(i);
                assertThat(Fixtures.relativeError(r.activation(t), Npy.read(dir.resolve("act_" + i + ".npy"))))
                        .as("activation of %s", t).isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
                assertThat(Fixtures.relativeError(r.gradient(t), Npy.read(dir.resolve("grad_" + i + ".npy"))))
                        .as("gradient at %s", t).isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
            }
            assertThat(Fixtures.relativeError(r.inputGradient().orElseThrow(), Npy.read(dir.resolve("input_grad.npy"))))
                    .as("input gradient").isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
        }
    }
}
