package org.xgradcam.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.testing.TestGraph;

/** Results that would mislead say so: a zero-initialised head, a flat map; a sound result says nothing. */
class MisleadingResultsTest {
    /** conv, ReLU, global pooling, a linear head of 4 classes with the given weights (bias 0). */
    static ModelSpec classifier(float headWeight) {
        Random rnd = new Random(3);
        TestGraph g = new TestGraph(13);
        String x = g.input("input", 1, 3, 32, 32);
        String a = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(rnd, 0.5f, 6, 3, 3, 3), g.random(rnd, 0.1f, 6)),
                Attributes.ofInts("pads", 1, 1, 1, 1))));
        float[] w = new float[4 * 6];
        for (int i = 0; i < w.length; i++) {
            w[i] = headWeight * (1 + (i % 5)); // every class weighs every channel with headWeight's sign
        }
        String logits = g.node("Gemm", List.of(g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(a)))),
                g.constant(w, 4, 6), g.constant(new float[4], 4)), Attributes.ofInt("transB", 1));
        OnnxModel m = OnnxModel.fromBytes(g.build(logits).proto().toByteArray(), "head");
        return ModelSpec.of(m, "head.onnx");
    }

    static Result explain(ModelSpec spec) {
        try (Pipeline p = Pipeline.open(spec)) {
            Random rnd = new Random(5);
            float[] v = new float[3 * 32 * 32];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rnd.nextGaussian();
            }
            return p.explain(p.prepare(new org.xgradcam.tensor.FloatTensor(new long[] {1, 3, 32, 32}, v), "noise"),
                    p.plan(Request.defaults().withPictures(false, null, false, false)));
        }
    }

    @Test
    void aZeroInitialisedHeadIsNamed() {
        Result r = explain(classifier(0f));
        assertThat(r.warnings()).anyMatch(w -> w.contains("scores all 4 classes alike") && w.contains("zero-initialised"));
        assertThat(r.warnings()).anyMatch(w -> w.contains("gradient at") && w.contains("zero everywhere"));
    }

    @Test
    void aMapWithNothingInItIsNamed() {
        // every class weighs every (non-negative) channel negatively: Grad-CAM's ReLU leaves nothing
        Result r = explain(classifier(-0.1f));
        assertThat(r.warnings()).singleElement().satisfies(w -> assertThat(w).contains("Grad-CAM, XGrad-CAM maps at")
                .contains("flat"));
    }

    @Test
    void aSoundResultSaysNothing() {
        assertThat(explain(classifier(0.1f)).warnings()).isEmpty();
    }
}
