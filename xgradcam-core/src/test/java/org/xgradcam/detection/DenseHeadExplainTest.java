package org.xgradcam.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
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
        String f = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(w, 0.4f, 6, 3, 3, 3), g.random(w, 0.1f, 6)),
                Attributes.ofInts("pads", 1, 1, 1, 1))));
        String head = g.node("Conv", List.of(f, g.random(w, 0.5f, 7, 6, 3, 3), g.random(w, 0.3f, 7)),
                Attributes.ofInts("pads", 1, 1, 1, 1), Attributes.ofInts("strides", 2, 2));
        String out = g.node("Reshape", List.of(head, g.ints(1, 7, 64)));
        OnnxModel model = g.build(out);
        float[] in = new float[3 * 16 * 16];
        Random r = new Random(4);
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) r.nextGaussian();
        }
        FloatTensor image = new FloatTensor(new long[] {1, 3, 16, 16}, in);
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
