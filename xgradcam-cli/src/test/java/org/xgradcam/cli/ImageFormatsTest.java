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

    /** Files the JDK cannot write (tools/fixtures/image_formats.py): red left half, blue right half. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"halves.webp", "halves-cmyk.jpg"})
    void decodesWebpAndCmykJpeg(String name) throws Exception {
        byte[] bytes;
        try (var in = ImageFormatsTest.class.getResourceAsStream("/images/" + name)) {
            bytes = in.readAllBytes();
        }
        RgbImage img = ImageLoader.decode(bytes, name);
        assertThat(img.width()).isEqualTo(20);
        assertThat(img.height()).isEqualTo(10);
        byte[] p = img.rgb();
        int left = (5 * 20 + 2) * 3;
        int right = (5 * 20 + 17) * 3;
        // a CMYK file goes through a colour profile, so pure inks give strong, not full, primaries
        assertThat(p[left] & 0xff).as("red on the left").isGreaterThan(180);
        assertThat(p[left + 2] & 0xff).as("not blue on the left").isLessThan(90);
        assertThat(p[right + 2] & 0xff).as("blue on the right").isGreaterThan(120);
        assertThat(p[right] & 0xff).as("not red on the right").isLessThan(120);
    }
}
