package org.xgradcam.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.pipeline.Pipeline;
import org.xgradcam.pipeline.Request;
import org.xgradcam.pipeline.Result;
import org.xgradcam.testing.Fixtures;

/**
 * Names resolve to what users mean: a tensor's name is that tensor, a node's name counts only
 * where no tensor has it, a module name after both. In the ONNX Model Zoo's SqueezeNet 1.1 the
 * Conv node "conv25" writes "conv25_preact" and the ReLU after it writes tensor "conv25".
 */
class LayerNamesTest {
    @Test
    void squeezeNetsConv25IsTheReluOutputEverywhere() throws Exception {
        Path file = Fixtures.shared("models/squeezenet1.1-7-fp32.onnx");
        ModelSpec spec = ModelSpec.ofFile(file).withPreprocessing(org.xgradcam.image.Preprocessing.imagenet(224));
        try (Pipeline p = Pipeline.open(spec)) {
            LayerCatalog layers = p.explainer().layers();
            assertThat(layers.requireDefault().tensor()).isEqualTo("conv25");
            assertThat(layers.resolve("conv25").tensor()).isEqualTo("conv25");
            assertThat(layers.resolve("conv25").opType()).isEqualTo("Relu");
            assertThat(layers.resolve("conv25_relu").tensor()).isEqualTo("conv25"); // the ReLU node's own name
            assertThat(layers.resolve("conv25_preact").tensor()).isEqualTo("conv25_preact");
            byte[] photo = Files.readAllBytes(Fixtures.shared("images/chelsea.png"));
            var in = p.prepare(photo, "chelsea", false, ImageLoader.MAX_PIXELS);
            for (Request r : List.of(Request.defaults(), Request.defaults().withLayers(List.of("conv25")),
                    Request.defaults().withLayers(List.of("conv25_relu")))) {
                Result res = p.explain(in, p.plan(r));
                assertThat(res.layers()).containsExactly("conv25");
                float min = Float.MAX_VALUE;
                for (float v : res.first().explanation().activations().data()) {
                    min = Math.min(min, v);
                }
                assertThat(min).as("the ReLU's output: nothing below zero").isGreaterThanOrEqualTo(0f);
            }
        }
    }

    static Stream<Path> models() throws Exception {
        List<Path> out = new ArrayList<>();
        for (String group : List.of("torchvision", "transformers", "detectors")) {
            try (Stream<Path> s = Files.list(Fixtures.resource(group))) {
                s.filter(p -> Files.exists(p.resolve("model.onnx"))).sorted().forEach(p -> out.add(p.resolve("model.onnx")));
            }
        }
        return out.stream();
    }

    /**
     * The other models in ../shared whose nodes are named after a tensor another node writes (the
     * zoo's SqueezeNet 1.0 and MobileNetV1 quant: "conv1" names a Conv writing "conv1_preact"):
     * every name of a layer's tensor resolves to that tensor, and the default is an activation.
     */
    @TestFactory
    Stream<DynamicTest> sharedModelsWhoseNodesAreNamedAfterOtherTensors() {
        return Stream.of("squeezenet1.1-7-fp32.onnx", "squeezenet1.0-tflite-fp32.onnx", "mobilenet_v1_0.25_128-quant-dequant-fp32.onnx")
                .map(name -> DynamicTest.dynamicTest(name, () -> {
                    Graph g = new Graph(OnnxModel.load(Fixtures.shared("models/" + name)));
                    LayerCatalog c = LayerCatalog.of(g, ModelShapes.of(g, null));
                    int clashes = 0;
                    for (LayerCatalog.Layer l : c.layers()) {
                        assertThat(c.find(l.tensor()).orElseThrow().tensor()).isEqualTo(l.tensor());
                        clashes += g.producer(l.tensor()).isPresent() && c.layers().stream().anyMatch(o -> o.node().equals(l.tensor())
                                && !o.tensor().equals(l.tensor())) ? 1 : 0;
                    }
                    assertThat(clashes).as("layers whose name a different node bears").isPositive();
                    assertThat(c.requireDefault().opType()).isIn("Relu", "Clip");
                }));
    }

    @TestFactory
    Stream<DynamicTest> everyLayersTensorNameResolvesToItself() throws Exception {
        return models().map(file -> DynamicTest.dynamicTest(file.getParent().getFileName().toString(), () -> {
            Graph g = new Graph(OnnxModel.load(file));
            org.xgradcam.tensor.FloatTensor x = org.xgradcam.io.Npy.read(file.resolveSibling("input.npy"));
            long[] shape = x.rank() == 3 ? new long[] {1, x.shape()[0], x.shape()[1], x.shape()[2]}
                    : new long[] {1, x.shape()[1], x.shape()[2], x.shape()[3]};
            LayerCatalog c = LayerCatalog.of(g, ModelShapes.of(g, shape));
            for (LayerCatalog.Layer l : c.layers()) {
                assertThat(c.find(l.tensor()).orElseThrow().tensor()).isEqualTo(l.tensor());
            }
        }));
    }
}
