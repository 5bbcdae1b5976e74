package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.RgbImage;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.video.Frames;

/**
 * The command line on a video classifier (an r3d_18-style model of 8 frames of 48x48) and a 3-D
 * U-Net (8 grey slices of 32x32), from tools/fixtures/export_video.py: a clip comes as an animated
 * GIF, a folder of frames or a .npy volume; its maps come out as a contact sheet, one picture per
 * frame (or slice) and an animated GIF; what is not a clip is refused with the way out.
 */
class VideoCommandTest {
    static final Path VIDEO = Path.of("..", "xgradcam-core", "src", "test", "resources", "video");

    @TempDir
    Path tmp;

    @Test
    void anAnimatedGifIsExplainedFrameByFrameWithAGifOfTheMaps() throws Exception {
        Path out = tmp.resolve("gif");
        var r = CliRunner.run("--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path",
                VIDEO.resolve("ball.gif").toString(), "--output-dir", out.toString(), "--save-raw");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("class of interest: ");
        // 10 frames for a model of 8: which ones, said
        assertThat(r.err()).contains("has 10 frame(s) and the model takes 8: frames 0, 1, 3, 4, 5, 6, 8, 9");
        assertThat(r.err()).contains("torchvision's video transform");
        for (String m : List.of("cam", "X_cam")) {
            List<RgbImage> gif = Frames.decode(Files.readAllBytes(out.resolve(m + ".gif")), m + ".gif", ImageLoader.MAX_PIXELS);
            assertThat(gif).hasSize(8);
            for (int t = 0; t < 8; t++) {
                RgbImage frame = ImageLoader.load(out.resolve(m + "_frames").resolve(String.format("%03d.jpg", t)));
                assertThat(frame.width()).isEqualTo(48);
                assertThat(frame.height()).isEqualTo(48);
            }
            RgbImage sheet = ImageLoader.load(out.resolve(m + ".jpg"));
            assertThat(sheet.width()).as("4 frames a row").isEqualTo(4 * 48);
            assertThat(sheet.height()).isEqualTo(2 * 48);
        }
        assertThat(out.resolve("compare.png")).isRegularFile();
        // the map covers every frame: [T, H, W]; the layer's arrays keep their own [C, D, H, W]
        assertThat(Npy.read(out.resolve("xgradcam_cam.npy")).shape()).containsExactly(8, 48, 48);
        assertThat(Npy.read(out.resolve("activations.npy")).shape()).containsExactly(32, 1, 3, 3);
        assertThat(Npy.read(out.resolve("xgradcam_cam_lowres.npy")).shape()).as("the layer's D slices").containsExactly(1, 3, 3);
        assertThat(Npy.read(out.resolve("logits.npy")).shape()).containsExactly(1, 10);
    }

    @Test
    void aFolderOfFramesIsOneClipAndAVolumeComesAsNpy() throws Exception {
        Path frames = tmp.resolve("frames");
        Files.createDirectories(frames);
        List<RgbImage> ball = Frames.decode(Files.readAllBytes(VIDEO.resolve("ball.gif")), "ball", ImageLoader.MAX_PIXELS);
        for (int t = 0; t < 8; t++) {
            org.xgradcam.image.Pictures.save(ball.get(t), frames.resolve(String.format("f%02d.png", t)));
        }
        Path out = tmp.resolve("folder");
        var r = CliRunner.run("--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path", frames.toString(),
                "--output-dir", out.toString(), "--method", "gradcam");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).doesNotContain("frame(s) and the model takes"); // 8 frames for 8
        assertThat(out.resolve("cam.gif")).isRegularFile();
        assertThat(out.resolve("cam_frames").resolve("007.jpg")).isRegularFile();

        // a grey volume [D, H, W] for the U-Net: slices, not frames
        FloatTensor x = Npy.read(VIDEO.resolve("unet3d/input.npy"));
        Path volume = tmp.resolve("volume.npy");
        Npy.write(volume, new FloatTensor(new long[] {8, 32, 32}, x.data()));
        Path vout = tmp.resolve("volume");
        var v = CliRunner.run("--model", VIDEO.resolve("unet3d/model.onnx").toString(), "--image-path", volume.toString(),
                "--output-dir", vout.toString(), "--method", "xgradcam", "--json");
        assertThat(v.exit()).as(v.err()).isZero();
        assertThat(v.out()).contains("\"kind\": \"segmenter\"").contains("\"layout\": \"ncthw\"");
        assertThat(vout.resolve("X_cam_slices").resolve("000.jpg")).isRegularFile();
        assertThat(vout.resolve("X_cam.gif")).isRegularFile();
    }

    @Test
    void whatIsNoClipIsRefusedWithTheWayOut() throws Exception {
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        var r = CliRunner.run("--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path", empty.toString(),
                "--output-dir", tmp.resolve("o1").toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("holds no frames").contains("folder of frames, an animated GIF or a .npy").doesNotContain("Exception");

        // animated GIFs inside a clip folder: a folder is one clip of still frames
        Path gifs = tmp.resolve("gifs");
        Files.createDirectories(gifs);
        Files.copy(VIDEO.resolve("ball.gif"), gifs.resolve("a.gif"));
        Files.copy(VIDEO.resolve("ball.gif"), gifs.resolve("b.gif"));
        var g = CliRunner.run("--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path", gifs.toString(),
                "--output-dir", tmp.resolve("o2").toString());
        assertThat(g.exit()).isNotZero();
        assertThat(g.err()).contains("is an animated GIF").contains("name each GIF as a clip of its own");
        assertThat(tmp.resolve("o2").resolve("cam.jpg")).doesNotExist();

        // a volume of the wrong shape names the shape wanted
        Path wrong = tmp.resolve("wrong.npy");
        Npy.write(wrong, new FloatTensor(new long[] {4, 32, 32}, new float[4 * 32 * 32]));
        var w = CliRunner.run("--model", VIDEO.resolve("unet3d/model.onnx").toString(), "--image-path", wrong.toString(),
                "--output-dir", tmp.resolve("o3").toString());
        assertThat(w.exit()).isNotZero();
        assertThat(w.err()).contains("[1, 1, 8, 32, 32]").contains("[D, H, W]").doesNotContain("Exception");

        // methods that mask the input: refused for clips, by name
        var s = CliRunner.run("--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path",
                VIDEO.resolve("ball.gif").toString(), "--output-dir", tmp.resolve("o4").toString(), "--method", "scorecam");
        assertThat(s.exit()).isNotZero();
        assertThat(s.err()).contains("clip or volume").contains("gradient method");

        // a truncated GIF: refused as a damaged image is, nothing written; explained with --allow-damaged and a warning
        byte[] gif = Files.readAllBytes(VIDEO.resolve("ball.gif"));
        Path truncated = tmp.resolve("truncated.gif");
        Files.write(truncated, java.util.Arrays.copyOf(gif, gif.length / 2));
        var t = CliRunner.run("--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path", truncated.toString(),
                "--output-dir", tmp.resolve("o6").toString());
        assertThat(t.exit()).isNotZero();
        assertThat(t.err()).contains("damaged or truncated").contains("--allow-damaged").doesNotContain("Exception");
        assertThat(tmp.resolve("o6")).doesNotExist();
        var ta = CliRunner.run("--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path", truncated.toString(),
                "--output-dir", tmp.resolve("o7").toString(), "--allow-damaged");
        assertThat(ta.exit()).as(ta.err()).isZero();
        assertThat(ta.err()).contains("truncated.gif is damaged").contains("explained anyway");

        // a truncated frame in a clip folder: refused, or explained with --allow-damaged and a warning naming it
        Path withDamaged = tmp.resolve("damaged-frames");
        Files.createDirectories(withDamaged);
        byte[] png = Files.readAllBytes(VIDEO.resolve("ball_frames.png"));
        for (int i = 0; i < 7; i++) {
            Files.write(withDamaged.resolve("f" + i + ".png"), png);
        }
        Files.write(withDamaged.resolve("f7.png"), java.util.Arrays.copyOf(png, png.length - 12)); // its IEND chunk gone
        var df = CliRunner.run("--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path", withDamaged.toString(),
                "--output-dir", tmp.resolve("o8").toString());
        assertThat(df.exit()).isNotZero();
        assertThat(df.err()).contains("f7.png").contains("--allow-damaged").doesNotContain("Exception");
        var dfa = CliRunner.run("--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path", withDamaged.toString(),
                "--output-dir", tmp.resolve("o9").toString(), "--allow-damaged");
        assertThat(dfa.exit()).as(dfa.err()).isZero();
        assertThat(dfa.err()).contains("f7.png is damaged").contains("explained anyway");

        // evaluate's metrics are for still images: it says so, and how to explain a clip
        var ev = CliRunner.run("evaluate", "--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path",
                VIDEO.resolve("ball.gif").toString(), "--output-dir", tmp.resolve("o10").toString());
        assertThat(ev.exit()).isNotZero();
        assertThat(ev.err()).contains("still images").contains("--image-path CLIP").doesNotContain("Exception");

        // bench: one clip of the model's own shape, not a folder of still images
        Path stills = tmp.resolve("stills");
        Files.createDirectories(stills);
        for (int i = 0; i < 12; i++) {
            Files.copy(VIDEO.resolve("ball_frames.png"), stills.resolve("s" + i + ".png"));
        }
        var fb = CliRunner.run("bench", "--folder", stills.toString(), "--model", VIDEO.resolve("r3d/model.onnx").toString());
        assertThat(fb.exit()).isNotZero();
        assertThat(fb.err()).contains("takes clips of 8 frames").contains("bench --model");
        var bench = CliRunner.run("bench", "--model", VIDEO.resolve("r3d/model.onnx").toString(), "--iterations", "2", "--warmup",
                "0", "--quiet");
        assertThat(bench.exit()).as(bench.err()).isZero();
        assertThat(bench.out()).contains("input [1, 3, 8, 48, 48]").contains("Grad-CAM, whole explain call");

        // a still image for a video model: one frame, repeated, with a warning
        Path still = tmp.resolve("still.png");
        org.xgradcam.image.Pictures.save(ImageLoader.load(VIDEO.resolve("ball_frames.png")).crop(0, 0, 80, 60), still);
        var one = CliRunner.run("--model", VIDEO.resolve("r3d/model.onnx").toString(), "--image-path", still.toString(),
                "--output-dir", tmp.resolve("o5").toString());
        assertThat(one.exit()).as(one.err()).isZero();
        assertThat(one.err()).contains("has 1 frame(s) and the model takes 8").contains("repeated");
    }
}
