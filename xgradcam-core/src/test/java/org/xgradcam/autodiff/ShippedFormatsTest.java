package org.xgradcam.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.LayerCatalog;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * Models as they are shipped (tools/fixtures/export_quantized.py: one small CNN with a residual
 * add), differentiated as they run: float16 weights and maps, fake quantization exported as
 * QuantizeLinear/DequantizeLinear pairs, the QOperator format, dynamic quantization. Activations
 * and gradients at inner layers against PyTorch autograd.
 */
class ShippedFormatsTest {
    /** A model's layers, activations and gradients at them for the fixture's seed. */
    record Run(List<String> layers, GradientResult result, Path dir) {
        FloatTensor act(int i) throws IOException {
            return Npy.read(dir.resolve("act_" + i + ".npy"));
        }

        FloatTensor grad(int i) throws IOException {
            return Npy.read(dir.resolve("grad_" + i + ".npy"));
        }
    }

    static Run run(String name) throws IOException {
        Path dir = Fixtures.resource("shipped/" + name);
        OnnxModel model = OnnxModel.load(dir.resolve("model.onnx"));
        List<String> tensors = Fixtures.layers(dir).stream().map(l -> l[1]).toList();
        Graph graph = new Graph(model);
        FloatTensor input = Npy.read(dir.resolve("input.npy"));
        ModelShapes shapes = ModelShapes.of(graph, input.shape());
        AugmentedModel aug = GradientBuilder.build(graph, shapes, GradientRequest.of(tensors, "logits"));
        try (GradientSession session = new GradientSession(aug, RuntimeOptions.cpu())) {
            return new Run(tensors, session.run(input, GradientSession.Seed.of(Npy.read(dir.resolve("seed.npy")))), dir);
        }
    }

    @Test
    void theFloatModelEqualsTorch() throws IOException {
        Run r = run("float");
        assertThat(Fixtures.relativeError(r.result().score(), Npy.read(r.dir().resolve("logits.npy")))).isLessThan(1e-5);
        for (int i = 0; i < r.layers().size(); i++) {
            assertThat(Fixtures.relativeError(r.result().gradient(r.layers().get(i)), r.grad(i))).isLessThan(1e-5);
        }
    }

    /**
     * The backward runs in float32 over the fp16 forward's values: gradients agree with the
     * float32 model's within fp16 precision. Measured here: at most 6e-4 relative (activations
     * 5e-4); the bound, 5e-3, is ten fp16 roundings.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fp16", "fp16_input"})
    void float16GradientsAgreeWithFloat32WithinFp16Precision(String name) throws IOException {
        Run r = run(name);
        for (int i = 0; i < r.layers().size(); i++) {
            String t = r.layers().get(i);
            assertThat(Fixtures.relativeError(r.result().activation(t), r.act(i))).as("activation of %s", t).isLessThan(5e-3);
            assertThat(Fixtures.relativeError(r.result().gradient(t), r.grad(i))).as("gradient at %s", t).isLessThan(5e-3);
        }
    }

    @Test
    void quantizeDequantizePairsEqualTorchsStraightThroughAutograd() throws IOException {
        Run r = run("qdq");
        assertThat(Fixtures.relativeError(r.result().score(), Npy.read(r.dir().resolve("logits.npy")))).isLessThan(1e-5);
        for (int i = 0; i < r.layers().size(); i++) {
            String t = r.layers().get(i);
            assertThat(Fixtures.relativeError(r.result().activation(t), r.act(i))).as("activation of %s", t).isLessThan(1e-6);
            assertThat(Fixtures.relativeError(r.result().gradient(t), r.grad(i))).as("gradient at %s", t).isLessThan(1e-4);
        }
    }

    @Test
    void theQOperatorFormatIsExplainedAtItsDequantizedMaps() throws IOException {
        Path dir = Fixtures.resource("shipped/qoperator");
        Graph graph = new Graph(OnnxModel.load(dir.resolve("model.onnx")));
        LayerCatalog layers = LayerCatalog.of(graph, ModelShapes.of(graph, new long[] {1, 3, 32, 32}));
        assertThat(layers.layers().stream().map(LayerCatalog.Layer::tensor)).contains("conv1_q", "conv2_q", "add_q", "conv3_q");
        assertThat(layers.requireDefault().tensor()).isEqualTo("conv3_q");
        Run r = run("qoperator");
        // its scores are quantized too (the QDQ model's are not): within a step of theirs
        assertThat(Fixtures.relativeError(r.result().score(), Npy.read(r.dir().resolve("logits.npy")))).isLessThan(5e-2);
        for (int i = 0; i < r.layers().size(); i++) {
            String t = r.layers().get(i);
            // the same integers as the QDQ model's (dequantized): the forward is the model's own
            assertThat(Fixtures.relativeError(r.result().activation(t), r.act(i))).as("activation of %s", t).isLessThan(1e-6);
            // the backward recomputes each op's float result to know where requantizing clamped, and
            // takes MaxPool's argmax over the integers as float: torch's straight-through gradients
            assertThat(Fixtures.relativeError(r.result().gradient(t), r.grad(i))).as("gradient at %s", t).isLessThan(1e-4);
        }
    }

    @Test
    void dynamicQuantizationIsExplainedAtItsLayers() throws IOException {
        Run r = run("dynamic");
        for (int i = 0; i < r.layers().size(); i++) {
            String t = r.layers().get(i);
            FloatTensor g = r.result().gradient(t);
            assertThat(cosine(g, r.grad(i))).as("gradient at %s against the float model's", t).isGreaterThan(0.9);
        }
    }

    static double cosine(FloatTensor a, FloatTensor b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.size(); i++) {
            ab += (double) a.data()[i] * b.data()[i];
            aa += (double) a.data()[i] * a.data()[i];
            bb += (double) b.data()[i] * b.data()[i];
        }
        return ab / Math.sqrt(aa * bb);
    }
}
