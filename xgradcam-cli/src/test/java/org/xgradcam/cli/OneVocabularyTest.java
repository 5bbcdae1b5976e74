package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.io.Npy;
import org.xgradcam.models.ModelCache;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.pipeline.Pipeline;
import org.xgradcam.pipeline.Request;
import org.xgradcam.pipeline.Result;
import org.xgradcam.testing.KindsOfModels;
import org.xgradcam.testing.ResultSchema;

/**
 * The command line renders the core pipeline's result and nothing else: for a classifier, the
 * demo detector, a segmenter, a text recogniser (a sequence) and Mask R-CNN, its --json line conforms to the result schema and says what the
 * pipeline says (class_index, class, score, detections), and the maps it writes are the
 * pipeline's to the last bit. The API and Spark are held to the same pipeline in their modules.
 */
class OneVocabularyTest {
    @TempDir
    Path tmp;

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyKindIsThePipelinesResult() throws Exception {
        Path scene = Path.of("..", "examples", "star-and-circle.png");
        Path fixtures = Path.of("..", "xgradcam-core", "src", "test", "resources");
        for (String model : List.of("shapes", "shapes-detector", KindsOfModels.segmenter(tmp).toString(),
                fixtures.resolve("sequence/model.onnx").toString(), fixtures.resolve("detectors/maskrcnn/model.onnx").toString())) {
            Path out = tmp.resolve("out" + model.hashCode());
            CliRunner.Result run = CliRunner.run("--image-path", scene.toString(), "--model", model, "--method", "gradcam,xgradcam",
                    "--json", "--save-raw", "--no-figure", "--output-dir", out.toString());
            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode line = JSON.readTree(run.out().strip());
            assertThat(ResultSchema.problems(line)).as(line.toString()).isEmpty();
            try (Pipeline p = Pipeline.open(ModelSpec.resolve(model, new ModelCache()))) {
                Result r = p.explain(p.prepare(Files.readAllBytes(scene), "scene", false, ImageLoader.MAX_PIXELS),
                        p.plan(Request.defaults()));
                assertThat(line.get("kind").asText()).isEqualTo(r.kind().id());
                assertThat(line.get("layer").asText()).isEqualTo(r.layers().get(0));
                for (int i = 0; i < r.explained().size(); i++) {
                    Result.Explained want = r.explained().get(i);
                    Path dir = want.detection() != null ? out.resolve("box-" + want.detection()) : out;
                    if (want.detection() == null && want.classIndex() < 0) {
                        // a sequence's text explained as a whole: the text, no class index
                        assertThat(line.has("class_index")).isFalse();
                        assertThat(line.get("class").asText()).isEqualTo(want.name()).isEqualTo(r.sequence().text());
                        assertThat(line.get("sequence").get("text").asText()).isEqualTo(r.sequence().text());
                    } else if (want.detection() == null) {
                        assertThat(line.get("class_index").asInt()).isEqualTo(want.classIndex());
                        assertThat(line.get("class").asText()).isEqualTo(want.name());
                        assertThat(line.get("score").asDouble()).isEqualTo(want.score());
                    } else {
                        JsonNode d = line.get("detections").get(want.detection());
                        assertThat(d.get("class_index").asInt()).isEqualTo(want.classIndex());
                        assertThat(d.get("class").asText()).isEqualTo(want.name());
                        assertThat(d.get("outputs").asText()).isEqualTo(dir.toString());
                        Object masks = ((java.util.Map<?, ?>) ((List<?>) r.toJson().get("detections")).get(want.detection()))
                                .get("mask_pixels");
                        if (masks != null) {
                            assertThat(d.get("mask_pixels").asInt()).isEqualTo(masks);
                        }
                    }
                    for (String m : List.of("gradcam", "xgradcam")) {
                        assertThat(Npy.read(dir.resolve(m + "_cam_lowres_signed.npy")).data())
                                .containsExactly(want.explanation().result(m).layers().get(0).raw().data());
                    }
                }
            }
        }
    }
}
