package org.xgradcam.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xgradcam.cam.Explainer;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.TestGraph;

/** Every metric on tiny inputs whose values are worked out by hand in the comments. */
class MetricsTest {

    @Test
    void boxesAndPointing() {
        Box a = new Box(0, 0, 0, 2, 2);
        Box b = new Box(0, 1, 1, 3, 3);
        assertThat(a.iou(b)).isCloseTo(1.0 / 7, within(1e-12)); // intersection 1, union 4 + 4 - 1
        // 3x3 map, maximum at (x=2, y=1)
        float[] map = {0, 1, 0, 0, 2, 5, 0, 0, 0};
        assertThat(Localisation.pointingGameHit(map, 3, List.of(new Box(0, 2, 0, 3, 2)))).isTrue();
        assertThat(Localisation.pointingGameHit(map, 3, List.of(new Box(0, 0, 0, 2, 3)))).isFalse();
        // mass 8; inside the left two columns: 1 + 2 = 3
        assertThat(Localisation.energyPointingGame(map, 3, List.of(new Box(0, 0, 0, 2, 3)))).isCloseTo(3.0 / 8, within(1e-12));
    }

    @Test
    void largestComponentBox() {
        // threshold 0.5 of max 4: cells >= 2. Components: {(0,0),(1,1)} (diagonal: 8-connected), {(3,3)}
        float[] map = {
            4, 0, 0, 0,
            0, 3, 0, 0,
            0, 0, 0, 0,
            0, 0, 0, 2};
        Box box = Localisation.boxOfLargestComponent(map, 4, 0.5);
        assertThat(box).isEqualTo(new Box(-1, 0, 0, 2, 2));
        assertThat(Localisation.localised(map, 4, List.of(new Box(0, 0, 0, 2, 3)), 0.5)).isTrue(); // IoU 4/6
        assertThat(Localisation.localised(map, 4, List.of(new Box(0, 1, 1, 4, 4)), 0.5)).isFalse(); // IoU 1/12
    }

    @Test
    void areaUnderCurve() {
        assertThat(Curves.auc(new double[] {1, 0.5, 0})).isCloseTo(0.5, within(1e-12));
        assertThat(Curves.auc(new double[] {1, 1})).isCloseTo(1, within(1e-12));
    }

    @Test
    void confidenceArithmetic() {
        Faithfulness.Confidence c = new Faithfulness.Confidence(0.8, 0.6);
        assertThat(c.averageDropPercent()).isCloseTo(25, within(1e-9)); // (0.8 - 0.6) / 0.8
        assertThat(c.increase()).isZero();
        assertThat(c.dropInConfidence()).isCloseTo(0.2, within(1e-9));
        assertThat(c.change()).isCloseTo(-0.2, within(1e-9));
        assertThat(new Faithfulness.Confidence(0.5, 0.7).increase()).isEqualTo(1);
    }

    @Test
    void imputationIsTheWeightedMeanOfNeighbours() {
        // 3x3, centre removed: 4 direct neighbours (weight 1/6) = 1, 4 diagonal ones (1/12) = 4
        float[] img = {4, 1, 4, 1, 99, 1, 4, 1, 4};
        boolean[] removed = new boolean[9];
        removed[4] = true;
        float[] out = Imputation.noisyLinear(img, 1, 3, 3, removed, 0, new Random(1));
        // the solver stops when no value moves by more than 1e-3 (a tenth of ROAD's noise)
        assertThat(out[4]).isCloseTo(4 * (1f / 6) * 1 + 4 * (1f / 12) * 4, within(1e-3f)); // 2
        assertThat(out[0]).isEqualTo(4f);
    }

    @Test
    void correlationsAndAdcc() {
        float[] a = {1, 2, 3, 4};
        assertThat(Faithfulness.pearson(a, new float[] {2, 4, 6, 8})).isCloseTo(1, within(1e-12));
        assertThat(Faithfulness.spearman(a, new float[] {1, 10, 100, 1000})).isCloseTo(1, within(1e-12));
        assertThat(Faithfulness.spearman(a, new float[] {4, 3, 2, 1})).isCloseTo(-1, within(1e-12));
        // coherency (1 + 1) / 2 = 1, complexity mean = 0.25, drop 0.5: 3 / (1/1 + 1/0.75 + 1/0.5)
        float[] map = {0, 0.5f, 0.5f, 0};
        assertThat(Faithfulness.adcc(map, map, 0.5)).isCloseTo(3 / (1 + 1 / 0.75 + 2), within(1e-9));
    }

    /** A linear two-class model: logit0 = x0 + x1 + x2 + x3 (4 pixels, 1 channel), logit1 = 0. */
    private static Explainer linear() {
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 1, 2, 2);
        String flat = g.node("Flatten", List.of(x));
        String y = g.node("Gemm", List.of(flat, g.constant(new float[] {1, 1, 1, 1, 0, 0, 0, 0}, 2, 4)),
                Attributes.ofInt("transB", 1));
        return Explainer.open(g.build(y), Explainer.Options.defaults());
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    @Test
    void deletionAndInsertionByHand() {
        try (Explainer e = linear()) {
            Faithfulness f = new Faithfulness(e);
            FloatTensor x = new FloatTensor(new long[] {1, 1, 2, 2}, new float[] {1, 2, 3, 4});
            float[] map = {0.1f, 0.9f, 0.5f, 0.2f}; // order: pixel 1, 2, 3, 0
            Faithfulness.Curve del = f.deletion(x, map, 0, 1);
            // p0 = sigmoid(sum of remaining pixels): 10, 8, 5, 1, 0
            double[] expected = {sigmoid(10), sigmoid(8), sigmoid(5), sigmoid(1), sigmoid(0)};
            for (int i = 0; i < expected.length; i++) {
                assertThat(del.scores()[i]).isCloseTo(expected[i], within(1e-6));
            }
            assertThat(del.auc()).isCloseTo(Curves.auc(expected), within(1e-6));
            Faithfulness.Confidence c = f.confidence(x, map, 0);
            // x * map = 0.1 + 1.8 + 1.5 + 0.8 = 4.2
            assertThat(c.original()).isCloseTo(sigmoid(10), within(1e-6));
            assertThat(c.explained()).isCloseTo(sigmoid(4.2), within(1e-6));
            Faithfulness.Curve ins = f.insertion(x, map, 0, 2);
            assertThat(ins.scores()).hasSize(3);
            assertThat(ins.scores()[2]).isCloseTo(sigmoid(10), within(1e-6)); // everything inserted
        }
    }

    @Test
    void roadIsReproducibleWithASeed() {
        try (Explainer e = linear()) {
            Faithfulness f = new Faithfulness(e);
            FloatTensor x = new FloatTensor(new long[] {1, 1, 2, 2}, new float[] {1, 2, 3, 4});
            float[] map = {0.1f, 0.9f, 0.5f, 0.2f};
            var a = f.road(x, map, 0, new double[] {25, 50}, 7);
            var b = f.road(x, map, 0, new double[] {25, 50}, 7);
            assertThat(a).isEqualTo(b);
            // MoRF 25%: pixel 1 (value 2) replaced by the weighted mean of its neighbours 1, 3 (direct,
            // weight 1/6 each) and 4 (diagonal, 1/12), renormalised: (1 + 3) * 0.4 + 4 * 0.2 = 2.4, +- noise
            double expected = sigmoid(1 + 2.4 + 3 + 4);
            assertThat(a.get(0).mostRelevantFirst()).isCloseTo(expected, within(1e-2));
            assertThat(Faithfulness.roadCombined(a)).isFinite();
        }
    }
}
