package org.xgradcam.pipeline;

import java.util.List;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.PostProcess;
import org.xgradcam.image.Colormap;
import org.xgradcam.validation.Check;

/**
 * What to explain in an image, the same for every front end (the command line's options, the
 * API's fields, Spark's options carry these names): the methods, the layers, the target (a class
 * by index, name or WordNet id; by default the top class, or for a segmenter the class that wins
 * the most pixels), the top k classes, for detectors the score threshold, the detections kept
 * and the one explained, for a sequence the step explained (null: the decoded text), the post-processing convention, the noise seed and smoothing, and
 * whether pictures are rendered and how.
 */
public record Request(List<CamMethod> methods, List<String> layers, String target, Integer topK, double scoreThreshold,
                      int maxDetections, Integer box, String headLayout, PostProcess convention, long seed,
                      boolean eigenSmooth, boolean augSmooth, boolean pictures, Colormap colormap, boolean blend,
                      boolean renormalize, Integer step) {
    /** The methods explained when none are asked for: the original tool's two (cam.jpg, X_cam.jpg). */
    public static final List<String> DEFAULT_METHODS = List.of("gradcam", "xgradcam");

    /** The detections kept (and explained) at most, by decreasing score, unless asked for more. */
    public static final int DEFAULT_MAX_DETECTIONS = 20;

    public Request {
        methods = List.copyOf(methods == null || methods.isEmpty() ? DEFAULT_METHODS.stream().map(Methods::byName).toList()
                : methods);
        layers = List.copyOf(layers == null ? List.of() : layers);
        target = target == null || target.isBlank() ? null : target.strip();
        if (topK != null) {
            Check.range("top-k", topK, 1, 1000);
        }
        Check.range("score threshold", scoreThreshold, 0, 1);
        Check.range("max detections", maxDetections, 1, 100_000);
        if (topK != null && target != null) {
            throw new XGradCamException("give either a target class or top-k, not both");
        }
        convention = convention == null ? PostProcess.SEED : convention;
        colormap = colormap == null ? Colormap.JET : colormap;
        if (step != null) {
            Check.range("step", step, 0, 1_000_000);
        }
    }

    /** The defaults: Grad-CAM and XGrad-CAM at the default layer, for the top class (or every detection), pictures on. */
    public static Request defaults() {
        return new Request(null, null, null, null, 0.25, DEFAULT_MAX_DETECTIONS, null, null, PostProcess.SEED, 0, false, false,
                true, Colormap.JET, false, false, null);
    }

    /** Methods by id or name (comma-separated lists allowed); duplicates dropped. */
    public static List<CamMethod> methods(List<String> names) {
        List<CamMethod> out = new java.util.ArrayList<>();
        for (String n : names) {
            for (String one : n.split(",")) {
                if (!one.isBlank()) {
                    CamMethod m = Methods.byName(one.strip());
                    if (out.stream().noneMatch(x -> x.id().equals(m.id()))) {
                        out.add(m);
                    }
                }
            }
        }
        return out;
    }

    public Request withMethods(List<CamMethod> m) {
        return new Request(m, layers, target, topK, scoreThreshold, maxDetections, box, headLayout, convention, seed, eigenSmooth,
                augSmooth, pictures, colormap, blend, renormalize, step);
    }

    public Request withLayers(List<String> l) {
        return new Request(methods, l, target, topK, scoreThreshold, maxDetections, box, headLayout, convention, seed, eigenSmooth,
                augSmooth, pictures, colormap, blend, renormalize, step);
    }

    public Request withTarget(String t) {
        return new Request(methods, layers, t, topK, scoreThreshold, maxDetections, box, headLayout, convention, seed, eigenSmooth,
                augSmooth, pictures, colormap, blend, renormalize, step);
    }

    public Request withTopK(Integer k) {
        return new Request(methods, layers, target, k, scoreThreshold, maxDetections, box, headLayout, convention, seed, eigenSmooth,
                augSmooth, pictures, colormap, blend, renormalize, step);
    }

    public Request withDetections(double threshold, int max, Integer one, String layout) {
        return new Request(methods, layers, target, topK, threshold, max, one, layout, convention, seed, eigenSmooth, augSmooth,
                pictures, colormap, blend, renormalize, step);
    }

    public Request withConvention(PostProcess c) {
        return new Request(methods, layers, target, topK, scoreThreshold, maxDetections, box, headLayout, c, seed, eigenSmooth,
                augSmooth, pictures, colormap, blend, renormalize, step);
    }

    public Request withNoise(long s, boolean eigen, boolean aug) {
        return new Request(methods, layers, target, topK, scoreThreshold, maxDetections, box, headLayout, convention, s, eigen, aug,
                pictures, colormap, blend, renormalize, step);
    }

    public Request withPictures(boolean on, Colormap cmap, boolean blended, boolean inBox) {
        return new Request(methods, layers, target, topK, scoreThreshold, maxDetections, box, headLayout, convention, seed,
                eigenSmooth, augSmooth, on, cmap, blended, inBox, step);
    }

    /** For a sequence model: the step explained (null: the decoded text). */
    public Request withStep(Integer t) {
        return new Request(methods, layers, target, topK, scoreThreshold, maxDetections, box, headLayout, convention, seed,
                eigenSmooth, augSmooth, pictures, colormap, blend, renormalize, t);
    }
}
