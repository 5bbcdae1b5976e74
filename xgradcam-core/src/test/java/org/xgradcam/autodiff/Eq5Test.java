package org.xgradcam.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.io.Npy;
import org.xgradcam.metrics.ScoreDecomposition;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Engines;
import org.xgradcam.testing.Fixtures;

/**
 * Eq. (5) of the paper on ReLU networks: S = sum(A * dS/dA) + sum(b * dS/db) over the biases
 * after the layer. VGG-style without and with (folded) BN, and ResNet (residual adds), at every
 * 4-D layer, for several classes and both batch rows.
 */
class Eq5Test {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vgg", "vgg_bn", "resnet"})
    void scoreIsFeatureTermPlusBiasTerm(String name) throws Exception {
        Path dir = Fixtures.resource("torchvision/" + name);
        Engines e = Engines.load(dir.resolve("model.onnx"));
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        int checked = 0;
        int withBias = 0;
        for (var layer : e.catalog().layers()) {
            if (!e.catalog().isCut(layer.tensor())) {
                continue; // inside a residual block the skip path bypasses the layer: Eq. 5 needs a cut
            }
            AugmentedModel aug = e.augment(GradientRequest.of(List.of(layer.tensor()), "logits").withBiasGradients());
            assertThat(aug.biasTerms()).as("biases after %s", layer.tensor()).isNotEmpty();
            try (GradientSession s = new GradientSession(aug, RuntimeOptions.cpu())) {
                for (int cls : new int[] {0, 3, 7}) {
                    GradientResult r = s.run(x, GradientSession.Seed.classes(new int[] {cls, cls}, 10));
                    float[] seed = new float[10];
                    seed[cls] = 1;
                    for (int row = 0; row < 2; row++) {
                        ScoreDecomposition d = ScoreDecomposition.of(aug, r, layer.tensor(), row, seed);
                        withBias += Math.abs(d.biasTerm()) > 1e-3 * Math.abs(d.score()) ? 1 : 0;
                        assertThat(Math.abs(d.residual())).as("residual at %s class %d: %s", layer.tensor(), cls, d)
                                .isLessThanOrEqualTo(1e-4 * Math.abs(d.score()) + 1e-6);
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(6);
        assertThat(withBias).as("checks with a non-trivial bias term").isGreaterThan(checked / 2);
    }

    /** ReLU6 networks: saturated Clip units count as bias terms of their own, and Eq. 5 closes. */
    @Test
    void holdsOnRealMobileNetV2WithSaturationTerms() {
        Engines e = Engines.load(Fixtures.shared("models/mobilenetv2-12-int8-dequant-fp32.onnx"));
        FloatTensor x = Npy.read(Fixtures.shared("expected/mobilenetv2-12-int8-dequant-fp32/ILSVRC2012_val_00000077_input.npy"));
        var cuts = e.catalog().layers().stream().filter(l -> e.catalog().isCut(l.tensor())).toList();
        String layer = cuts.get(cuts.size() / 2).tensor();
        AugmentedModel aug = e.augment(GradientRequest.of(List.of(layer), e.catalog().score()).withBiasGradients());
        assertThat(aug.biasTerms()).anyMatch(BiasTerm::isSaturation);
        try (GradientSession s = new GradientSession(aug, RuntimeOptions.cpu())) {
            float[] seed = new float[1000];
            seed[159] = 1;
            GradientResult r = s.run(x, GradientSession.Seed.classes(new int[] {159}, 1000));
            ScoreDecomposition d = ScoreDecomposition.of(aug, r, layer, 0, seed);
            double saturation = d.biases().stream().filter(c -> c.opType().equals("Clip")).mapToDouble(c -> c.value()).sum();
            System.out.printf("mobilenetv2 at %s: S %.4f, feature %.4f, bias %.4f (of which saturation %.4f), residual %.2e%n",
                    layer, d.score(), d.featureTerm(), d.biasTerm(), saturation, d.residual());
            assertThat(d.relativeResidual()).as("%s", d.score()).isLessThanOrEqualTo(1e-4);
        }
    }

    @Test
    void holdsOnRealSqueezeNet() {
        Engines e = Engines.load(Fixtures.shared("models/squeezenet1.1-7-fp32.onnx"));
        FloatTensor x = Npy.read(Fixtures.shared("expected/squeezenet1.1-7-fp32/chelsea_input.npy"));
        String layer = e.catalog().layers().get(e.catalog().layers().size() / 2).tensor();
        AugmentedModel aug = e.augment(GradientRequest.of(List.of(layer), e.catalog().score()).withBiasGradients());
        try (GradientSession s = new GradientSession(aug, RuntimeOptions.cpu())) {
            float[] seed = new float[1000];
            seed[285] = 1;
            GradientResult r = s.run(x, GradientSession.Seed.classes(new int[] {285}, 1000));
            ScoreDecomposition d = ScoreDecomposition.of(aug, r, layer, 0, seed);
            assertThat(d.score()).isGreaterThan(5);
            assertThat(d.relativeResidual()).as("%s", d).isLessThanOrEqualTo(1e-4);
        }
    }
}
