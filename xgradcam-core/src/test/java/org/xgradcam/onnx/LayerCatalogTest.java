package org.xgradcam.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.xgradcam.onnx.Attributes.ofInts;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.XGradCamException;
import org.xgradcam.testing.Engines;
import org.xgradcam.testing.Fixtures;
import org.xgradcam.testing.TestGraph;

class LayerCatalogTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // VGG: the last max-pool, not the kernel-1 average pool that repeats it (the original's features[30])
            "vgg, /features/features.10/MaxPool_output_0",
            "resnet, /layer2/layer2.0/relu_2/Relu_output_0",
            "mobilenetv2, /features/features.6/features.6.2/Clip_output_0",
            // ConvNeXt's LayerNorm2d works on a transposed NHWC view: those tensors are not feature maps
            "convnext, /features/features.3/features.3.0/Add_output_0"})
    void defaultLayerIsTheLastSpatialFeatureMap(String name, String expected) {
        Engines e = Engines.load(Fixtures.resource("torchvision/" + name + "/model.onnx"));
        assertThat(e.catalog().requireDefault().tensor()).isEqualTo(expected);
        assertThat(e.catalog().score()).isEqualTo("logits");
        assertThat(e.catalog().scoreNote()).isEmpty();
    }

    /**
     * A [1, T, C] tensor is tokens on a square only in a model with attention (or a patch grid):
     * a CNN detector's [1, anchors, values] reshapes (RetinaNet's head, its anchors) are not maps,
     * a vision transformer's tokens are.
     */
    @Test
    void tokensOnASquareOnlyWhereAttentionIs() {
        Engines detector = Engines.load(Fixtures.resource("detectors/retinanet/model.onnx"));
        assertThat(detector.catalog().layers()).isNotEmpty()
                .noneMatch(l -> l.view().kind() == LayerView.Kind.TOKENS);
        Engines vit = Engines.load(Fixtures.resource("transformers/vit_op17/model.onnx"));
        assertThat(vit.catalog().layers()).anyMatch(l -> l.view().kind() == LayerView.Kind.TOKENS);
    }

    @Test
    void softmaxAtTheEndIsSkippedAndSaidSo() {
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 3, 8, 8);
        String conv = g.node("Conv", List.of(x, g.random(new Random(1), 0.3f, 4, 3, 3, 3)));
        String pooled = g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(conv))));
        String logits = g.node("Gemm", List.of(pooled, g.random(new Random(2), 0.3f, 5, 4)), Attributes.ofInt("transB", 1));
        String probs = g.node("Softmax", List.of(logits));
        OnnxModel m = g.build(probs);
        Graph graph = new Graph(m);
        LayerCatalog c = LayerCatalog.of(graph, ModelShapes.of(graph, null));
        assertThat(c.score()).isEqualTo(logits);
        assertThat(c.scoreNote()).contains("Softmax").contains("pre-softmax");
        assertThat(c.requireDefault().tensor()).isEqualTo(conv);
        assertThat(c.isCut(conv)).isTrue();
    }

    /**
     * The default is a real feature map: for a detection head that decodes its convolution in
     * the graph (the demo detector: slices, sigmoid, exp, concat), the features that convolution
     * reads, not the decoded boxes and scores; never a one-channel map when others exist.
     */
    @Test
    void theDefaultIsAFeatureMapNotTheModelsOwnOutput() {
        var spec = org.xgradcam.models.ModelSpec.demoDetector();
        Graph graph = new Graph(spec.model());
        LayerCatalog c = LayerCatalog.of(graph, ModelShapes.of(graph, new long[] {1, 3, 96, 96}));
        assertThat(c.requireDefault().tensor()).isEqualTo("/head/head.0/head.0.2/Relu_output_0");
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 3, 8, 8);
        String features = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(new Random(1), 0.3f, 4, 3, 3, 3)),
                ofInts("pads", 1, 1, 1, 1))));
        String mask = g.node("Sigmoid", List.of(g.node("Conv", List.of(features, g.random(new Random(2), 0.3f, 1, 4, 1, 1)))));
        Graph one = new Graph(g.build(mask));
        assertThat(LayerCatalog.of(one, ModelShapes.of(one, new long[] {1, 3, 8, 8})).requireDefault().tensor()).isEqualTo(features);
    }

    @Test
    void unknownLayerNamesTheClosestOnes() {
        Engines e = Engines.load(Fixtures.resource("torchvision/vgg/model.onnx"));
        assertThatThrownBy(() -> e.catalog().resolve("/features/features.10/MaxPool_output"))
                .isInstanceOf(XGradCamException.class)
                .hasMessageContaining("unknown layer '/features/features.10/MaxPool_output'")
                .hasMessageContaining("closest: /features/features.10/MaxPool_output_0")
                .hasMessageContaining("LayerCatalog.layers()") // the library's words; each front end has its own
                .satisfies(x -> assertThat(((org.xgradcam.XGradCamException) x).advice()).isEqualTo(org.xgradcam.XGradCamException.Advice.LAYERS));
    }

    @ParameterizedTest
    @CsvSource({
        "resnet, layer1, /layer1/layer1.1/relu_2/Relu_output_0",
        "resnet, layer2.0.conv1, /layer2/layer2.0/conv1/Conv_output_0",
        "resnet, layer1.0.downsample.0, /layer1/layer1.0/downsample/downsample.0/Conv_output_0",
        "resnet, /layer2/, /layer2/layer2.0/relu_2/Relu_output_0",
        "vgg, features.10, /features/features.10/MaxPool_output_0",
        "vgg, features, /features/features.10/MaxPool_output_0"})
    void layersCanBeNamedByTorchModule(String model, String module, String tensor) {
        Engines e = Engines.load(Fixtures.resource("torchvision/" + model + "/model.onnx"));
        assertThat(e.catalog().resolve(module).tensor()).isEqualTo(tensor);
    }

    @Test
    void aOneByOneLayerIsRefusedWithTheDefaultSuggested() {
        Engines e = Engines.load(Fixtures.resource("torchvision/resnet/model.onnx"));
        assertThatThrownBy(() -> e.catalog().resolve("avgpool")).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("1x1").hasMessageContaining(e.catalog().requireDefault().tensor());
    }

    @Test
    void layersCanBeNamedByNodeName() {
        Engines e = Engines.load(Fixtures.resource("torchvision/vgg/model.onnx"));
        assertThat(e.catalog().resolve("/features/features.10/MaxPool").tensor())
                .isEqualTo("/features/features.10/MaxPool_output_0");
    }

    @Test
    void aModelWithoutFeatureMapsIsRefusedClearly() {
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 6);
        String y = g.node("Gemm", List.of(x, g.random(new Random(1), 0.3f, 6, 3)));
        Graph graph = new Graph(g.build(y));
        LayerCatalog c = LayerCatalog.of(graph, ModelShapes.of(graph, null));
        assertThatThrownBy(c::requireDefault).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("no 4-D feature map");
    }

    @Test
    void nonFeatureMapTensorIsRefused() {
        Engines e = Engines.load(Fixtures.resource("torchvision/vgg/model.onnx"));
        assertThatThrownBy(() -> e.catalog().resolve("/Flatten_output_0"))
                .isInstanceOf(XGradCamException.class).hasMessageContaining("not a 4-D float feature map");
    }

    @Test
    void squeezePoolOfTheSameSizeIsNotAnAlias() {
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 2, 6, 6);
        String pool = g.node("MaxPool", List.of(x), ofInts("kernel_shape", 3, 3), ofInts("pads", 1, 1, 1, 1));
        String y = g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(pool))));
        Graph graph = new Graph(g.build(y));
        assertThat(LayerCatalog.of(graph, ModelShapes.of(graph, null)).requireDefault().tensor()).isEqualTo(pool);
    }
}
