package org.xgradcam.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.cam.Explainer;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.onnx.LayerCatalog;
import org.xgradcam.testing.Fixtures;

/**
 * The ONNX Model Zoo's int8 MobileNetV2 as published (QOperator: QLinearConv, com.microsoft
 * QLinearAdd and QLinearGlobalAveragePool, QLinearMatMul), from ../shared: explained as shipped
 * at its inner layers, and against the exact float dequantization of the same weights.
 */
class ZooInt8Test {
    static Pipeline open(String file) {
        ModelSpec spec = ModelSpec.ofFile(Fixtures.shared("models/" + file));
        Preprocessing pre = spec.preprocessing().withResize(Preprocessing.ResizeMode.CENTER_CROP)
                .withInterpolation(Preprocessing.Interpolation.PIL);
        return Pipeline.open(spec, pre, Explainer.Options.defaults());
    }

    static byte[] photo(String name) throws Exception {
        return Files.readAllBytes(Fixtures.shared("images/" + name));
    }

    @Test
    void itsLayersAreTheQLinearOpsOutputsAndTheDefaultIsTheLastFeatureMap() {
        try (Pipeline p = open("mobilenetv2-12-int8.onnx")) {
            LayerCatalog layers = p.explainer().layers();
            LayerCatalog.Layer def = layers.requireDefault();
            assertThat(def.tensor()).isEqualTo("627_quantized");
            assertThat(def.opType()).isEqualTo("QLinearConv");
            assertThat(def.shape()).containsExactly(1, 1280, 7, 7);
            assertThat(layers.typeOf(def.tensor())).isEqualTo("uint8 (QOperator)");
            assertThat(layers.layers().stream().filter(l -> l.opType().equals("QLinearAdd"))).hasSize(10);
        }
    }

    /** Early, middle and last: each a map of its own, from the model's own uint8 forward. */
    @Test
    void itIsExplainedAtItsInnerLayers() throws Exception {
        try (Pipeline p = open("mobilenetv2-12-int8.onnx")) {
            List<LayerCatalog.Layer> all = p.explainer().layers().layers().stream()
                    .filter(l -> p.explainer().layers().gradientReaches(l.tensor()) && l.shape()[2] > 1).toList();
            List<LayerCatalog.Layer> picked = List.of(all.get(2), all.get(all.size() / 2), all.get(all.size() - 1));
            Prepared in = p.prepare(photo("dog.jpg"), "dog", false, ImageLoader.MAX_PIXELS);
            for (LayerCatalog.Layer l : picked) {
                Result r = p.explain(in, p.plan(Request.defaults().withLayers(List.of(l.tensor())).withPictures(false, null, false, false)));
                assertThat(r.layers()).containsExactly(l.tensor());
                for (String m : List.of("gradcam", "xgradcam")) {
                    float[] map = r.first().explanation().result(m).map().data();
                    double min = Double.MAX_VALUE;
                    double max = -Double.MAX_VALUE;
                    for (float v : map) {
                        assertThat(Float.isFinite(v)).isTrue();
                        min = Math.min(min, v);
                        max = Math.max(max, v);
                    }
                    assertThat(max - min).as("%s at %s", m, l.tensor()).isGreaterThan(0.5);
                }
            }
        }
    }

    /**
     * The int8 model against its exact float dequantization. Measured on these photos: the same
     * top class, scores r = 0.982 to 0.985, maps r = 0.970 to 0.999 at the last feature maps.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dog.jpg", "eagle.jpg", "giraffe.jpg"})
    void itLooksWhereItsFloatDequantizationLooks(String image) throws Exception {
        try (Pipeline q = open("mobilenetv2-12-int8.onnx"); Pipeline f = open("mobilenetv2-12-int8-dequant-fp32.onnx")) {
            Comparison c = Comparison.of(q, f, photo(image), image, Request.defaults(), List.of(), ImageLoader.MAX_PIXELS);
            assertThat(c.sameTopClass()).isTrue();
            assertThat(c.scoreCorrelation()).isBetween(0.97, 1.0);
            for (Comparison.Agreement a : c.maps().values()) {
                assertThat(a.pearson()).isGreaterThan(0.95);
            }
        }
    }
}
