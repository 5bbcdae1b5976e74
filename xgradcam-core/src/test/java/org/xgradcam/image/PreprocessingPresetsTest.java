package org.xgradcam.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        return new PreprocessingOverrides(name, null, null, null, null, null, false);
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
        assertThat(new PreprocessingOverrides("torchvision", null, "opencv", null, null, null, false).apply(model).describe())
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
}
