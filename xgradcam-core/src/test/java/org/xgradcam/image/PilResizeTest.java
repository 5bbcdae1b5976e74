package org.xgradcam.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** Against Pillow's Image.resize(BILINEAR) outputs recorded by tools/fixtures/pil_resize.py. */
class PilResizeTest {

    @ParameterizedTest(name = "8-bit 37x53 to {0}x{1}")
    @CsvSource({"15, 20", "96, 96", "100, 53", "37, 17", "12, 80"})
    void eightBitMatchesPillowExactly(int h, int w) {
        FloatTensor src = Npy.read(Fixtures.resource("opencv/u8_src.npy"));
        byte[] in = new byte[src.size()];
        for (int i = 0; i < in.length; i++) {
            in[i] = (byte) (int) src.data()[i];
        }
        byte[] out = PilResize.bilinear8(in, src.dim(0), src.dim(1), 3, h, w);
        float[] expected = Npy.read(Fixtures.resource("pil/u8_" + h + "x" + w + ".npy")).data();
        assertThat(out).hasSize(expected.length);
        int mismatches = 0;
        for (int i = 0; i < out.length; i++) {
            mismatches += (out[i] & 0xff) == (int) expected[i] ? 0 : 1;
        }
        assertThat(mismatches).as("pixels that differ from Pillow").isZero();
    }
}
