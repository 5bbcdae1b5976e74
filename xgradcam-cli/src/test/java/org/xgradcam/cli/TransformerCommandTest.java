package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;

/** Transformers through the command line: a token or channels-last layer by its ONNX or torch name, raw arrays as C x H x W. */
class TransformerCommandTest {
    @TempDir
    Path tmp;

    private static final Path FIXTURES = Path.of("..", "xgradcam-core", "src", "test", "resources", "transformers");

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"vit_op13, encoder.layers.encoder_layer_1.ln_1", "deit_op17, /encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0",
            "swin_op17, features.3.1.norm2", "swinv2_op17, features.3.1.norm2"})
    void rawArraysAreTheLayerSeenAsAMap(String name, String layer) throws Exception {
        Path dir = FIXTURES.resolve(name);
        FloatTensor input = Npy.read(dir.resolve("input.npy"));
        Path x = tmp.resolve("x.npy");
        Npy.write(x, input.row(0).reshape(1, 3, 32, 32));
        Path out = tmp.resolve("out");
        CliRunner.Result r = CliRunner.run("--model", dir.resolve("model.onnx").toString(), "--input-tensor", x.toString(),
                "--layer", layer, "--save-raw", "--json", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        FloatTensor act = Npy.read(out.resolve("activations.npy"));
        FloatTensor want = Npy.read(dir.resolve("act_0.npy")).row(0);
        assertThat(act.shape()).containsExactly(want.shape());
        assertThat(org.xgradcam.testing.Fixtures.relativeError(act, want)).isLessThan(1e-4);
        assertThat(Npy.read(out.resolve("gradients.npy")).shape()).containsExactly(want.shape());
        assertThat(Npy.read(out.resolve("xgradcam_cam_lowres.npy")).shape()).containsExactly(want.shape()[1], want.shape()[2]);
        assertThat(out.resolve("X_cam.jpg")).exists();
    }
}
