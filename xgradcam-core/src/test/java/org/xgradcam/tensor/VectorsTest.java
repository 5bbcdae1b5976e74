package org.xgradcam.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class VectorsTest {
    @Test
    void argmaxTakesTheFirstOfEqualMaxima() {
        assertThat(Vectors.argmax(new float[] {1, 3, -2, 3})).isEqualTo(1);
        assertThat(Vectors.argmax(new float[] {-5})).isZero();
    }

    @Test
    void softmaxMatchesHandValuesAndSurvivesLargeLogits() {
        // softmax(0, ln 2, ln 5) = (1, 2, 5) / 8
        double[] p = Vectors.softmax(new double[] {0, Math.log(2), Math.log(5)});
        assertThat(p[0]).isCloseTo(0.125, within(1e-12));
        assertThat(p[1]).isCloseTo(0.25, within(1e-12));
        assertThat(p[2]).isCloseTo(0.625, within(1e-12));
        // exp(1000) overflows a double; the shift by the maximum keeps it finite
        double[] q = Vectors.softmax(new float[] {7, 1000, 1000, 9}, 1, 2);
        assertThat(q).containsExactly(0.5, 0.5);
    }
}
