package org.xgradcam.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.pipeline.Pipeline;
import org.xgradcam.pipeline.Request;
import org.xgradcam.pipeline.Result;

/** The map over the user's own photo: where the model's input lies on it, and the picture drawn there. */
class PhotoOverlayTest {
    static RgbImage noise(int w, int h) {
        byte[] px = new byte[3 * w * h];
        new Random(1).nextBytes(px);
        return new RgbImage(w, h, px);
    }

    @Test
    void theRegionIsTheWholePhotoOrTheCentreCropsWindow() {
        Preprocessing direct = Preprocessing.seed();
        assertThat(direct.seenRegion(640, 480)).containsExactly(0, 0, 640, 480);
        // shorter side 480 -> 256 (scale 0.5333): 341 x 256, crop 224 from x = 58, y = 16
        Preprocessing crop = Preprocessing.imagenet(224);
        float[] r = crop.seenRegion(640, 480);
        assertThat(r[0]).isCloseTo(58 * 640f / 341, org.assertj.core.data.Offset.offset(1e-3f));
        assertThat(r[1]).isCloseTo(16 * 480f / 256, org.assertj.core.data.Offset.offset(1e-3f));
        assertThat(r[2] - r[0]).isCloseTo(224 * 640f / 341, org.assertj.core.data.Offset.offset(1e-3f));
        assertThat(r[3] - r[1]).isCloseTo(224 * 480f / 256, org.assertj.core.data.Offset.offset(1e-3f));
        // a portrait photo (300 x 600 -> 256 x 512, crop from x = 16): the window is centred
        float[] p = crop.seenRegion(300, 600);
        assertThat(p[0]).isCloseTo(16 * 300f / 256, org.assertj.core.data.Offset.offset(1e-3f));
        assertThat((p[1] + p[3]) / 2).isCloseTo(300f, org.assertj.core.data.Offset.offset(2f));
    }

    @Test
    void thePictureIsAtThePhotosSizeAndLeavesWhatTheModelDidNotSeeAsItIs() {
        RgbImage photo = noise(200, 100);
        float[] map = new float[32 * 32];
        java.util.Arrays.fill(map, 1f);
        float[] region = {50, 0, 150, 100};
        RgbImage out = Overlay.onPhoto(photo, map, 32, 32, region, true, Colormap.JET);
        assertThat(out.width()).isEqualTo(200);
        assertThat(out.height()).isEqualTo(100);
        // left of the outlined window: the photo's own pixels
        for (int y = 0; y < 100; y++) {
            for (int x = 0; x < 48; x++) {
                int i = 3 * (y * 200 + x);
                assertThat(out.rgb()[i]).isEqualTo(photo.rgb()[i]);
            }
        }
        // inside: the heat (JET at 1 is dark red) blended half and half
        int i = 3 * (50 * 200 + 100);
        assertThat((out.rgb()[i] & 0xff)).isEqualTo(Math.round(0.5f * (photo.rgb()[i] & 0xff) + 0.5f * Colormap.JET.rgb(255)[0]));
        // a huge photo is drawn scaled down, keeping its aspect ratio
        RgbImage big = Overlay.onPhoto(noise(8192, 2048), map, 32, 32, new float[] {0, 0, 8192, 2048}, false, Colormap.JET);
        assertThat(big.width()).isEqualTo(Overlay.MAX_PHOTO_SIDE);
        assertThat(big.height()).isEqualTo(1024);
    }

    @Test
    void thePipelineDrawsOnThePhotoOnlyWhereItDiffersFromTheInput() throws Exception {
        try (Pipeline p = Pipeline.open(ModelSpec.demo())) {
            Result same = p.explain(p.prepare(noise(96, 96), "same"), p.plan(Request.defaults()));
            assertThat(same.first().pictures().get("xgradcam").onPhoto()).isNull();
            Result wide = p.explain(p.prepare(noise(300, 120), "wide"), p.plan(Request.defaults()));
            RgbImage onPhoto = wide.first().pictures().get("xgradcam").onPhoto();
            assertThat(onPhoto.width()).isEqualTo(300);
            assertThat(onPhoto.height()).isEqualTo(120);
        }
    }
}
