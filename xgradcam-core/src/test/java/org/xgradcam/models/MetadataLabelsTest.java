package org.xgradcam.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xgradcam.testing.TestGraph;

/** Class names a model carries in its metadata (as Ultralytics exports write them) name its classes. */
class MetadataLabelsTest {
    private static OnnxModel classifier(int classes, String key, String value) {
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 3, 8, 8);
        String pooled = g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(x))));
        OnnxModel m = g.build(g.node("Gemm", List.of(pooled, g.random(new Random(1), 1f, classes, 3)),
                org.xgradcam.onnx.Attributes.ofInt("transB", 1)));
        return m.withProto(m.proto().toBuilder().addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value)).build());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "names|{0: 'person', 1: 'bicycle', 2: 'car'}|car",
        "names|{\"0\": \"person\", \"1\": \"bicycle\", \"2\": \"car\"}|car",
        "labels|['person', 'bicycle', 'car']|car",
        "classes|person,bicycle, car|car"})
    void namesFromMetadata(String key, String value, String third) {
        assertThat(ModelSpec.guessLabels(classifier(3, key, value)).name(2)).isEqualTo(third);
    }

    @org.junit.jupiter.api.Test
    void oneNamePerLine() {
        assertThat(ModelSpec.guessLabels(classifier(3, "class_names", "person\nbicycle\ncar\n")).name(2)).isEqualTo("car");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "names|{0: 'person', 1: 'bicycle'}",        // two names for three classes
        "names|{1: 'person', 2: 'bicycle', 3: 'car'}", // not numbered from 0
        "author|{0: 'a', 1: 'b', 2: 'c'}"})          // not a names key
    void metadataThatDoesNotNameTheClassesIsIgnored(String key, String value) {
        assertThat(ModelSpec.guessLabels(classifier(3, key, value)).name(2)).isEqualTo("class 2");
    }
}
