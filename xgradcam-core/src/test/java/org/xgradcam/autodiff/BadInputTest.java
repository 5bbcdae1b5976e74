package org.xgradcam.autodiff;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Engines;
import org.xgradcam.testing.Fixtures;
import org.xgradcam.testing.TestGraph;

/** Each bad input is one clear error that names the problem and the way out. */
class BadInputTest {
    @TempDir
    Path tmp;

    @Test
    void truncatedModel() throws Exception {
        byte[] full = Files.readAllBytes(Fixtures.resource("torchvision/resnet/model.onnx"));
        Path cut = tmp.resolve("cut.onnx");
        Files.write(cut, java.util.Arrays.copyOf(full, full.length / 2));
        assertThatThrownBy(() -> Engines.load(cut)).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("cut.onnx is not a valid ONNX model").hasMessageContaining("re-export or re-download");
    }

    @Test
    void textFileAsModel() throws Exception {
        Path text = tmp.resolve("notes.onnx");
        Files.writeString(text, "this is not a model\n");
        assertThatThrownBy(() -> OnnxModel.load(text)).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("notes.onnx is not a valid ONNX model");
    }

    @Test
    void missingModel() {
        assertThatThrownBy(() -> OnnxModel.load(tmp.resolve("nope.onnx"))).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("model file not found");
    }

    @Test
    void unsupportedOpOnThePathIsNamedWithTheSupportedList() {
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 2, 4, 4);
        String conv = g.node("Conv", List.of(x, g.random(new Random(1), 0.3f, 2, 2, 1, 1)));
        String odd = g.node("Cos", List.of(conv));
        String y = g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(odd))));
        Graph graph = new Graph(g.build(y));
        ModelShapes shapes = ModelShapes.of(graph, null);
        assertThatThrownBy(() -> GradientBuilder.build(graph, shapes, GradientRequest.of(List.of(conv), y)))
                .isInstanceOf(XGradCamException.class)
                .hasMessageContaining("no gradient rule for: Cos node")
                .hasMessageContaining("Pick a later layer")
                .hasMessageContaining("Conv").hasMessageContaining("MaxPool");
    }

    @Test
    void gatherWithRunTimeIndicesBeforeOpset11IsRefusedByName() {
        TestGraph g = new TestGraph(10);
        String x = g.input("x", 1, 5, 4);
        String idx = g.node("ArgMax", List.of(g.node("ReduceSum", List.of(x), org.xgradcam.onnx.Attributes.ofInts("axes", 2))),
                org.xgradcam.onnx.Attributes.ofInt("axis", 1));
        String y = g.node("Flatten", List.of(g.node("Gather", List.of(x, idx), org.xgradcam.onnx.Attributes.ofInt("axis", 1))));
        Graph graph = new Graph(g.build(y));
        assertThatThrownBy(() -> GradientBuilder.build(graph, ModelShapes.of(graph, null), GradientRequest.of(List.of(x), y)))
                .isInstanceOf(XGradCamException.class)
                .hasMessageContaining("cannot differentiate")
                .hasMessageContaining("re-export with opset >= 11");
    }

    @Test
    void unsupportedOpBeforeTheLayerDoesNotMatter() {
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 2, 4, 4);
        String odd = g.node("Cos", List.of(x));
        String conv = g.node("Conv", List.of(odd, g.random(new Random(1), 0.3f, 2, 2, 1, 1)));
        String y = g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(conv))));
        Graph graph = new Graph(g.build(y));
        GradientBuilder.build(graph, ModelShapes.of(graph, null), GradientRequest.of(List.of(conv), y));
    }

    @Test
    void unknownLayer() {
        Engines e = Engines.load(Fixtures.resource("torchvision/resnet/model.onnx"));
        assertThatThrownBy(() -> e.augment("layer9"))
                .isInstanceOf(XGradCamException.class).hasMessageContaining("unknown layer 'layer9'")
                .hasMessageContaining("LayerCatalog.layers()");
    }

    @Test
    void wrongInputShape() {
        Engines e = Engines.load(Fixtures.resource("torchvision/resnet/model.onnx"));
        try (GradientSession s = new GradientSession(e.augment(e.catalog().requireDefault().tensor()), RuntimeOptions.cpu())) {
            assertThatThrownBy(() -> s.run(FloatTensor.zeros(1, 3, 64, 64), GradientSession.Seed.topClass()))
                    .isInstanceOf(XGradCamException.class)
                    .hasMessageContaining("wrong input shape [1, 3, 64, 64]").hasMessageContaining("[N, 3, 32, 32]");
        }
        assertThatThrownBy(() -> ModelShapes.of(e.graph(), new long[] {1, 3, 32}))
                .isInstanceOf(XGradCamException.class).hasMessageContaining("has rank 4");
    }

    @Test
    void classOutOfRange() {
        assertThatThrownBy(() -> GradientSession.Seed.classes(new int[] {1000}, 1000))
                .isInstanceOf(XGradCamException.class).hasMessageContaining("class index 1000 is out of range")
                .hasMessageContaining("0 to 999");
    }
}
