package org.xgradcam.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.Explanation;
import org.xgradcam.detection.Detection;
import org.xgradcam.image.RgbImage;

/**
 * One image explained: the result document every front end renders (the command line as files
 * and JSON lines, the viewer as JSON, Spark as rows, evaluate as scores). It says what the model
 * found (the classes with their probabilities, the segment classes with their pixel shares, or
 * the detections), what was explained (each with its maps per method and layer, and its pictures
 * when asked for), and how (layers, preprocessing, warnings, time). {@link #toJson()} gives its
 * one vocabulary, documented in docs/results.md and checked against result.schema.json.
 */
public record Result(String image, String model, ModelKind kind, List<String> layers, Map<String, Object> preprocessing,
                     List<ClassScore> classes, List<Segment> segments, List<Found> detections, int detectionsLeftOut,
                     List<Explained> explained, List<CamMethod> methods, List<String> warnings, RgbImage backdrop,
                     RgbImage overview, double explainMs, Sequence sequence) {

    /** A sequence model's decoding: the text, its symbols by step, and the step explained (null: the text). */
    public record Sequence(String text, List<SequenceHead.Symbol> symbols, Integer step) {}

    /** A class and how the model scored it: its logit and softmax probability. */
    public record ClassScore(int classIndex, String name, String wordNetId, double logit, double probability) {}

    /** A class of a segmenter and the share of the image's pixels it wins. */
    public record Segment(int classIndex, String name, String wordNetId, double pixelShare) {}

    /** A detection, numbered in the model's order (by decreasing score), with its class's names. */
    public record Found(int index, Detection detection, String name, String wordNetId, org.xgradcam.image.Boxes.Parts parts) {
        public Found(int index, Detection detection, String name, String wordNetId) {
            this(index, detection, name, wordNetId, org.xgradcam.image.Boxes.Parts.NONE);
        }
    }

    /**
     * The pictures of one method: the map over the image as the model saw it, (detections, on
     * request) the map renormalised inside its box, and the map over the photo at its own size
     * (null where the photo is the model's input as it is, for tensors and for detections).
     */
    public record Pictures(RgbImage overlay, RgbImage inBox, RgbImage onPhoto) {}

    /**
     * One thing explained: the top class, a class by rank (top-k), a segment class, or a
     * detection (its index in {@link #detections()}); its class, its score, the engine's
     * explanation (maps per method and layer), the picture behind its maps (a detection's with
     * its box drawn), and its pictures per method id when they were asked for.
     */
    public record Explained(Integer rank, Integer detection, int classIndex, String name, String wordNetId, double score,
                            Explanation explanation, RgbImage backdrop, Map<String, Pictures> pictures) {}

    /** The first thing explained (the class of interest), or null for an image with none. */
    public Explained first() {
        return explained.isEmpty() ? null : explained.get(0);
    }

    /** The document in the one vocabulary (keys and forms in docs/results.md), ready for any JSON writer. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image", image);
        m.put("model", model);
        m.put("kind", kind.id());
        m.put("layer", layers.isEmpty() ? null : layers.get(0));
        List<Object> layerInfo = new ArrayList<>();
        for (String l : layers) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("name", l);
            if (!explained.isEmpty()) {
                explained.get(0).explanation().layers().stream().filter(a -> a.layer().equals(l)).findFirst().ifPresent(a ->
                        info.put("shape", java.util.Arrays.stream(a.activations().shape()).boxed().toList()));
            }
            layerInfo.add(info);
        }
        m.put("layers", layerInfo);
        Explained first = first();
        if (first != null && !kind.detects()) {
            if (first.classIndex() >= 0) {
                classFields(m, first.classIndex(), first.name(), first.wordNetId());
            } else {
                m.put("class", first.name()); // a sequence's decoded text, explained as a whole
            }
            m.put("score", first.score());
        }
        if (kind == ModelKind.CLASSIFIER) {
            List<Object> top = new ArrayList<>();
            for (ClassScore c : classes) {
                Map<String, Object> t = new LinkedHashMap<>();
                classFields(t, c.classIndex(), c.name(), c.wordNetId());
                t.put("logit", c.logit());
                t.put("probability", c.probability());
                top.add(t);
            }
            m.put("top5", top);
            if (explained.size() > 1 || (first != null && first.rank() != null)) {
                List<Object> ranked = new ArrayList<>();
                for (Explained e : explained) {
                    Map<String, Object> t = new LinkedHashMap<>();
                    t.put("rank", e.rank());
                    classFields(t, e.classIndex(), e.name(), e.wordNetId());
                    t.put("score", e.score());
                    ranked.add(t);
                }
                m.put("top_k", ranked);
            }
        }
        if (kind == ModelKind.SEGMENTER) {
            List<Object> segs = new ArrayList<>();
            for (Segment s : segments) {
                Map<String, Object> t = new LinkedHashMap<>();
                classFields(t, s.classIndex(), s.name(), s.wordNetId());
                t.put("pixel_share", s.pixelShare());
                segs.add(t);
            }
            m.put("segments", segs);
        }
        if (kind == ModelKind.SEQUENCE && sequence != null) {
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("text", sequence.text());
            List<Object> symbols = new ArrayList<>();
            for (SequenceHead.Symbol sym : sequence.symbols()) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("step", sym.step());
                t.put("class", sym.classIndex());
                t.put("text", sym.text());
                t.put("score", sym.score());
                symbols.add(t);
            }
            q.put("symbols", symbols);
            q.put("explained_step", sequence.step());
            m.put("sequence", q);
        }
        if (kind.detects()) {
            List<Object> dets = new ArrayList<>();
            for (Found f : detections) {
                Detection d = f.detection();
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("index", f.index());
                classFields(t, d.label(), f.name(), f.wordNetId());
                t.put("score", (double) d.score());
                t.put("box", List.of((double) d.x0(), (double) d.y0(), (double) d.x1(), (double) d.y1()));
                if (kind == ModelKind.DETECTION_HEAD) {
                    t.put("anchor", d.anchor()); // the head's row; a selecting detector's own order is the index
                }
                if (f.parts() != null && f.parts().mask() != null) {
                    int pixels = 0;
                    for (float v : f.parts().mask()) {
                        pixels += v > 0.5f ? 1 : 0;
                    }
                    t.put("mask_pixels", pixels); // the instance mask's area (above 0.5), drawn in the pictures
                }
                if (f.parts() != null && f.parts().keypoints() != null) {
                    List<Object> points = new ArrayList<>();
                    float[] k = f.parts().keypoints();
                    for (int i = 0; i + 2 < k.length; i += 3) {
                        points.add(List.of((double) k[i], (double) k[i + 1], (double) k[i + 2]));
                    }
                    t.put("keypoints", points);
                }
                dets.add(t);
            }
            m.put("detections", dets);
            if (detectionsLeftOut > 0) {
                m.put("detections_left_out", detectionsLeftOut);
            }
            m.put("explained_detections", explained.stream().map(Explained::detection).toList());
        }
        Map<String, String> names = new LinkedHashMap<>();
        methods.forEach(x -> names.put(x.id(), x.name()));
        m.put("methods", names);
        if (!warnings.isEmpty()) {
            m.put("warnings", warnings);
        }
        m.put("preprocessing", preprocessing);
        m.put("explain_ms", explainMs);
        return m;
    }

    /** class_index, class and (where known) wnid, the same keys wherever a class is named. */
    static void classFields(Map<String, Object> m, int index, String name, String wordNetId) {
        m.put("class_index", index);
        m.put("class", name);
        if (wordNetId != null) {
            m.put("wnid", wordNetId);
        }
    }
}
