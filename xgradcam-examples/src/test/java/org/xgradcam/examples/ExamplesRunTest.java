package org.xgradcam.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Heatmap;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Pictures;
import org.xgradcam.scenes.Scenes;

/** The example programs run on a small real model (the torchvision VGG-style fixture) and scenes. */
class ExamplesRunTest {
    @TempDir
    Path tmp;

    private static final Path MODEL = Path.of("..", "xgradcam-core", "src", "test", "resources", "torchvision", "vgg",
            "model.onnx");

    private Path scene(String name, long seed) {
        Path p = tmp.resolve(name);
        Pictures.save(Scenes.generate(seed, 1, 64, 1.0).image(), p);
        return p;
    }

    @Test
    void explainPhotoWritesAPicture() {
        Path out = tmp.resolve("X_cam.jpg");
        ExplainPhoto.main(new String[] {MODEL.toString(), scene("a.png", 1).toString(), out.toString()});
        assertThat(ImageLoader.load(out).width()).isEqualTo(32);
    }

    @Test
    void aBatchAndThreadsAgree() throws Exception {
        List<Path> images = List.of(scene("a.png", 1), scene("b.png", 2), scene("c.png", 3));
        List<Explanation> batch = BatchOfImages.explain(MODEL, images);
        List<Heatmap> threaded = SharedAcrossThreads.explainAll(MODEL, images, 3);
        for (int i = 0; i < images.size(); i++) {
            assertThat(threaded.get(i).classIndex()).isEqualTo(batch.get(i).classIndex());
            float[] a = threaded.get(i).map().data();
            float[] b = batch.get(i).result("xgradcam").map().data();
            for (int j = 0; j < a.length; j++) {
                assertThat(a[j]).isCloseTo(b[j], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    @Test
    void aCustomTargetAtANamedLayer() {
        Explanation e = CustomTarget.probabilityOf(MODEL, scene("a.png", 4), 3, "features.9");
        assertThat(e.classIndex()).isEqualTo(3);
        assertThat(e.layer()).isEqualTo("/features/features.9/Relu_output_0");
    }
}
