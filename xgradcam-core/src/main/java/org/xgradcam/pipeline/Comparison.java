package org.xgradcam.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.CamResult;
import org.xgradcam.image.Overlay;
import org.xgradcam.image.Pictures;
import org.xgradcam.image.RgbImage;
import org.xgradcam.metrics.Faithfulness;

/**
 * A deployed model (fp16, int8, pruned...) against its float original on one image: both explain
 * the same class, the deployed model's class of interest (or the request's target), with the same
 * methods, and the comparison says whether quantization changed what the model looks at: whether
 * their top classes agree, how their scores correlate, and per method how their maps correlate
 * (Pearson and Spearman) and differ.
 *
 * @param image the image's name
 * @param deployed the deployed model's result
 * @param reference the float original's result, for the same class
 * @param sameTopClass whether both models rank the same class first
 * @param scoreCorrelation Pearson correlation of their scores over all classes (all pixels and
 *     classes for a segmenter)
 * @param maps per method id, how the two maps agree
 */
public record Comparison(String image, Result deployed, Result reference, boolean sameTopClass, double scoreCorrelation,
                         Map<String, Agreement> maps) {

    /**
     * How two maps (each in [0, 1] over the input) agree: Pearson and Spearman correlation, the
     * mean absolute difference, and the difference itself (deployed minus reference, in [-1, 1]).
     */
    public record Agreement(double pearson, double spearman, double meanAbsoluteDifference, float[] difference,
                            int width, int height) {
        static Agreement of(float[] deployed, float[] reference, int width, int height) {
            float[] d = new float[deployed.length];
            double sum = 0;
            for (int i = 0; i < d.length; i++) {
                d[i] = deployed[i] - reference[i];
                sum += Math.abs(d[i]);
            }
            return new Agreement(Faithfulness.pearson(deployed, reference), Faithfulness.spearman(deployed, reference), sum / d.length, d,
                    width, height);
        }
    }

    /**
     * Explains one image with both models: the request for the deployed model, the same for the
     * reference at its own layers ({@code referenceLayers}, empty for its default). Both must be
     * classifiers or segmenters (detections of two models do not pair up one to one) scoring the
     * same classes, and take inputs of one size.
     */
    public static Comparison of(Pipeline deployed, Pipeline reference, byte[] bytes, String name, Request request,
                                List<String> referenceLayers, long maxPixels) {
        requireComparable(deployed, reference);
        Prepared a = deployed.prepare(bytes, name, false, maxPixels);
        Prepared b = reference.prepare(bytes, name, false, maxPixels);
        Request one = request.withTopK(null);
        Result ra = deployed.explain(a, deployed.plan(one));
        if (ra.first() == null) {
            throw new XGradCamException(name + ": the deployed model found nothing to explain");
        }
        // the reference explains the class the deployed model explained, whatever it ranks first
        Result rb = reference.explain(b, reference.plan(one.withLayers(referenceLayers)
                .withTarget(Integer.toString(ra.first().classIndex()))));
        float[] la = ra.first().explanation().logits();
        float[] lb = rb.first().explanation().logits();
        if (la.length != lb.length) {
            throw new XGradCamException("the two models score " + la.length + " and " + lb.length + " values; compare a model"
                    + " with its own original (the same classes, the same input size)");
        }
        Map<String, Agreement> maps = new LinkedHashMap<>();
        for (CamMethod m : request.methods()) {
            CamResult ma = ra.first().explanation().result(m.id());
            CamResult mb = rb.first().explanation().result(m.id());
            if (ma.map() == null || mb.map() == null) {
                continue; // Guided Backprop alone has pixels, no map
            }
            // a clip's map [T, H, W] is its frames stacked, as its pictures are
            int w = ma.map().dim(ma.map().rank() - 1);
            maps.put(m.id(), Agreement.of(ma.map().data(), mb.map().data(), w, ma.map().size() / w));
        }
        return new Comparison(name, ra, rb, topClass(ra) == topClass(rb), Faithfulness.pearson(la, lb), maps);
    }

    private static int topClass(Result r) {
        if (!r.classes().isEmpty()) {
            return r.classes().get(0).classIndex();
        }
        return r.segments().isEmpty() ? -1 : r.segments().get(0).classIndex();
    }

    /** Refuses two models that cannot be compared, naming why (before any image is read). */
    public static void requireComparable(Pipeline deployed, Pipeline reference) {
        for (Pipeline p : List.of(deployed, reference)) {
            if (p.kind().detects()) {
                throw new XGradCamException(p.spec().name() + " is a " + p.kind().id() + ": compare explains classifiers and"
                        + " segmenters (the detections of two models do not pair up one to one); explain each model on its own");
            }
        }
        if (deployed.kind() != reference.kind()) {
            throw new XGradCamException(deployed.spec().name() + " is a " + deployed.kind().id() + " and " + reference.spec().name()
                    + " a " + reference.kind().id() + "; compare a model with its own original");
        }
        if (deployed.preprocessing().width() != reference.preprocessing().width()
                || deployed.preprocessing().height() != reference.preprocessing().height()) {
            throw new XGradCamException("the two models take inputs of different sizes (" + deployed.preprocessing().width() + "x"
                    + deployed.preprocessing().height() + " and " + reference.preprocessing().width() + "x"
                    + reference.preprocessing().height() + "); give both the same with --input-size");
        }
        if (deployed.preprocessing().frames() != reference.preprocessing().frames()) {
            throw new XGradCamException("the two models take clips of " + deployed.preprocessing().frames() + " and "
                    + reference.preprocessing().frames() + " frames (0: still images); compare a model with its own original");
        }
        if (deployed.classes() != reference.classes()) {
            throw new XGradCamException(deployed.spec().name() + " scores " + deployed.classes() + " classes and "
                    + reference.spec().name() + " " + reference.classes() + "; compare a model with its own original");
        }
    }

    /** The document of the comparison: the class, the agreements, and each model's top classes. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image", image);
        Result.Explained e = deployed.first();
        m.put("class_index", e.classIndex());
        m.put("class", e.name());
        m.put("same_top_class", sameTopClass);
        m.put("score_correlation", scoreCorrelation);
        m.put("deployed", side(deployed));
        m.put("reference", side(reference));
        Map<String, Object> perMethod = new LinkedHashMap<>();
        maps.forEach((id, a) -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("pearson", a.pearson());
            v.put("spearman", a.spearman());
            v.put("mean_absolute_difference", a.meanAbsoluteDifference());
            perMethod.put(id, v);
        });
        m.put("maps", perMethod);
        return m;
    }

    private static Map<String, Object> side(Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", r.model());
        m.put("layer", r.layers().isEmpty() ? null : r.layers().get(0));
        m.put("score", r.first().score());
        Map<String, Object> whole = r.toJson();
        Object top = whole.containsKey("top5") ? whole.get("top5") : whole.get("segments");
        if (top != null) {
            m.put(whole.containsKey("top5") ? "top5" : "segments", top);
        }
        return m;
    }

    /**
     * The figure: per method, the deployed model's map, the reference's and their difference
     * (red where the deployed model looks more, blue where less). Needs the results' pictures.
     */
    public RgbImage figure() {
        List<Pictures.Panel> panels = new ArrayList<>();
        String cls = deployed.first().name();
        // a row per method: the image, the deployed model's map, the reference's, their difference
        for (CamMethod m : deployed.methods()) {
            Agreement a = maps.get(m.id());
            Result.Pictures pa = deployed.first().pictures().get(m.id());
            Result.Pictures pb = reference.first().pictures().get(m.id());
            if (a == null || pa == null || pb == null) {
                continue;
            }
            panels.add(new Pictures.Panel(deployed.first().backdrop(), "image", cls));
            panels.add(new Pictures.Panel(pa.overlay(), m.name() + ": deployed", String.format(java.util.Locale.ROOT,
                    "score %.3f", deployed.first().score())));
            panels.add(new Pictures.Panel(pb.overlay(), m.name() + ": reference", String.format(java.util.Locale.ROOT,
                    "score %.3f", reference.first().score())));
            panels.add(new Pictures.Panel(Overlay.difference(a.difference(), a.width(), a.height()), "difference",
                    String.format(java.util.Locale.ROOT, "r %.3f, |d| %.3f", a.pearson(), a.meanAbsoluteDifference())));
        }
        return Pictures.figure(panels, 4, deployed.methods().isEmpty() ? null : org.xgradcam.image.Colormap.JET);
    }
}
