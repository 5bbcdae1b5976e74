package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.RgbImage;

/** The formats the command line reads, with the ImageIO plugins it ships (TIFF via TwelveMonkeys). */
class ImageFormatsTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"png", "bmp", "gif", "tiff", "jpeg"})
    void decodes(String format) throws Exception {
        BufferedImage b = new BufferedImage(20, 10, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 20; x++) {
                b.setRGB(x, y, x < 10 ? 0xFF0000 : 0x0000FF);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(b, format, out)).as("a writer for " + format).isTrue();
        RgbImage img = ImageLoader.decode(out.toByteArray(), "test." + format);
        assertThat(img.width()).isEqualTo(20);
        assertThat(img.height()).isEqualTo(10);
        int left = img.rgb()[(5 * 20 + 2) * 3] & 0xff;
        int right = img.rgb()[(5 * 20 + 17) * 3 + 2] & 0xff;
        assertThat(left).as("red on the left").isGreaterThan(200);
        assertThat(right).as("blue on the right").isGreaterThan(200);
    }

    @org.junit.jupiter.api.Test
    void webpReaderIsInstalled() {
        assertThat(ImageIO.getImageReadersByFormatName("webp").hasNext()).isTrue();
    }
}
