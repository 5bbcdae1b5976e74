package org.xgradcam.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.pipeline.Pipeline;
import org.xgradcam.pipeline.Request;
import org.xgradcam.pipeline.Result;
import org.xgradcam.testing.KindsOfModels;
import org.xgradcam.testing.ResultSchema;

/**
 * The API explains every kind of model through the core pipeline: a classifier, the demo
 * detector (one detection, or all), a segmenter, a text recogniser, Mask R-CNN and a video
 * classifier answer with the result schema's fields, and
 * the same class_index, class, score and maps as the pipeline alone.
 */
class ViewerKindsTest {
    static ViewerServer server;
    static final ObjectMapper JSON = new ObjectMapper();
    static Map<String, ModelSpec> models = new LinkedHashMap<>();

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        models.put("shapes", ModelSpec.demo());
        models.put("shapes-detector", ModelSpec.demoDetector());
        models.put("seg", ModelSpec.ofFile(KindsOfModels.segmenter(tmp)));
        Path fixtures = Path.of("..", "xgradcam-core", "src", "test", "resources");
        models.put("text", ModelSpec.ofFile(fixtures.resolve("sequence/model.onnx")));
        models.put("maskrcnn", ModelSpec.ofFile(fixtures.resolve("detectors/maskrcnn/model.onnx")));
        models.put("video", ModelSpec.ofFile(fixtures.resolve("video/r3d/model.onnx"))); // a still image: one frame, repeated
        server = ViewerServer.start(models, ViewerServer.Limits.defaults().withPort(0));
    }

    static Path fixturesDir() {
        return Path.of("..", "xgradcam-core", "src", "test", "resources");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void everyKindIsThePipelinesResult() throws Exception {
        byte[] scene = Files.readAllBytes(Path.of("..", "examples", "star-and-circle.png"));
        for (String id : models.keySet()) {
            boolean detects = id.equals("shapes-detector") || id.equals("maskrcnn");
            var r0 = ViewerServerTest.post(server, scene, "model", id, "method", "gradcam,xgradcam", "raw", "true",
                    "box", detects ? "all" : "");
            assertThat(r0.statusCode()).as(r0.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(r0.body());
            assertThat(ResultSchema.problems(body)).as(id).isEmpty();
            try (Pipeline p = Pipeline.open(models.get(id))) {
                Result r = p.explain(p.prepare(scene, "scene", false, ImageLoader.MAX_PIXELS), p.plan(Request.defaults()));
                assertThat(body.get("kind").asText()).isEqualTo(r.kind().id());
                JsonNode explanations = body.get("explanations");
                assertThat(explanations).hasSize(r.explained().size());
                for (int i = 0; i < r.explained().size(); i++) {
                    Result.Explained want = r.explained().get(i);
                    JsonNode got = explanations.get(i);
                    if (want.classIndex() >= 0) {
                        assertThat(got.get("class_index").asInt()).isEqualTo(want.classIndex());
                    } else {
                        assertThat(got.has("class_index")).as("a text explained as a whole").isFalse();
                    }
                    assertThat(got.get("class").asText()).isEqualTo(want.name());
                    assertThat(got.get("score").asDouble()).isEqualTo(want.score());
                    for (String m : List.of("gradcam", "xgradcam")) {
                        float[] low = want.explanation().result(m).layers().get(0).raw().data();
                        float[] theirs = new float[low.length];
                        int k = 0;
                        for (JsonNode row : got.get("maps").get(m).get("lowres")) {
                            for (JsonNode v : row) {
                                theirs[k++] = v.floatValue();
                            }
                        }
                        assertThat(theirs).containsExactly(low);
                    }
                }
                if (detects) {
                    assertThat(body.get("detections")).hasSize(r.detections().size());
                    assertThat(body.get("overview").asText()).isNotEmpty();
                    // by default the best detection alone, and any one by its number
                    JsonNode best = JSON.readTree(ViewerServerTest.post(server, scene, "model", id).body());
                    assertThat(best.get("explanations")).hasSize(1);
                    assertThat(best.get("explanations").get(0).get("detection").asInt()).isZero();
                    JsonNode second = JSON.readTree(ViewerServerTest.post(server, scene, "model", id, "box", "1").body());
                    assertThat(second.get("explanations").get(0).get("detection").asInt()).isEqualTo(1);
                    if (id.equals("maskrcnn")) {
                        assertThat(body.get("detections").get(0).get("mask_pixels").asInt()).isEqualTo(
                                ((Map<?, ?>) ((List<?>) r.toJson().get("detections")).get(0)).get("mask_pixels"));
                    }
                } else if (id.equals("text")) {
                    assertThat(body.get("sequence").get("text").asText()).isEqualTo(r.sequence().text());
                    // one step, by its number, as --step on the command line
                    JsonNode step = JSON.readTree(ViewerServerTest.post(server, scene, "model", id, "step", "2").body());
                    assertThat(step.get("sequence").get("explained_step").asInt()).isEqualTo(2);
                    var bad = ViewerServerTest.post(server, scene, "model", id, "step", "two");
                    assertThat(bad.statusCode()).isEqualTo(400);
                    assertThat(bad.body()).contains("step");
                } else if (id.equals("seg")) {
                    assertThat(body.get("segments").get(0).get("pixel_share").asDouble()).isEqualTo(r.segments().get(0).pixelShare());
                } else if (id.equals("video")) {
                    assertThat(body.get("class").asText()).isEqualTo(r.first().name());
                    assertThat(body.get("warnings").toString()).contains("has 1 frame(s) and the model takes 8");
                    // an animated GIF is a clip of its own frames
                    byte[] gif = Files.readAllBytes(fixturesDir().resolve("video/ball.gif"));
                    JsonNode clip = JSON.readTree(ViewerServerTest.post(server, gif, "model", id).body());
                    assertThat(ResultSchema.problems(clip)).isEmpty();
                    assertThat(clip.get("warnings").toString()).contains("has 10 frame(s)");
                } else {
                    assertThat(body.get("class").asText()).isEqualTo("star");
                }
            }
        }
    }
}
