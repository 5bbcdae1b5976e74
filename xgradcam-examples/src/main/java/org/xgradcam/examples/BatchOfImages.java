package org.xgradcam.examples;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.tensor.FloatTensor;

/** Several images in one batch and several methods in one run: one forward and one backward for all. */
public final class BatchOfImages {
    private BatchOfImages() {}

    public static List<Explanation> explain(Path model, List<Path> images) {
        try (Explainer x = Explainer.open(model)) {
            Preprocessing pre = x.spec().preprocessing();
            List<FloatTensor> rows = new ArrayList<>();
            for (Path p : images) {
                rows.add(pre.toTensor(pre.fit(ImageLoader.load(p))).row(0));
            }
            FloatTensor batch = FloatTensor.stack(rows);
            return x.explain(batch, Explainer.Request.of(Methods.byName("gradcam"), Methods.byName("xgradcam")));
        }
    }

    public static void main(String[] args) {
        List<Path> images = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            images.add(Path.of(args[i]));
        }
        for (Explanation e : explain(Path.of(args[0]), images)) {
            System.out.printf("class %d, score %.3f, Grad-CAM max %.3f%n", e.classIndex(), e.score(),
                    e.result("gradcam").map().data()[0]);
        }
    }
}
