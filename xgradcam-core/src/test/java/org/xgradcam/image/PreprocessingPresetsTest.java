package org.xgradcam.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xgradcam.XGradCamException;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xgradcam.pipeline.Pipeline;

/**
 * Preprocessing a user can see: the named presets, a model's own metadata, and the note a run
 * gives when neither said anything.
 */
class PreprocessingPresetsTest {
    static PreprocessingOverrides preset(String name) {
        return new PreprocessingOverrides(name, null, null, null, null, null, null, false);
    }

    @Test
    void thePresetsAreTheOriginalToolsAndTorchvisionsAtTheModelsSize() {
        Preprocessing model = Preprocessing.seed().withSize(320, 320).withScale(Preprocessing.Scale.BYTE);
        Map<String, Object> tv = preset("torchvision").apply(model).describe();
        assertThat(tv).containsEntry("resize", "crop").containsEntry("shorter_side", 366).containsEntry("interpolation", "pil")
                .containsEntry("scale", "0-1").containsEntry("width", 320);
        assertThat(preset("torchvision").apply(Preprocessing.seed()).describe()).containsEntry("shorter_side", 256);
        Map<String, Object> original = preset("original").apply(model).describe();
        assertThat(original).containsEntry("resize", "direct").containsEntry("interpolation", "opencv").containsEntry("scale", "0-1");
        // the options after the preset change it further
        assertThat(new PreprocessingOverrides("torchvision", null, null, "opencv", null, null, null, false).apply(model).describe())
                .containsEntry("resize", "crop").containsEntry("interpolation", "opencv");
        assertThatThrownBy(() -> preset("imagenet").validate()).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("original or torchvision");
    }

    static OnnxModel demoWith(String... keyValues) {
        var proto = ModelSpec.demo().model().proto().toBuilder();
        for (int i = 0; i < keyValues.length; i += 2) {
            proto.addMetadataProps(StringStringEntryProto.newBuilder().setKey(keyValues[i]).setValue(keyValues[i + 1]));
        }
        return OnnxModel.fromBytes(proto.build().toByteArray(), "demo with metadata");
    }

    @Test
    void aModelsMetadataNamesItsPreprocessing() {
        ModelSpec spec = ModelSpec.of(demoWith("xgradcam.preprocessing", "torchvision", "xgradcam.channels", "bgr"), "m.onnx");
        assertThat(spec.origin()).isEqualTo(ModelSpec.Origin.METADATA);
        assertThat(spec.preprocessing().describe()).containsEntry("resize", "crop").containsEntry("interpolation", "pil")
                .containsEntry("channels", "bgr").containsEntry("width", 96);
        ModelSpec plain = ModelSpec.of(demoWith(), "m.onnx");
        assertThat(plain.origin()).isEqualTo(ModelSpec.Origin.DEFAULT);
        assertThat(plain.preprocessing().describe()).containsEntry("resize", "direct");
    }

    @Test
    void metadataThatCannotBeUsedIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> ModelSpec.of(demoWith("xgradcam.resize", "squash"), "m.onnx"))
                .isInstanceOf(XGradCamException.class).hasMessageContaining("m.onnx").hasMessageContaining("xgradcam.resize")
                .hasMessageContaining("direct or crop").hasMessageNotContaining("--resize");
        assertThatThrownBy(() -> ModelSpec.of(demoWith("xgradcam.channels", "grb"), "m.onnx"))
                .isInstanceOf(XGradCamException.class).hasMessageContaining("rgb or bgr");
        assertThatThrownBy(() -> ModelSpec.of(demoWith("xgradcam.mean", "1,2"), "m.onnx"))
                .isInstanceOf(XGradCamException.class).hasMessageContaining("xgradcam.mean");
    }

    @Test
    void aRunSaysWhichPreprocessingItGuessedOnlyWhenNothingSaidIt() {
        ModelSpec plain = ModelSpec.of(demoWith(), "m.onnx");
        try (Pipeline p = Pipeline.open(plain)) {
            assertThat(p.notes()).anyMatch(n -> n.contains("original tool's") && n.contains("--preprocessing torchvision"));
        }
        Preprocessing chosen = preset("original").apply(plain.preprocessing());
        try (Pipeline p = Pipeline.open(plain, chosen.withInterpolation(Preprocessing.Interpolation.PIL),
                org.xgradcam.cam.Explainer.Options.defaults())) {
            assertThat(p.notes()).noneMatch(n -> n.contains("--preprocessing"));
        }
        try (Pipeline p = Pipeline.open(ModelSpec.demo());
             Pipeline m = Pipeline.open(ModelSpec.of(demoWith("xgradcam.preprocessing", "original"), "m.onnx"))) {
            assertThat(p.notes()).noneMatch(n -> n.contains("--preprocessing"));
            assertThat(m.notes()).noneMatch(n -> n.contains("--preprocessing"));
        }
    }

    /** A classifier whose height and width are free (conv, ReLU, global pooling, a linear head). */
    static ModelSpec freeSizeClassifier() {
        java.util.Random rnd = new java.util.Random(2);
        org.xgradcam.testing.TestGraph g = new org.xgradcam.testing.TestGraph(13);
        String x = g.input("input", 1, 3, 32, 32);
        String a = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(rnd, 0.5f, 4, 3, 3, 3)),
                org.xgradcam.onnx.Attributes.ofInts("pads", 1, 1, 1, 1))));
        String logits = g.node("Gemm", List.of(g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(a)))),
                g.random(rnd, 0.5f, 3, 4)), org.xgradcam.onnx.Attributes.ofInt("transB", 1));
        var proto = g.build(logits).proto().toBuilder();
        var shape = proto.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
        shape.getDimBuilder(2).clearDimValue().setDimParam("H");
        shape.getDimBuilder(3).clearDimValue().setDimParam("W");
        return ModelSpec.of(OnnxModel.fromBytes(proto.build().toByteArray(), "free"), "free.onnx");
    }

    @Test
    void aModelOfFreeSizeRunsAtTheSizeAskedForAndAFixedOneSaysWhyNot() {
        assertThat(PreprocessingOverrides.size("480x640")).containsExactly(480, 640);
        assertThat(PreprocessingOverrides.size("320")).containsExactly(320, 320);
        for (String bad : List.of("0x64", "64x", "big", "4x4", "64x64x3")) {
            assertThatThrownBy(() -> PreprocessingOverrides.size(bad)).as(bad).isInstanceOf(XGradCamException.class)
                    .hasMessageContaining("--input-size");
        }
        ModelSpec free = freeSizeClassifier();
        assertThat(free.preprocessing().width()).isEqualTo(224); // free: 224 unless asked
        Preprocessing wide = new PreprocessingOverrides(null, "48x80", null, null, null, null, null, false).apply(free.preprocessing());
        try (Pipeline p = Pipeline.open(free, wide, org.xgradcam.cam.Explainer.Options.defaults())) {
            var r = p.explain(p.prepare(new org.xgradcam.tensor.FloatTensor(new long[] {1, 3, 48, 80}, new float[3 * 48 * 80]),
                    "zeros"), p.plan(org.xgradcam.pipeline.Request.defaults().withPictures(false, null, false, false)));
            assertThat(r.first().explanation().result("xgradcam").map().shape()).containsExactly(48, 80);
        }
        ModelSpec fixed = ModelSpec.demo();
        Preprocessing other = new PreprocessingOverrides(null, "64", null, null, null, null, null, false).apply(fixed.preprocessing());
        assertThatThrownBy(() -> Pipeline.open(fixed, other, org.xgradcam.cam.Explainer.Options.defaults()).close())
                .isInstanceOf(XGradCamException.class).hasMessageContaining("--input-size is for models whose height and width are free");
    }
}
