package org.xgradcam.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.XGradCamException;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** XGrad-CAM.py's preprocessing and picture, against OpenCV (tools/fixtures/opencv_pipeline.py). */
class SeedPipelineTest {
    @TempDir
    Path tmp;

    @Test
    void preprocessingEqualsTheSeed() {
        RgbImage img = ImageLoader.load(Fixtures.resource("opencv/pipeline.png"));
        Preprocessing p = Preprocessing.seed();
        FloatTensor x = p.toTensor(p.fit(img));
        FloatTensor expected = Npy.read(Fixtures.resource("opencv/pipeline_input.npy"));
        assertThat(x.shape()).isEqualTo(expected.shape());
        double max = 0;
        for (int i = 0; i < x.size(); i++) {
            max = Math.max(max, Math.abs(x.data()[i] - expected.data()[i]));
        }
        assertThat(max).as("max abs difference to OpenCV + numpy").isLessThan(1e-5);
    }

    @Test
    void pictureEqualsShowCamOnImage() {
        RgbImage img = Preprocessing.seed().fit(ImageLoader.load(Fixtures.resource("opencv/pipeline.png")));
        float[] mask = Npy.read(Fixtures.resource("opencv/pipeline_mask.npy")).data();
        RgbImage cam = Overlay.additive(img, mask, Colormap.JET);
        float[] expected = Npy.read(Fixtures.resource("opencv/pipeline_cam_rgb.npy")).data();
        int off = 0;
        for (int i = 0; i < expected.length; i++) {
            off += Math.abs((cam.rgb()[i] & 0xff) - (int) expected[i]) > 1 ? 1 : 0;
        }
        // float32 rounding of cam / max(cam) may flip a truncation at an integer boundary; never more than 1 level
        assertThat(off).isZero();
    }

    @Test
    void greyAlphaAndSixteenBitImagesBecomeRgb() throws Exception {
        for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY, BufferedImage.TYPE_INT_ARGB}) {
            BufferedImage b = new BufferedImage(5, 4, type);
            b.getRaster().setSample(1, 1, 0, type == BufferedImage.TYPE_USHORT_GRAY ? 65535 : 255);
            if (type == BufferedImage.TYPE_INT_ARGB) {
                b.setRGB(1, 1, 0xFFFFFFFF);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(b, "png", out);
            RgbImage img = ImageLoader.decode(out.toByteArray(), "test.png");
            assertThat(img.width()).isEqualTo(5);
            assertThat(img.rgb()[(1 * 5 + 1) * 3] & 0xff).isEqualTo(255);
            assertThat(img.rgb()[0] & 0xff).isEqualTo(0);
        }
    }

    @Test
    void exifOrientationSixRotatesClockwise() {
        BufferedImage b = new BufferedImage(4, 2, BufferedImage.TYPE_INT_RGB);
        b.setRGB(0, 0, 0xFF0000); // top-left red
        BufferedImage r = ImageLoader.orient(b, 6);
        assertThat(r.getWidth()).isEqualTo(2);
        assertThat(r.getHeight()).isEqualTo(4);
        assertThat(r.getRGB(1, 0) & 0xFFFFFF).isEqualTo(0xFF0000); // now top-right
    }

    @Test
    void hugeHeaderIsRefusedBeforeDecoding() throws Exception {
        assertThatThrownBy(() -> ImageLoader.decode(Fixtures.pngHeaderClaiming(30000, 30000), "bomb.png")).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("claims 30000x30000 pixels");
    }

    @Test
    void textAndTruncatedFilesAreRefused() throws Exception {
        Path text = tmp.resolve("notes.jpg");
        Files.writeString(text, "hello");
        assertThatThrownBy(() -> ImageLoader.load(text)).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("is not an image");
        byte[] png = Files.readAllBytes(Fixtures.resource("opencv/pipeline.png"));
        assertThatThrownBy(() -> ImageLoader.decode(java.util.Arrays.copyOf(png, png.length / 3), "cut.png"))
                .isInstanceOf(XGradCamException.class).hasMessageContaining("damaged or truncated");
        assertThatThrownBy(() -> ImageLoader.load(tmp.resolve("none.png"))).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("image not found");
    }
}
