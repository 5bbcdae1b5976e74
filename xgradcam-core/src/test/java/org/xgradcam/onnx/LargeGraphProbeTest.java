package org.xgradcam.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.xgradcam.io.Npy;
import org.xgradcam.testing.Fixtures;
import org.xgradcam.testing.TestGraph;

/**
 * The probe of large graphs, run in segments, gives the same types, shapes and recorded values as
 * one run exposing every tensor, on every fixture model (CNNs, transformers, detectors that select
 * their boxes); and a graph of 100,000 nodes is read, probed and catalogued in linear passes.
 */
class LargeGraphProbeTest {
    static Stream<Path> fixtureModels() throws Exception {
        List<Path> models = new ArrayList<>();
        for (String group : List.of("torchvision", "transformers", "detectors")) {
            try (Stream<Path> s = Files.list(Fixtures.resource(group))) {
                s.filter(p -> Files.exists(p.resolve("model.onnx"))).sorted().forEach(p -> models.add(p.resolve("model.onnx")));
            }
        }
        return models.stream();
    }

    @TestFactory
    Stream<DynamicTest> segmentsAgreeWithOneRun() throws Exception {
        return fixtureModels().map(file -> DynamicTest.dynamicTest(file.getParent().getFileName().toString(), () -> {
            Graph graph = new Graph(OnnxModel.load(file));
            org.xgradcam.tensor.FloatTensor x = Npy.read(file.resolveSibling("input.npy"));
            if (x.rank() == 3) {
                x = x.reshape(1, x.shape()[0], x.shape()[1], x.shape()[2]); // a detector's [3, H, W] image
            } else if (x.rank() == 4 && x.shape()[0] > 1) {
                long[] one = x.shape().clone();
                one[0] = 1;
                x = x.row(0).reshape(one);
            }
            long[] input = ModelShapes.resolveInputShape(graph, x.shape());
            String name = graph.inputs().get(0);
            Map<String, long[]> onceValues = new java.util.HashMap<>();
            Map<String, TensorInfo> once = ModelShapes.probeAtOnce(graph, name, input, Map.of(), x.data(), onceValues);
            Map<String, long[]> segmentValues = new java.util.HashMap<>();
            // segments of 7 nodes: many values cross from one to the next, some across many
            Map<String, TensorInfo> segmented = SegmentedProbe.probe(graph, name, input, Map.of(), x.data(), segmentValues, 7);
            assertThat(segmented).isNotNull();
            assertThat(segmented.keySet()).isEqualTo(once.keySet());
            for (var e : once.entrySet()) {
                TensorInfo b = segmented.get(e.getKey());
                assertThat(b.elemType()).as(e.getKey()).isEqualTo(e.getValue().elemType());
                assertThat(b.shape()).as(e.getKey()).isEqualTo(e.getValue().shape());
            }
            assertThat(segmentValues.keySet()).isEqualTo(onceValues.keySet());
            for (var e : onceValues.entrySet()) {
                assertThat(segmentValues.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
            }
        }));
    }

    /** Conv, then 100,000 alternating Neg and Relu nodes, pooling and a Gemm head. */
    static org.xgradcam.onnx.OnnxModel chain(int length) {
        TestGraph g = new TestGraph(13);
        Random w = new Random(1);
        String x = g.input("input", 1, 3, 16, 16);
        String t = g.node("Conv", List.of(x, g.random(w, 0.3f, 4, 3, 3, 3)), Attributes.ofInts("pads", 1, 1, 1, 1));
        for (int i = 0; i < length; i++) {
            t = g.node(i % 2 == 0 ? "Neg" : "Relu", List.of(t));
        }
        String y = g.node("Gemm", List.of(g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(t)))),
                g.random(w, 0.5f, 3, 4)), Attributes.ofInt("transB", 1));
        return g.build(y);
    }

    @Test
    void aGraphOfAHundredThousandNodesIsProbedAndCatalogued() {
        OnnxModel model = chain(100_000);
        Graph graph = new Graph(model);
        ModelShapes shapes = ModelShapes.of(graph, null);
        assertThat(shapes.shape(graph.outputs().get(0))).containsExactly(1, 3);
        assertThat(shapes.get(graph.nodes().get(50_000).getOutput(0)).shape()).containsExactly(1, 4, 16, 16);
        LayerCatalog catalog = LayerCatalog.of(graph, shapes);
        assertThat(catalog.layers()).isNotEmpty();
    }
}
