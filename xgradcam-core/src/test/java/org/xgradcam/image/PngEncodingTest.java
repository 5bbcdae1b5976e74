package org.xgradcam.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The PNG encoder: what any decoder reads back is the picture, pixel for pixel, for any size and content. */
class PngEncodingTest {
    private static RgbImage decoded(byte[] png) throws Exception {
        return RgbImage.of(ImageIO.read(new ByteArrayInputStream(png)));
    }

    @Test
    void noisyFlatAndTinyPicturesReadBackExactly() throws Exception {
        Random rnd = new Random(7);
        int[][] sizes = {{1, 1}, {1, 9}, {7, 1}, {33, 17}, {472, 272}};
        for (int[] s : sizes) {
            byte[] noisy = new byte[s[0] * s[1] * 3];
            rnd.nextBytes(noisy);
            byte[] flat = new byte[noisy.length];
            for (int i = 0; i < flat.length; i++) {
                flat[i] = (byte) (i % 3 == 0 ? 200 : i % 3 == 1 ? 30 : (i / 3) % s[0]); // a flat colour and a ramp
            }
            for (byte[] px : new byte[][] {noisy, flat}) {
                RgbImage img = new RgbImage(s[0], s[1], px);
                RgbImage back = decoded(Pictures.png(img));
                assertThat(back.width()).isEqualTo(s[0]);
                assertThat(back.height()).isEqualTo(s[1]);
                assertThat(back.rgb()).isEqualTo(px);
            }
        }
    }

    @Test
    void flatPicturesShrink() {
        byte[] px = new byte[256 * 256 * 3];
        java.util.Arrays.fill(px, (byte) 90);
        assertThat(Pictures.png(new RgbImage(256, 256, px)).length).isLessThan(px.length / 6);
    }
}
