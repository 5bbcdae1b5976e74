package org.xgradcam.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.XGradCamException;
import org.xgradcam.autodiff.GradientBuilder;
import org.xgradcam.autodiff.GradientRequest;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.ModelProto;
import org.xgradcam.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * Models whose weights live in an external data file (the format's way past protobuf's 2 GB):
 * the graph is read from the small .onnx file, the weights stay in the data file, and the
 * augmented model still finds them.
 */
class ExternalDataTest {
    @TempDir
    Path tmp;

    /** The ResNet fixture rewritten with every initializer in weights.bin, as onnx.save_model does. */
    private Path externalise() throws Exception {
        ModelProto m = OnnxModel.load(Fixtures.resource("torchvision/resnet/model.onnx")).proto();
        GraphProto.Builder g = m.getGraph().toBuilder();
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        long offset = 0;
        try (OutputStream data = Files.newOutputStream(dir.resolve("weights.bin"))) {
            for (int i = 0; i < g.getInitializerCount(); i++) {
                TensorProto t = g.getInitializer(i);
                if (!t.hasRawData()) {
                    continue;
                }
                byte[] raw = t.getRawData().toByteArray();
                data.write(raw);
                g.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))
                        .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)))
                        .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Integer.toString(raw.length))));
                offset += raw.length;
            }
        }
        Path file = dir.resolve("model.onnx");
        Files.write(file, m.toBuilder().setGraph(g).build().toByteArray());
        return file;
    }

    @Test
    void gradientsOfAModelWithExternalWeights() throws Exception {
        Path file = externalise();
        assertThat(Files.size(file)).isLessThan(Files.size(file.resolveSibling("weights.bin")));
        OnnxModel model = OnnxModel.load(file);
        assertThat(model.usesExternalData()).isTrue();
        Graph graph = new Graph(model);
        FloatTensor x = Npy.read(Fixtures.resource("torchvision/resnet/input.npy"));
        ModelShapes shapes = ModelShapes.of(graph, x.shape());
        String layer = LayerCatalog.of(graph, shapes).requireDefault().tensor();
        try (GradientSession s = new GradientSession(GradientBuilder.build(graph, shapes,
                GradientRequest.of(List.of(layer), "logits")), RuntimeOptions.cpu())) {
            var r = s.run(x, GradientSession.Seed.of(Npy.read(Fixtures.resource("torchvision/resnet/seed.npy"))));
            assertThat(Fixtures.relativeError(r.score(), Npy.read(Fixtures.resource("torchvision/resnet/logits.npy"))))
                    .isLessThan(1e-5);
            assertThat(Fixtures.relativeError(r.gradient(layer), Npy.read(Fixtures.resource("torchvision/resnet/grad_2.npy"))))
                    .isLessThan(1e-4);
        }
    }

    @Test
    void aMissingDataFileIsNamed() throws Exception {
        Path file = externalise();
        Files.delete(file.resolveSibling("weights.bin"));
        OnnxModel model = OnnxModel.load(file);
        assertThatThrownBy(() -> ModelShapes.of(new Graph(model), null)).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("weights.bin");
    }
}
