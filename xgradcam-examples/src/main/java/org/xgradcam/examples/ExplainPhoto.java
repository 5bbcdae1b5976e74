package org.xgradcam.examples;

import java.nio.file.Path;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Method;
import org.xgradcam.image.Colormap;

/** The short path: one photo, its top class, XGrad-CAM, a picture. Run: ExplainPhoto MODEL IMAGE OUT.jpg */
public final class ExplainPhoto {
    private ExplainPhoto() {}

    public static void main(String[] args) {
        Path model = Path.of(args.length > 0 ? args[0] : "vgg16.onnx");
        Path image = Path.of(args.length > 1 ? args[1] : "dog.jpg");
        Path out = Path.of(args.length > 2 ? args[2] : "X_cam.jpg");
        try (Explainer x = Explainer.open(model)) {
            var heatmap = x.explain(image, Method.XGRAD_CAM);
            heatmap.overlay(Colormap.JET).save(out);
            System.out.printf("%s: class %d (%s), score %.3f, layer %s%n", image, heatmap.classIndex(), heatmap.label(),
                    heatmap.score(), heatmap.layer());
        }
    }
}
