package org.xgradcam.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** Against cv2.resize(INTER_LINEAR) outputs recorded by tools/fixtures/opencv_resize.py, and Pillow's. */
class ResizeTest {

    @ParameterizedTest(name = "8-bit to {0}x{1}")
    @CsvSource({"224, 224", "15, 20", "100, 53"})
    void eightBitMatchesOpenCvExactly(int h, int w) {
        FloatTensor src = Npy.read(Fixtures.resource("opencv/u8_src.npy"));
        byte[] out = Resize.bilinear8(bytes(src), src.dim(0), src.dim(1), 3, h, w);
        assertThat(mismatches(out, "opencv/u8_" + h + "x" + w + ".npy")).as("pixels that differ from OpenCV").isZero();
    }

    /** Against Pillow's Image.resize(BILINEAR), recorded by tools/fixtures/pil_resize.py. */
    @ParameterizedTest(name = "Pillow 8-bit 37x53 to {0}x{1}")
    @CsvSource({"15, 20", "96, 96", "100, 53", "37, 17", "12, 80"})
    void eightBitMatchesPillowExactly(int h, int w) {
        FloatTensor src = Npy.read(Fixtures.resource("opencv/u8_src.npy"));
        byte[] out = PilResize.bilinear8(bytes(src), src.dim(0), src.dim(1), 3, h, w);
        assertThat(mismatches(out, "pil/u8_" + h + "x" + w + ".npy")).as("pixels that differ from Pillow").isZero();
    }

    private static byte[] bytes(FloatTensor t) {
        byte[] b = new byte[t.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (int) t.data()[i];
        }
        return b;
    }

    private static int mismatches(byte[] out, String expectedResource) {
        float[] expected = Npy.read(Fixtures.resource(expectedResource)).data();
        assertThat(out).hasSize(expected.length);
        int n = 0;
        for (int i = 0; i < out.length; i++) {
            n += (out[i] & 0xff) == (int) expected[i] ? 0 : 1;
        }
        return n;
    }

    @ParameterizedTest(name = "float {0}x{0} to 224x224")
    @CsvSource({"7", "13"})
    void floatMatchesOpenCv(int n) {
        float[] src = Npy.read(Fixtures.resource("opencv/f32_src_" + n + ".npy")).data();
        float[] out = Resize.bilinear(src, n, n, 224, 224);
        FloatTensor expected = Npy.read(Fixtures.resource("opencv/f32_" + n + "_224.npy"));
        assertThat(Fixtures.relativeError(new FloatTensor(expected.shape(), out), expected)).isLessThan(1e-6);
    }

    @Test
    void sameSizeIsACopy() {
        float[] v = {1, 2, 3, 4};
        assertThat(Resize.bilinear(v, 2, 2, 2, 2)).containsExactly(1, 2, 3, 4);
    }
}
