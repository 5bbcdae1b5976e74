package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.XGradCamException;
import org.xgradcam.image.Colormap;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Pictures;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.scenes.Scenes;
import org.xgradcam.testing.Fixtures;

/** The library's short path: an image file in, a heat map with class, label, score and maps out. */
class ShortPathTest {
    @TempDir
    Path tmp;

    @Test
    void everyMethodIdHasAConstant() {
        assertThat(Arrays.stream(Method.values()).map(Method::id).toList()).containsExactlyInAnyOrderElementsOf(Methods.ids());
    }

    @Test
    void anImageFileIsExplainedInOneCallAsTheLongPathDoes() throws Exception {
        Path image = tmp.resolve("scene.png");
        Pictures.save(Scenes.generate(5, 1, 80, 1.0).image(), image);
        Path model = Fixtures.resource("torchvision/vgg/model.onnx");
        try (Explainer x = Explainer.open(model)) {
            Heatmap h = x.explain(image, Method.XGRAD_CAM);
            Path out = tmp.resolve("X_cam.jpg");
            h.overlay(Colormap.JET).save(out);
            assertThat(ImageLoader.load(out).width()).isEqualTo(32);
            // the long path with the same preprocessing gives the same numbers
            Preprocessing pre = x.spec().preprocessing();
            Explanation e = x.explain(pre.toTensor(pre.fit(ImageLoader.load(image))), Explainer.Request.of(Methods.byName("xgradcam")))
                    .get(0);
            assertThat(h.classIndex()).isEqualTo(e.classIndex()).isEqualTo(e.topK(1)[0]);
            assertThat(h.score()).isEqualTo(e.score());
            assertThat(h.map().data()).containsExactly(e.result("xgradcam").map().data());
            assertThat(h.map().shape()).containsExactly(32, 32);
            assertThat(h.signedLowRes().data()).containsExactly(e.result("xgradcam").layers().get(0).raw().data());
            for (int i = 0; i < h.lowRes().size(); i++) {
                assertThat(h.lowRes().data()[i]).isEqualTo(Math.max(0f, h.signedLowRes().data()[i]));
            }
            assertThat(h.weights()).isNotNull();
            assertThat(h.label()).isEqualTo("class " + h.classIndex()); // a 10-class model: no label file
            Heatmap other = x.explain(image, Method.GRAD_CAM, 3);
            assertThat(other.classIndex()).isEqualTo(3);
            List<Heatmap> both = x.explain(image, List.of(Method.GRAD_CAM, Method.XGRAD_CAM), -1);
            assertThat(both.get(1).map().data()).containsExactly(h.map().data());
            assertThatThrownBy(() -> x.explain(image, Method.GUIDED_BACKPROP)).isInstanceOf(XGradCamException.class)
                    .hasMessageContaining("pixels()");
            assertThat(Files.size(out)).isPositive();
        }
    }
}
