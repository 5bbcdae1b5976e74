package org.xgradcam.examples;

import java.nio.file.Path;
import java.util.List;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.PostProcess;
import org.xgradcam.cam.Target;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.tensor.FloatTensor;

/**
 * A segmentation model (scores [1, K, H, W]): a class explained over the pixels it wins, as
 * pytorch-grad-cam's semantic segmentation target does.
 */
public final class SegmentationClass {
    private SegmentationClass() {}

    public static Explanation explain(Path model, Path image, int classIndex) {
        try (Explainer x = Explainer.open(model)) {
            Preprocessing pre = x.spec().preprocessing();
            FloatTensor input = pre.toTensor(pre.fit(ImageLoader.load(image)));
            FloatTensor scores = x.logits(input); // [1, K, H, W]
            int k = scores.dim(1);
            int h = scores.dim(2);
            int w = scores.dim(3);
            float[] mask = new float[h * w];
            for (int p = 0; p < h * w; p++) {
                int best = 0;
                for (int c = 1; c < k; c++) {
                    if (scores.data()[c * h * w + p] > scores.data()[best * h * w + p]) {
                        best = c;
                    }
                }
                mask[p] = best == classIndex ? 1f : 0f;
            }
            Explainer.Request request = new Explainer.Request(List.of(Methods.byName("gradcam")),
                    Target.segmentation(classIndex, mask, h, w), List.of(), PostProcess.PYTORCH_GRAD_CAM, 0);
            return x.explain(input, request).get(0);
        }
    }

    public static void main(String[] args) {
        Explanation e = explain(Path.of(args[0]), Path.of(args[1]), Integer.parseInt(args[2]));
        System.out.println("score of the class over its pixels: " + e.score());
    }
}
