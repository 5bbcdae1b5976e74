package org.xgradcam.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.onnx.proto.OnnxProto.TensorShapeProto;
import org.xgradcam.testing.TestGraph;

/** Labels guessed from the declared output shape: ImageNet classifiers, COCO detection heads, numbers otherwise. */
class GuessedLabelsTest {
    /** An Identity model whose output declares the given shape (-1: a symbolic dimension). */
    private static OnnxModel declaring(long... shape) {
        TestGraph g = new TestGraph(13);
        String x = g.input("input", 1, 3, 8, 8);
        OnnxModel m = g.build(g.node("Identity", List.of(x)));
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : shape) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("n")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        var proto = m.proto().toBuilder();
        proto.getGraphBuilder().getOutputBuilder(0).getTypeBuilder().getTensorTypeBuilder().setShape(s);
        return new OnnxModel(proto.build(), null, "test model");
    }

    @Test
    void classifiersAndDetectionHeadsGetTheirDatasetsNames() {
        assertThat(ModelSpec.guessLabels(declaring(1, 1000)).name(207)).isEqualTo("golden retriever");
        assertThat(ModelSpec.guessLabels(declaring(-1, 1000)).lines()).hasSize(1000);
        // YOLOv8-style [1, 4+80, anchors] and YOLOv5-style [1, anchors, 5+80]
        Labels v8 = ModelSpec.guessLabels(declaring(1, 84, 8400));
        Labels v5 = ModelSpec.guessLabels(declaring(1, 25200, 85));
        assertThat(v8.lines()).hasSize(80).isEqualTo(v5.lines());
        assertThat(v8.name(0)).isEqualTo("person");
        assertThat(v8.name(16)).isEqualTo("dog");
        assertThat(v8.name(79)).isEqualTo("toothbrush");
        assertThat(ModelSpec.classCount(declaring(1, 84, 8400))).isEqualTo(80);
        assertThat(ModelSpec.classCount(declaring(1, 25200, 85))).isEqualTo(80);
    }

    @Test
    void ownLabelsMustNameEveryClass() {
        ModelSpec spec = ModelSpec.of(declaring(1, 3), "three");
        assertThat(spec.withLabels(new Labels(List.of("a", "b", "c")), "my labels").labels().name(2)).isEqualTo("c");
        assertThatThrownBy(() -> spec.withLabels(new Labels(List.of("a", "b")), "my labels"))
                .isInstanceOf(org.xgradcam.XGradCamException.class).hasMessageContaining("my labels has 2 names")
                .hasMessageContaining("3 classes");
        // a model that does not say how many classes it scores takes any labels
        assertThat(ModelSpec.of(declaring(1, -1), "open").withLabels(new Labels(List.of("a")), "x").labels().lines()).hasSize(1);
    }

    @Test
    void otherShapesAreNumbered() {
        assertThat(ModelSpec.guessLabels(declaring(1, 10)).lines()).isEmpty();
        assertThat(ModelSpec.guessLabels(declaring(1, 1000, 7)).lines()).isEmpty(); // 1000 anchors of 2 classes
        assertThat(ModelSpec.guessLabels(declaring(1, 84, -1)).lines()).isEmpty(); // anchors unknown: layout unsure
        assertThat(ModelSpec.guessLabels(declaring(1, 1000, 7, 7)).lines()).isEmpty(); // a segmenter
        assertThat(ModelSpec.guessLabels(declaring()).lines()).isEmpty();
        assertThat(ModelSpec.classCount(declaring(1, 1000, 7, 7))).isEqualTo(-1);
        assertThat(ModelSpec.classCount(declaring(1, 10))).isEqualTo(10);
    }
}
