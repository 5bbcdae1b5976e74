package org.xgradcam.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xgradcam.testing.TestGraph;

/**
 * Shapes a probe measured are kept under a digest of the graph and input shape: a second look
 * reads them back equal, a damaged entry is measured again, another input shape or another graph
 * is another entry, and graphs whose shapes depend on values are never cached.
 */
class ShapeCacheTest {
    private static Graph convNet(int channels, long seed) {
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 3, 8, 8);
        String conv = g.node("Conv", List.of(x, g.random(new Random(seed), 0.3f, channels, 3, 3, 3)));
        String y = g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(g.node("Relu", List.of(conv))))));
        return new Graph(g.build(y));
    }

    private static Path entry(String key) {
        return org.xgradcam.runtime.NativeLibraries.cacheDir().resolve("shapes").resolve(key + ".tsv");
    }

    private static void assertSameShapes(ModelShapes a, ModelShapes b, Graph graph) {
        for (var n : graph.nodes()) {
            for (String out : n.getOutputList()) {
                assertThat(b.shape(out)).as(out).containsExactly(a.shape(out));
                assertThat(b.get(out).elemType()).isEqualTo(a.get(out).elemType());
            }
        }
    }

    @Test
    void aSecondLookReadsTheShapesBackAndADamagedEntryIsMeasuredAgain() throws Exception {
        Graph graph = convNet(700, 1); // 700 x 27 weights: over the size left out of the digest
        long[] input = {1, 3, 8, 8};
        String key = ShapeCache.key(graph, input);
        assertThat(key).isNotNull();
        Files.deleteIfExists(entry(key));
        ModelShapes first = ModelShapes.of(graph, input);
        assertThat(entry(key)).isRegularFile();
        assertThat(ShapeCache.lookup(key)).isNotNull();
        assertSameShapes(first, ModelShapes.of(graph, input), graph);

        Files.writeString(entry(key), "garbage\tnot a number\n");
        assertThat(ShapeCache.lookup(key)).isNull();
        assertSameShapes(first, ModelShapes.of(graph, input), graph);
        assertThat(ShapeCache.lookup(key)).isNotNull(); // stored again
    }

    @Test
    void theKeyFollowsTheGraphAndTheInputShapeNotTheWeightValues() {
        Graph a = convNet(700, 1);
        assertThat(ShapeCache.key(a, new long[] {1, 3, 8, 8})).isNotEqualTo(ShapeCache.key(a, new long[] {1, 3, 16, 16}));
        assertThat(ShapeCache.key(a, new long[] {1, 3, 8, 8})).isNotEqualTo(ShapeCache.key(convNet(701, 1), new long[] {1, 3, 8, 8}));
        // other values of the large weights cannot change a shape here: the same entry
        assertThat(ShapeCache.key(a, new long[] {1, 3, 8, 8})).isEqualTo(ShapeCache.key(convNet(700, 2), new long[] {1, 3, 8, 8}));
        // small initializers (shape tensors) are part of the key
        assertThat(ShapeCache.key(convNet(4, 1), new long[] {1, 3, 8, 8})).isNotEqualTo(ShapeCache.key(convNet(4, 2), new long[] {1, 3, 8, 8}));
    }

    @Test
    void graphsWithValueDependentShapesAreNotCached() {
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 3, 8, 8);
        String y = g.node("NonZero", List.of(g.node("Relu", List.of(x))));
        assertThat(ShapeCache.key(new Graph(g.build(y)), new long[] {1, 3, 8, 8})).isNull();
    }
}
