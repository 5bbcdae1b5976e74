package org.xgradcam.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.testing.KindsOfModels;
import org.xgradcam.testing.ResultSchema;

/**
 * The pipeline on one model of each kind: what it explains (the top class or a named one, a
 * segment class, each detection), the same numbers as the engine alone, and a document that
 * conforms to the result schema.
 */
class PipelineTest {
    @TempDir
    Path tmp;

    static final ObjectMapper JSON = new ObjectMapper();

    static byte[] scene() throws Exception {
        return Files.readAllBytes(Path.of("..", "examples", "star-and-circle.png"));
    }

    private static JsonNode conforming(Result r) {
        JsonNode doc = JSON.valueToTree(r.toJson());
        assertThat(ResultSchema.problems(doc)).as(doc.toString()).isEmpty();
        return doc;
    }

    @Test
    void aClassifiersTopClassOrAClassByNameEqualsTheEngine() throws Exception {
        try (Pipeline p = Pipeline.open(ModelSpec.demo());
             Explainer e = Explainer.open(ModelSpec.demo(), Explainer.Options.defaults())) {
            assertThat(p.kind()).isEqualTo(ModelKind.CLASSIFIER);
            Prepared in = p.prepare(scene(), "scene", false, ImageLoader.MAX_PIXELS);
            Result r = p.explain(in, p.plan(Request.defaults()));
            Explanation ref = e.explain(in.x(), Explainer.Request.of(Methods.byName("gradcam"), Methods.byName("xgradcam"))).get(0);
            assertThat(r.first().classIndex()).isEqualTo(ref.classIndex());
            assertThat(r.first().score()).isEqualTo(ref.score());
            assertThat(r.first().explanation().result("xgradcam").map().data())
                    .containsExactly(ref.result("xgradcam").map().data());
            JsonNode doc = conforming(r);
            assertThat(doc.get("class").asText()).isEqualTo("star");
            assertThat(doc.get("methods").get("xgradcam").asText()).isEqualTo("XGrad-CAM");
            assertThat(doc.get("top5")).hasSize(5);
            // a class by name, by index; the top 3
            assertThat(p.explain(in, p.plan(Request.defaults().withTarget("circle"))).first().classIndex()).isZero();
            assertThat(p.explain(in, p.plan(Request.defaults().withTarget("0"))).first().name()).isEqualTo("circle");
            Result top3 = p.explain(in, p.plan(Request.defaults().withTopK(3)));
            assertThat(top3.explained()).hasSize(3);
            assertThat(conforming(top3).get("top_k")).hasSize(3);
            // pictures on request only
            assertThat(r.first().pictures()).containsKeys("gradcam", "xgradcam");
            Result bare = p.explain(in, p.plan(Request.defaults().withPictures(false, null, false, false)));
            assertThat(bare.first().pictures()).isEmpty();
        }
    }

    @Test
    void aSegmenterExplainsTheClassWinningMostPixelsWithTheShares() throws Exception {
        ModelSpec spec = ModelSpec.ofFile(KindsOfModels.segmenter(tmp));
        try (Pipeline p = Pipeline.open(spec)) {
            assertThat(p.kind()).isEqualTo(ModelKind.SEGMENTER);
            Result r = p.explain(p.prepare(scene(), "scene", false, ImageLoader.MAX_PIXELS), p.plan(Request.defaults()));
            JsonNode doc = conforming(r);
            double total = 0;
            for (Result.Segment s : r.segments()) {
                total += s.pixelShare();
            }
            assertThat(total).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9)); // three classes: all listed
            assertThat(r.first().classIndex()).isEqualTo(r.segments().get(0).classIndex());
            assertThat(doc.get("segments").get(0).get("pixel_share").asDouble()).isPositive();
            assertThatThrownBy(() -> p.plan(Request.defaults().withTopK(2))).isInstanceOf(XGradCamException.class)
                    .hasMessageContaining("segmenter");
        }
    }

    @Test
    void aDetectorListsItsDetectionsAndExplainsEachOrOne() throws Exception {
        try (Pipeline p = Pipeline.open(ModelSpec.demoDetector())) {
            assertThat(p.kind()).isEqualTo(ModelKind.DETECTION_HEAD);
            Prepared in = p.prepare(scene(), "scene", false, ImageLoader.MAX_PIXELS);
            Result all = p.explain(in, p.plan(Request.defaults()));
            JsonNode doc = conforming(all);
            assertThat(all.detections()).isNotEmpty();
            assertThat(all.explained()).hasSize(all.detections().size());
            assertThat(doc.get("detections").get(0).get("class").asText()).isIn("star", "circle");
            assertThat(all.overview()).isNotNull();
            Result one = p.explain(in, p.plan(Request.defaults().withDetections(0.25, 20, 0, null)));
            assertThat(one.explained()).hasSize(1);
            assertThat(one.first().score()).isEqualTo(all.first().score());
            // the cap: one kept, the rest counted
            Result capped = p.explain(in, p.plan(Request.defaults().withDetections(0.25, 1, null, null)));
            assertThat(capped.detections()).hasSize(1);
            assertThat(capped.detectionsLeftOut()).isEqualTo(all.detections().size() - 1);
            assertThat(conforming(capped).get("detections_left_out").asInt()).isEqualTo(all.detections().size() - 1);
            // nothing above the threshold: no error, a warning that says what to do
            Result none = p.explain(in, p.plan(Request.defaults().withDetections(1.0, 20, null, null)));
            assertThat(none.explained()).isEmpty();
            assertThat(none.warnings()).anyMatch(w -> w.contains("lower the threshold"));
            assertThatThrownBy(() -> p.plan(Request.defaults().withTarget("star"))).isInstanceOf(XGradCamException.class)
                    .hasMessageContaining("detection");
        }
    }

    @Test
    void aFailedLineConformsToo() throws Exception {
        JsonNode failed = JSON.valueToTree(Map.of("image", "x.png", "error", "x.png is not an image"));
        assertThat(ResultSchema.problems(failed)).isEmpty();
        JsonNode neither = JSON.valueToTree(Map.of("image", "x.png"));
        assertThat(ResultSchema.problems(neither)).isNotEmpty();
        JsonNode wrong = JSON.valueToTree(Map.of("kind", "classifier", "class_index", "three", "class", "x", "score", 1.0,
                "top5", List.of()));
        assertThat(ResultSchema.problems(wrong)).isNotEmpty();
    }
}
