package org.xgradcam.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.autodiff.GradientBuilder;
import org.xgradcam.autodiff.GradientRequest;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;

/**
 * A model read from a file keeps its weights in the mapped file, not on the heap, and sessions
 * are handed those weights as tensors instead of a serialised copy: the numbers are exactly those
 * of the same model read into memory and serialised whole.
 */
class MappedWeightsTest {
    @TempDir
    static Path tmp;

    /** The demo classifier (1 MB, several convolutions over 16 KB) as a file of its own. */
    private static Path model() throws Exception {
        Path file = tmp.resolve("shapes.onnx");
        if (!Files.exists(file)) {
            try (var in = org.xgradcam.models.ModelSpec.class.getResourceAsStream("demo/shapes.onnx")) {
                Files.write(file, in.readAllBytes());
            }
        }
        return file;
    }

    @Test
    void weightsOfAModelReadFromAFileStayInTheFile() throws Exception {
        OnnxModel model = OnnxModel.load(model());
        long large = 0;
        for (TensorProto t : model.proto().getGraph().getInitializerList()) {
            if (t.getRawData().size() >= OrtSessions.HANDED_OVER_BYTES) {
                assertThat(t.getRawData().asReadOnlyByteBuffer().isDirect()).as(t.getName()).isTrue();
                large++;
            }
        }
        assertThat(large).isGreaterThan(3);
    }

    @Test
    void handedOverWeightsGiveTheNumbersOfASerialisedModel() throws Exception {
        GradientResult mapped = run(OnnxModel.load(model()));
        GradientResult inMemory = run(OnnxModel.fromBytes(Files.readAllBytes(model()), "in memory"));
        assertThat(mapped.score().data()).containsExactly(inMemory.score().data());
        assertThat(mapped.gradients().keySet()).isEqualTo(inMemory.gradients().keySet());
        for (String layer : mapped.gradients().keySet()) {
            assertThat(mapped.gradient(layer).data()).as(layer).containsExactly(inMemory.gradient(layer).data());
        }
        assertThat(mapped.score().data()).isNotEqualTo(new float[mapped.score().data().length]);
    }

    @Test
    void aModelFileRewrittenInPlaceIsRefusedNotReadUnderItsMapping() throws Exception {
        Path file = tmp.resolve("rewritten.onnx");
        Files.copy(model(), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        OnnxModel model = OnnxModel.load(file);
        Files.write(file, Files.readAllBytes(model())); // in place, as onnx.save or cp would
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> run(model))
                .isInstanceOf(org.xgradcam.XGradCamException.class)
                .hasMessageContaining("changed on disk since it was loaded").hasMessageContaining("renaming");
        // loaded again, it runs
        assertThat(run(OnnxModel.load(file)).score().data()).isNotEmpty();
    }

    @Test
    void aLargeWeightWhoseBytesDoNotMatchItsShapeIsAOneLineError() throws Exception {
        var proto = OnnxModel.load(model()).proto();
        var g = proto.getGraph().toBuilder();
        int largest = 0;
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getRawData().size() > g.getInitializer(largest).getRawData().size()) {
                largest = i;
            }
        }
        TensorProto t = g.getInitializer(largest);
        g.setInitializer(largest, t.toBuilder().setDims(0, t.getDims(0) + 1)); // promises more than it holds
        Path file = tmp.resolve("malformed.onnx");
        Files.write(file, proto.toBuilder().setGraph(g).build().toByteArray());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> run(OnnxModel.load(file)))
                .isInstanceOf(org.xgradcam.XGradCamException.class).hasMessageContaining("malformed.onnx");
    }

    private static GradientResult run(OnnxModel model) {
        Graph graph = new Graph(model);
        ModelShapes shapes = ModelShapes.of(graph, null);
        long[] shape = shapes.inputShape();
        float[] v = new float[(int) FloatTensor.numel(shape)];
        java.util.Random rnd = new java.util.Random(3);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        LayerCatalog layers = LayerCatalog.of(graph, shapes);
        String layer = layers.requireDefault().tensor();
        try (GradientSession s = new GradientSession(GradientBuilder.build(graph, shapes,
                GradientRequest.of(List.of(layer), layers.score())), RuntimeOptions.cpu())) {
            return s.run(new FloatTensor(shape, v), GradientSession.Seed.topClass());
        }
    }
}
