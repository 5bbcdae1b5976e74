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
 * Targets other than the top logit: a given class's softmax probability, a mix of classes, at a
 * layer of your choice, with pytorch-grad-cam's post-processing.
 */
public final class CustomTarget {
    private CustomTarget() {}

    public static Explanation probabilityOf(Path model, Path image, int classIndex, String layer) {
        try (Explainer x = Explainer.open(model)) {
            Preprocessing pre = x.spec().preprocessing();
            FloatTensor input = pre.toTensor(pre.fit(ImageLoader.load(image)));
            Explainer.Request request = new Explainer.Request(List.of(Methods.byName("xgradcam")),
                    Target.probability(classIndex), List.of(layer), PostProcess.PYTORCH_GRAD_CAM, 0);
            return x.explain(input, request).get(0);
        }
    }

    public static void main(String[] args) {
        Explanation e = probabilityOf(Path.of(args[0]), Path.of(args[1]), Integer.parseInt(args[2]), args[3]);
        System.out.println("explained class " + e.classIndex() + " at " + e.layer());
    }
}
