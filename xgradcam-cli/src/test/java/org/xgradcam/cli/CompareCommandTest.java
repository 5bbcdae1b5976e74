package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * xgradcam compare: a deployed model against its float original (the core's shipped-formats
 * fixtures), and layers telling each map's type as shipped.
 */
class CompareCommandTest {
    static final Path SHIPPED = Path.of("..", "xgradcam-core", "src", "test", "resources", "shipped");
    static final String SCENE = Path.of("..", "examples", "star-and-circle.png").toString();

    @TempDir
    Path tmp;

    static String model(String name) {
        return SHIPPED.resolve(name).resolve("model.onnx").toString();
    }

    @Test
    void writesTheFigureTheComparisonAndTheSummary() throws Exception {
        Path out = tmp.resolve("cmp");
        CliRunner.Result r = CliRunner.run("compare", "--model", model("qoperator"), "--reference", model("float"), SCENE,
                "--output-dir", out.toString(), "--quiet");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(out.resolve("compare.png")).isRegularFile();
        JsonNode one = new ObjectMapper().readTree(out.resolve("comparison.json").toFile());
        assertThat(one.get("same_top_class").asBoolean()).isTrue();
        assertThat(one.get("maps").get("xgradcam").get("pearson").asDouble()).isGreaterThan(0.98);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("images").asInt()).isEqualTo(1);
        assertThat(summary.get("same_top_class").asInt()).isEqualTo(1);
        assertThat(r.out()).contains("same top class").contains("XGrad-CAM maps r=");
    }

    @Test
    void severalImagesGetAFolderEachAndAFailureDoesNotStopTheOthers() throws Exception {
        Path broken = Files.write(tmp.resolve("broken.png"), new byte[] {1, 2, 3});
        Path out = tmp.resolve("cmp");
        CliRunner.Result r = CliRunner.run("compare", "--model", model("fp16"), "--reference", model("float"), SCENE,
                broken.toString(), "--output-dir", out.toString(), "--quiet");
        assertThat(r.exit()).isEqualTo(FolderRun.SOME_FAILED);
        assertThat(r.err()).contains("broken.png").doesNotContain("Exception");
        assertThat(out.resolve("star-and-circle").resolve("compare.png")).isRegularFile();
        assertThat(out.resolve("broken")).doesNotExist();
        assertThat(new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("failed")).hasSize(1);
    }

    @Test
    void modelsThatCannotBeComparedAreRefusedBeforeAnythingIsWritten() {
        Path out = tmp.resolve("cmp");
        CliRunner.Result r = CliRunner.run("compare", "--model", "shapes-detector", "--reference", model("float"), SCENE,
                "--output-dir", out.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("classifiers and segmenters").doesNotContain("Exception");
        CliRunner.Result none = CliRunner.run("compare", "--model", model("fp16"), SCENE);
        assertThat(none.exit()).isNotZero();
        assertThat(none.err()).contains("--reference");
        assertThat(out).doesNotExist();
    }

    @Test
    void layersTellEachMapsTypeAsShipped() {
        assertThat(CliRunner.run("layers", "--model", model("qoperator")).out())
                .containsPattern("conv3_q\\s+QLinearConv\\s+16x8x8\\s+uint8 \\(QOperator\\)");
        assertThat(CliRunner.run("layers", "--model", model("qdq")).out()).contains("uint8 via QDQ");
        assertThat(CliRunner.run("layers", "--model", model("fp16")).out()).containsPattern("\\* \\S+\\s+\\S+\\s+\\S+\\s+fp16");
    }
}
