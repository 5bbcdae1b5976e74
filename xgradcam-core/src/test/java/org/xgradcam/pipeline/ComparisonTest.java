package org.xgradcam.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xgradcam.XGradCamException;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.testing.Fixtures;

/**
 * A deployed model against its float original (tools/fixtures/export_quantized.py's small CNN):
 * both explain the deployed model's class, and the agreement is measured, not assumed.
 */
class ComparisonTest {
    static Pipeline shipped(String name) {
        return Pipeline.open(ModelSpec.ofFile(Fixtures.resource("shipped/" + name).resolve("model.onnx")));
    }

    static byte[] scene() throws Exception {
        return Files.readAllBytes(Path.of("..", "examples", "star-and-circle.png"));
    }

    @Test
    void aModelAgainstItselfAgreesExactly() throws Exception {
        try (Pipeline a = shipped("float"); Pipeline b = shipped("float")) {
            Comparison c = Comparison.of(a, b, scene(), "scene", Request.defaults(), List.of(), ImageLoader.MAX_PIXELS);
            assertThat(c.sameTopClass()).isTrue();
            assertThat(c.scoreCorrelation()).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(c.maps()).containsOnlyKeys("gradcam", "xgradcam");
            for (Comparison.Agreement m : c.maps().values()) {
                assertThat(m.pearson()).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
                assertThat(m.meanAbsoluteDifference()).isZero();
            }
            assertThat(c.toJson()).containsKeys("image", "class", "same_top_class", "score_correlation", "maps", "deployed",
                    "reference");
        }
    }

    /**
     * The QOperator model (its forward in uint8, gradients by the straight-through estimator)
     * against its float original. Measured: scores r = 0.9999, maps r = 0.996 (Grad-CAM and
     * XGrad-CAM); the bounds leave room for another ONNX Runtime's rounding, not for a wrong map.
     */
    @Test
    void theQuantizedModelLooksWhereItsFloatOriginalDoes() throws Exception {
        try (Pipeline q = shipped("qoperator"); Pipeline f = shipped("float")) {
            Comparison c = Comparison.of(q, f, scene(), "scene", Request.defaults(), List.of(), ImageLoader.MAX_PIXELS);
            assertThat(c.deployed().first().classIndex()).isEqualTo(c.reference().first().classIndex());
            assertThat(c.sameTopClass()).isTrue();
            assertThat(c.scoreCorrelation()).isGreaterThan(0.999);
            for (Comparison.Agreement m : c.maps().values()) {
                assertThat(m.pearson()).isGreaterThan(0.98).isLessThan(1.0);
                assertThat(m.meanAbsoluteDifference()).isPositive();
            }
            assertThat(c.figure().width()).isGreaterThan(6 * 32);
        }
    }

    @Test
    void aTargetClassIsExplainedByBoth() throws Exception {
        try (Pipeline q = shipped("fp16"); Pipeline f = shipped("float")) {
            Comparison c = Comparison.of(q, f, scene(), "scene", Request.defaults().withTarget("7"), List.of(),
                    ImageLoader.MAX_PIXELS);
            assertThat(c.deployed().first().classIndex()).isEqualTo(7);
            assertThat(c.reference().first().classIndex()).isEqualTo(7);
        }
    }

    @Test
    void modelsThatCannotBeComparedAreRefusedWithTheReason() throws Exception {
        try (Pipeline det = Pipeline.open(ModelSpec.demoDetector()); Pipeline f = shipped("float")) {
            assertThatThrownBy(() -> Comparison.of(det, f, scene(), "scene", Request.defaults(), List.of(), ImageLoader.MAX_PIXELS))
                    .isInstanceOf(XGradCamException.class).hasMessageContaining("classifiers and segmenters");
        }
        try (Pipeline demo = Pipeline.open(ModelSpec.demo()); Pipeline f = shipped("float")) {
            assertThatThrownBy(() -> Comparison.of(demo, f, scene(), "scene", Request.defaults(), List.of(), ImageLoader.MAX_PIXELS))
                    .isInstanceOf(XGradCamException.class).hasMessageContaining("inputs of different sizes");
        }
    }
}
