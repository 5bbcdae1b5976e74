package org.xgradcam.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.CamResult;
import org.xgradcam.cam.Explanation;

/**
 * Results that would mislead without a word: a head that scores every class alike (untrained,
 * zero-initialised), a score whose gradient at the layer is zero everywhere, a map with nothing
 * in it. Each becomes a warning on the result, worded for whoever reads it.
 */
final class Misleading {
    private Misleading() {}

    static List<String> of(ModelKind kind, Explanation e, List<CamMethod> methods) {
        List<String> w = new ArrayList<>();
        if (kind == ModelKind.CLASSIFIER && e.logits().length > 1) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float v : e.logits()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            if (max - min <= 1e-6 * Math.max(1, Math.abs(max))) {
                w.add(String.format(Locale.ROOT, "the model scores all %d classes alike (every logit %.4g): its head looks"
                        + " untrained or zero-initialised, so the class and its maps say nothing; check the export's weights",
                        e.logits().length, max));
            }
        }
        if (e.gradients() != null && allZero(e.gradients().data())) {
            w.add("the score's gradient at " + e.layer() + " is zero everywhere: nothing at that layer moves the score (a"
                    + " saturated or constant head, or a layer the score does not read); the gradient methods' maps are blank");
        }
        if (w.isEmpty()) {
            // (a head or gradient that says nothing already explains blank maps)
            List<String> flat = new ArrayList<>();
            for (CamMethod m : methods) {
                CamResult r = e.result(m.id());
                if (r != null && r.map() != null && flat(r.map().data())) {
                    flat.add(m.name());
                }
            }
            if (!flat.isEmpty()) {
                w.add("the " + String.join(", ", flat) + " map" + (flat.size() > 1 ? "s" : "") + " at " + e.layer() + " "
                        + (flat.size() > 1 ? "are" : "is") + " flat: nothing stands out (every weighted sum is zero or below);"
                        + " try another layer ('xgradcam layers') or another method");
            }
        }
        return w;
    }

    private static boolean allZero(float[] v) {
        for (float x : v) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean flat(float[] v) {
        for (float x : v) {
            if (x != v[0]) {
                return false;
            }
        }
        return true;
    }
}
