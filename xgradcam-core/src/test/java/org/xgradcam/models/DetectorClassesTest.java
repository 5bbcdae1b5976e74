package org.xgradcam.models;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.testing.Fixtures;

/** torchvision detectors' class counts read from their heads (5 in the fixtures), and what names follow. */
class DetectorClassesTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ssd", "retinanet", "fcos", "fasterrcnn"})
    void theHeadsGiveTheClassCount(String name) {
        OnnxModel m = OnnxModel.load(Fixtures.resource("detectors/" + name + "/model.onnx"));
        assertThat(ModelSpec.torchvisionClasses(m)).isEqualTo(5);
        assertThat(ModelSpec.classCount(m)).isEqualTo(5); // not the 4 of its boxes [D, 4]
        // not COCO's 91: numbered classes, and [0, 1] inputs (the graph normalises itself)
        assertThat(ModelSpec.guessLabels(m).name(3)).isEqualTo(Labels.none().name(3));
        assertThat(ModelSpec.guessPreprocessing(m).std()).containsExactly(1f, 1f, 1f);
    }

    @org.junit.jupiter.api.Test
    void cocoNamesInTorchvisionOrder() {
        Labels coco = Labels.resource("coco91");
        assertThat(coco.lines()).hasSize(91);
        assertThat(coco.name(1)).isEqualTo("person");
        assertThat(coco.name(18)).isEqualTo("dog");
        assertThat(coco.name(12)).isEqualTo("N/A");
    }
}
