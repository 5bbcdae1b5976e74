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
        return externalise("weights.bin");
    }

    /** The same, with the data file named {@code location} in the model (the bytes are written to weights.bin). */
    private Path externalise(String location) throws Exception {
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
                        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
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
        assertThatThrownBy(() -> OnnxModel.load(file)).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("weights.bin").hasMessageContaining("missing");
    }

    /** Loading the model is refused with a message holding every one of {@code says}. */
    private static void refused(Path model, String... says) {
        assertThatThrownBy(() -> OnnxModel.load(model)).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("tensor '").satisfies(e -> assertThat(e.getMessage()).contains(says));
    }

    /** The files and folders directly in a folder. */
    private static List<String> listing(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void dataOutsideTheModelsFolderIsRefusedAndNothingIsCreated() throws Exception {
        Path tmpRoot = Path.of(System.getProperty("java.io.tmpdir"));
        List<String> tmpBefore = listing(tmpRoot);
        List<String> hereBefore;
        // ".." climbing out, even to a file that exists there
        Path climbing = externalise("../weights.bin");
        Files.copy(climbing.resolveSibling("weights.bin"), tmp.resolve("weights.bin"));
        hereBefore = listing(tmp);
        refused(climbing, "'../weights.bin'", "..");
        // an absolute path
        Path absolute = externalise(tmp.resolve("weights.bin").toAbsolutePath().toString());
        refused(absolute, "absolute path");
        // a link inside the folder to a file outside it (/etc/passwd, or any other)
        Path linked = externalise("passwd.bin");
        Path outside = Files.exists(Path.of("/etc/passwd")) ? Path.of("/etc/passwd") : tmp.resolve("weights.bin");
        Files.createSymbolicLink(linked.resolveSibling("passwd.bin"), outside);
        refused(linked, "passwd.bin", "outside the model's folder");
        // a link that loops, and one to nothing
        Path looping = externalise("loop.bin");
        Files.createSymbolicLink(looping.resolveSibling("loop.bin"), looping.resolveSibling("loop.bin"));
        refused(looping, "loop.bin", "symbolic link");
        // the model file itself, a folder, a truncated file
        refused(externalise("model.onnx"), "model file itself");
        Path folder = externalise("sub");
        Files.createDirectories(folder.resolveSibling("sub"));
        refused(folder, "not a regular file");
        Path cut = externalise("weights.bin");
        try (var ch = java.nio.channels.FileChannel.open(cut.resolveSibling("weights.bin"), java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        refused(cut, "truncated");
        // nothing was created beside the model's folder, nor in the temporary folder
        assertThat(listing(tmp)).isEqualTo(hereBefore);
        assertThat(listing(tmpRoot).stream().filter(n -> n.startsWith("xgradcam")).toList())
                .isEqualTo(tmpBefore.stream().filter(n -> n.startsWith("xgradcam")).toList());
    }

    @Test
    void aLinkInsideTheFolderAndASubfolderAreRead() throws Exception {
        Path file = externalise("data/w.bin");
        Files.createDirectories(file.resolveSibling("data"));
        Files.move(file.resolveSibling("weights.bin"), file.resolveSibling("store.bin"));
        Files.createSymbolicLink(file.resolveSibling("data").resolve("w.bin"), file.resolveSibling("store.bin"));
        OnnxModel model = OnnxModel.load(file);
        Graph graph = new Graph(model);
        FloatTensor x = Npy.read(Fixtures.resource("torchvision/resnet/input.npy"));
        ModelShapes shapes = ModelShapes.of(graph, x.shape());
        try (var s = new org.xgradcam.runtime.ForwardSession(model, graph.inputs().get(0), RuntimeOptions.cpu())) {
            assertThat(Fixtures.relativeError(s.run(x).get(graph.outputs().get(0)),
                    Npy.read(Fixtures.resource("torchvision/resnet/logits.npy")))).isLessThan(1e-5);
        }
        assertThat(shapes.shape(graph.outputs().get(0))).containsExactly(1, 10);
    }

    @Test
    void valuesStoredTwiceAreRefused() throws Exception {
        ModelProto m = OnnxModel.load(Fixtures.resource("torchvision/resnet/model.onnx")).proto();
        GraphProto.Builder g = m.getGraph().toBuilder();
        g.setInitializer(0, g.getInitializer(0).toBuilder().addFloatData(1f));
        Path file = tmp.resolve("twice.onnx");
        Files.write(file, m.toBuilder().setGraph(g).build().toByteArray());
        assertThatThrownBy(() -> OnnxModel.load(file)).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("raw_data and float_data").hasMessageContaining(g.getInitializer(0).getName());
    }
}
