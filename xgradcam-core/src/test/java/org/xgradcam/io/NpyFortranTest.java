package org.xgradcam.io;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** A Fortran-ordered array (numpy.save of a transposed view) reads as the same values in C order. */
class NpyFortranTest {
    @Test
    void fortranOrderIsReadAsRowMajor() {
        // numpy.save(np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)))
        FloatTensor t = Npy.read(Fixtures.resource("npy/fortran_2x3x4.npy"));
        assertThat(t.shape()).containsExactly(2, 3, 4);
        for (int i = 0; i < 24; i++) {
            assertThat(t.data()[i]).isEqualTo((float) i);
        }
    }
}
