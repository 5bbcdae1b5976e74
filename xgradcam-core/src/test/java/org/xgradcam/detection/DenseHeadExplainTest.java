package org.xgradcam.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.PostProcess;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.GraphSurgery;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Engines;
import org.xgradcam.testing.TestGraph;

/**
 * A raw dense head (a YOLO-style conv head reshaped to [1, 4+K, N]): each detection is explained
 * by its class score at its anchor; the gradient at the backbone equals finite differences of
 * that one head entry through the graph after the layer.
 */
class DenseHeadExplainTest {
    @Test
    void aDetectionIsExplainedByItsClassScoreAtItsAnchor() {
        TestGraph g = new TestGraph(13);
        Random w = new Random(9);
        String x = g.input("input", 1, 3, 16, 16);
        String f = features(g, w, x);
        String head = headConv(g, w, f);
        String out = g.node("Reshape", List.of(head, g.ints(1, 7, 64)));
        OnnxModel model = g.build(out);
        FloatTensor image = image(4);
        try (Explainer e = Explainer.open(model, Explainer.Options.defaults())) {
            FloatTensor raw = e.logits(image);
            DenseHead.Layout layout = DenseHead.detect(raw.shape());
            assertThat(layout).isEqualTo(DenseHead.Layout.ATTRIBUTES_FIRST);
            List<Detection> found = DenseHead.decode(raw, layout, Double.NEGATIVE_INFINITY, 1.0);
            Detection d = found.get(0);
            Explanation ex = e.explain(image, new Explainer.Request(List.of(Methods.byName("gradcam")),
                    DenseHead.target(d, layout, raw.shape()), List.of(f), PostProcess.SEED, 0)).get(0);
            assertThat(ex.classIndex()).isEqualTo(d.label());
            assertThat(ex.score()).isCloseTo(d.score(), org.assertj.core.data.Offset.offset(1e-5));
            // finite differences of head[4 + label, anchor] along a few activations
            Engines t = Engines.load(GraphSurgery.tail(e.graph(), e.shapes(), f, out));
            FloatTensor a = ex.activations();
            int entry = (4 + d.label()) * 64 + d.anchor();
            double h = 1e-2;
            for (int i : new int[] {0, 37, 300, a.size() - 1}) {
                float[] p = a.data().clone();
                float[] m = a.data().clone();
                p[i] += (float) h;
                m[i] -= (float) h;
                double fd = (score(t, p, a.shape(), entry) - score(t, m, a.shape(), entry)) / (2 * h);
                assertThat(ex.gradients().data()[i]).as("dS/dA at %d", i).isCloseTo((float) fd,
                        org.assertj.core.data.Offset.offset(1e-3f));
            }
        }
    }

    /**
     * Several detections of one image explained together (the layer once, the head on one copy
     * per detection, each row seeded with its own class score) give what one run per detection gives.
     */
    @ParameterizedTest(name = "batch written into the head: {0}")
    @ValueSource(booleans = {false, true})
    void allDetectionsInOneRunEqualOneRunEach(boolean fixedBatch) {
        TestGraph g = new TestGraph(13);
        Random w = new Random(9);
        String x = g.input("input", 1, 3, 16, 16);
        String f = features(g, w, x);
        String head = headConv(g, w, f);
        // a Reshape to [0, 7, 64] keeps the batch; one to [1, 7, 64] runs one row only (then one run each)
        String out = g.node("Sigmoid", List.of(g.node("Reshape", List.of(head, g.ints(fixedBatch ? 1 : 0, 7, 64)))));
        OnnxModel model = g.build(out);
        FloatTensor image = image(5);
        java.util.concurrent.atomic.AtomicInteger oneEach = new java.util.concurrent.atomic.AtomicInteger();
        try (Explainer e = Explainer.open(model, Explainer.Options.defaults().withProgress((what, done, all) -> {
            if (what.equals("detections")) {
                oneEach.incrementAndGet(); // only the one-run-each way counts detections done
            }
        }))) {
            FloatTensor raw = e.logits(image);
            DenseHead.Layout layout = DenseHead.detect(raw.shape());
            List<Detection> found = DenseHead.decode(raw, layout, Double.NEGATIVE_INFINITY, 1.0).subList(0, 6);
            List<org.xgradcam.cam.Target> targets = found.stream().map(d -> DenseHead.target(d, layout, raw.shape())).toList();
            Explainer.Request request = new Explainer.Request(List.of(Methods.byName("gradcam"), Methods.byName("xgradcam")),
                    org.xgradcam.cam.Target.topClass(), List.of(f), PostProcess.SEED, 0);
            List<Explanation> together = e.explainEach(image, targets, request);
            assertThat(together).hasSize(6);
            assertThat(oneEach.get()).as("runs one detection at a time").isEqualTo(fixedBatch ? 6 : 0);
            for (int i = 0; i < 6; i++) {
                Explanation alone = e.explain(image, request.withTarget(targets.get(i))).get(0);
                assertThat(together.get(i).classIndex()).isEqualTo(found.get(i).label());
                assertThat(together.get(i).score()).isCloseTo(alone.score(), org.assertj.core.data.Offset.offset(1e-5));
                for (String m : List.of("gradcam", "xgradcam")) {
                    float[] a = together.get(i).result(m).map().data();
                    float[] b = alone.result(m).map().data();
                    double diff = 0;
                    for (int j = 0; j < a.length; j++) {
                        diff = Math.max(diff, Math.abs(a[j] - b[j]));
                    }
                    assertThat(diff).as("%s map of detection %d", m, i).isLessThan(1e-5);
                }
                double gd = 0;
                for (int j = 0; j < alone.gradients().size(); j++) {
                    gd = Math.max(gd, Math.abs(alone.gradients().data()[j] - together.get(i).gradients().data()[j]));
                }
                assertThat(gd).as("gradients of detection %d", i).isLessThan(1e-6);
            }
            // the detections differ: their maps are not all the same
            assertThat(together.get(0).result("gradcam").map().data()).isNotEqualTo(together.get(1).result("gradcam").map().data());
        }
    }

    /** Two scales, each with its head: the default layer is the last map both paths pass, not one scale's. */
    @Test
    void aHeadOverTwoScalesIsExplainedWhereBothPathsPass() {
        TestGraph g = new TestGraph(13);
        Random w = new Random(3);
        String x = g.input("input", 1, 3, 16, 16);
        String r1 = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(w, 0.4f, 6, 3, 3, 3), g.random(w, 0.1f, 6)),
                Attributes.ofInts("pads", 1, 1, 1, 1))));
        String r2 = g.node("Relu", List.of(g.node("Conv", List.of(r1, g.random(w, 0.4f, 6, 6, 3, 3), g.random(w, 0.1f, 6)),
                Attributes.ofInts("pads", 1, 1, 1, 1), Attributes.ofInts("strides", 2, 2))));
        String h1 = g.node("Reshape", List.of(g.node("Conv", List.of(r1, g.random(w, 0.5f, 7, 6, 1, 1), g.random(w, 0.3f, 7))),
                g.ints(0, 7, 256)));
        String h2 = g.node("Reshape", List.of(g.node("Conv", List.of(r2, g.random(w, 0.5f, 7, 6, 1, 1), g.random(w, 0.3f, 7))),
                g.ints(0, 7, 64)));
        String out = g.node("Concat", List.of(h1, h2), Attributes.ofInt("axis", 2));
        try (Explainer e = Explainer.open(g.build(out), Explainer.Options.defaults())) {
            assertThat(e.layers().requireDefault().tensor()).isEqualTo(r1);
        }
    }

    /** The backbone: a 3x3 convolution to 6 channels and a ReLU, at 16x16. */
    private static String features(TestGraph g, Random w, String x) {
        return g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(w, 0.4f, 6, 3, 3, 3), g.random(w, 0.1f, 6)),
                Attributes.ofInts("pads", 1, 1, 1, 1))));
    }

    /** The head's convolution: 4 box values and 3 classes per cell of an 8x8 grid. */
    private static String headConv(TestGraph g, Random w, String f) {
        return g.node("Conv", List.of(f, g.random(w, 0.5f, 7, 6, 3, 3), g.random(w, 0.3f, 7)),
                Attributes.ofInts("pads", 1, 1, 1, 1), Attributes.ofInts("strides", 2, 2));
    }

    /** A Gaussian image [1, 3, 16, 16]. */
    private static FloatTensor image(long seed) {
        float[] in = new float[3 * 16 * 16];
        Random r = new Random(seed);
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) r.nextGaussian();
        }
        return new FloatTensor(new long[] {1, 3, 16, 16}, in);
    }

    private static double score(Engines tail, float[] a, long[] rowShape, int entry) {
        long[] shape = new long[rowShape.length + 1];
        shape[0] = 1;
        System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
        try (var s = new org.xgradcam.runtime.ForwardSession(tail.model(), tail.shapes().inputName(),
                org.xgradcam.runtime.RuntimeOptions.cpu())) {
            return s.run(new FloatTensor(shape, a), tail.catalog().score()).data()[entry];
        }
    }
}
