package org.xgradcam.video;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import org.junit.jupiter.api.Test;
import org.xgradcam.XGradCamException;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.image.RgbImage;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * Clips from files: an animated GIF whose later frames are only the changed rectangle (as Pillow
 * writes it) decodes to the frames Pillow shows; torchvision's video transform on those frames
 * is reproduced; the frames a model of T frames takes; our animated GIF reads back as written.
 */
class FramesTest {
    private static Path video(String name) throws Exception {
        return Fixtures.resource("video/" + name);
    }

    @Test
    void anAnimatedGifDecodesToTheFramesAsShown() throws Exception {
        List<RgbImage> frames = Frames.decode(Files.readAllBytes(video("ball.gif")), "ball.gif", ImageLoader.MAX_PIXELS);
        assertThat(frames).hasSize(10);
        RgbImage expected = ImageLoader.load(video("ball_frames.png"));
        RgbImage strip = Frames.stack(frames);
        assertThat(strip.width()).isEqualTo(80);
        assertThat(strip.height()).isEqualTo(600);
        assertThat(strip.rgb()).isEqualTo(expected.rgb());
        // a still image is one frame
        assertThat(Frames.decode(Files.readAllBytes(video("ball_frames.png")), "strip.png", ImageLoader.MAX_PIXELS)).hasSize(1);
    }

    @Test
    void torchvisionsVideoTransformIsReproduced() throws Exception {
        List<RgbImage> frames = Frames.decode(Files.readAllBytes(video("ball.gif")), "ball.gif", ImageLoader.MAX_PIXELS);
        Preprocessing pre = Preprocessing.torchvisionVideo(112, 3);
        FloatTensor x = pre.toTensor(List.of(pre.fit(frames.get(0)), pre.fit(frames.get(4)), pre.fit(frames.get(9))));
        assertThat(x.shape()).containsExactly(1, 3, 3, 112, 112);
        FloatTensor expected = Npy.read(video("ball_torchvision.npy"));
        // torchvision resizes uint8 frames in float and rounds, as here; a tap computed in another float order
        // may round a value one level apart: at most 1/255 before the std (about 0.018 after it), on very few values
        double worst = 0;
        double mean = 0;
        for (int i = 0; i < x.size(); i++) {
            double d = Math.abs(x.data()[i] - expected.data()[i]);
            worst = Math.max(worst, d);
            mean += d / x.size();
        }
        assertThat(worst).isLessThan(1.01 / 255 / 0.216989);
        assertThat(mean).isLessThan(1e-5);
        // the clip's picture is its frames stacked, as the tensor holds them
        RgbImage back = pre.undo(x);
        assertThat(back.height()).isEqualTo(3 * 112);
        assertThat(Frames.split(back, 3).get(1).rgb()).isEqualTo(pre.fit(frames.get(4)).rgb());
    }

    @Test
    void aModelOfTFramesTakesThemEvenlySpacedOrRepeated() {
        assertThat(Frames.sample(8, 8)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(Frames.sample(10, 8)).containsExactly(0, 1, 3, 4, 5, 6, 8, 9);
        assertThat(Frames.sample(16, 4)).containsExactly(2, 6, 10, 14);
        assertThat(Frames.sample(3, 6)).containsExactly(0, 0, 1, 1, 2, 2);
        assertThat(Frames.sample(1, 4)).containsExactly(0, 0, 0, 0);
        assertThatThrownBy(() -> Frames.sample(0, 4)).isInstanceOf(XGradCamException.class);
    }

    @Test
    void ourAnimatedGifReadsBackFrameByFrameAndLoops() throws Exception {
        List<RgbImage> frames = new ArrayList<>();
        for (int t = 0; t < 5; t++) {
            byte[] rgb = new byte[16 * 12 * 3];
            for (int i = 0; i < 16 * 12; i++) {
                boolean on = i % 16 == t * 3;
                rgb[3 * i] = (byte) (on ? 255 : 0);
                rgb[3 * i + 2] = (byte) (on ? 0 : 200);
            }
            frames.add(new RgbImage(16, 12, rgb));
        }
        byte[] gif = AnimatedGif.encode(frames, 125);
        List<RgbImage> back = Frames.decode(gif, "ours.gif", ImageLoader.MAX_PIXELS);
        assertThat(back).hasSize(5);
        for (int t = 0; t < 5; t++) {
            // two colours a frame: the palette keeps them exactly
            assertThat(back.get(t).rgb()).as("frame %d", t).isEqualTo(frames.get(t).rgb());
        }
        String bytes = new String(gif, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(bytes).contains("NETSCAPE2.0");
        try (var in = ImageIO.createImageInputStream(new ByteArrayInputStream(gif))) {
            ImageReader r = ImageIO.getImageReaders(in).next();
            r.setInput(in);
            var gce = r.getImageMetadata(0).getAsTree("javax_imageio_gif_image_1.0");
            String xml = describe(gce);
            assertThat(xml).contains("delayTime=\"13\"");
            r.dispose();
        }
    }

    @Test
    void stripsCutIntoFramesAndContactSheets() {
        byte[] rgb = new byte[2 * 6 * 3];
        for (int i = 0; i < 12; i++) {
            rgb[3 * i] = (byte) (i / 2 * 10); // frame t (rows 2t, 2t+1 of a 2-wide, 6-high strip of 3 frames of 2x2) is 10 * t
        }
        RgbImage strip = new RgbImage(2, 6, rgb);
        assertThat(Frames.split(strip, 3)).hasSize(3);
        RgbImage sheet = Frames.sheet(strip, 3, 2);
        assertThat(sheet.width()).isEqualTo(4);
        assertThat(sheet.height()).isEqualTo(4);
        // frame 1 (value 20 and 30 in its rows) sits top right; the empty cell bottom right is black
        assertThat(sheet.rgb()[3 * 2] & 0xff).isEqualTo(20);
        assertThat(sheet.rgb()[3 * (3 * 4 + 3)] & 0xff).isZero();
    }

    private static String describe(org.w3c.dom.Node n) {
        StringBuilder b = new StringBuilder("<" + n.getNodeName());
        if (n.getAttributes() != null) {
            for (int i = 0; i < n.getAttributes().getLength(); i++) {
                b.append(' ').append(n.getAttributes().item(i).getNodeName()).append("=\"")
                        .append(n.getAttributes().item(i).getNodeValue()).append('"');
            }
        }
        b.append('>');
        for (var c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
            b.append(describe(c));
        }
        return b.toString();
    }
}
