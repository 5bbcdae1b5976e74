package org.xgradcam.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.Target;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.io.Npy;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * A text recogniser shaped like PaddleOCR's (tools/fixtures/export_sequence.py): its [N, T, C]
 * output is read as a sequence, not as a detection head; its attention's q/k/v axis, which a
 * transpose puts before the batch, is gathered without complaint; gradients at a batch of 2
 * equal torch autograd's.
 */
class SequenceModelTest {
    private static final Path DIR = resource();
    private static final String FEATURES = "/conv/conv.7/Relu_output_0";
    private static final String TOKENS = "/attention/Add_output_0";

    private static Path resource() {
        try {
            return Fixtures.resource("sequence");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void gradientsAtABatchOfTwoEqualTorchThroughTheTransposedBatchAxis() throws Exception {
        FloatTensor x = Npy.read(DIR.resolve("input.npy"));
        try (Explainer e = Explainer.open(OnnxModel.load(DIR.resolve("model.onnx")),
                Explainer.Options.defaults().withInputShape(x.shape()))) {
            assertThat(Fixtures.relativeError(e.logits(x), Npy.read(DIR.resolve("logits.npy")))).isLessThanOrEqualTo(1e-5);
            float[] w = Npy.read(DIR.resolve("weights.npy")).data();
            List<Explanation> ex = e.explain(x, Explainer.Request.of(Methods.byName("gradcam"))
                    .withLayers(List.of(FEATURES, TOKENS)).withTarget(Target.scoreWeights(w, 1)));
            FloatTensor featuresAct = FloatTensor.stack(ex.stream().map(r -> r.layers().get(0).activations()).toList());
            FloatTensor featuresGrad = FloatTensor.stack(ex.stream().map(r -> r.layers().get(0).gradients()).toList());
            assertThat(Fixtures.relativeError(featuresAct, Npy.read(DIR.resolve("features_act.npy")))).isLessThanOrEqualTo(1e-5);
            assertThat(Fixtures.relativeError(featuresGrad, Npy.read(DIR.resolve("features_grad.npy")))).isLessThanOrEqualTo(1e-4);
            // the tokens [N, T, C] are a 1 x T row of the sequence: [N, C, 1, T] here
            FloatTensor tokensGrad = FloatTensor.stack(ex.stream().map(r -> r.layers().get(1).gradients()).toList());
            assertThat(Fixtures.relativeError(tokensGrad, asRow(Npy.read(DIR.resolve("tokens_grad.npy")))))
                    .isLessThanOrEqualTo(1e-4);
        }
    }

    /** [N, T, C] as [N, C, 1, T]. */
    private static FloatTensor asRow(FloatTensor tokens) {
        int n = tokens.dim(0);
        int t = tokens.dim(1);
        int c = tokens.dim(2);
        float[] out = new float[n * t * c];
        for (int r = 0; r < n; r++) {
            for (int s = 0; s < t; s++) {
                for (int k = 0; k < c; k++) {
                    out[(r * c + k) * t + s] = tokens.data()[(r * t + s) * c + k];
                }
            }
        }
        return new FloatTensor(new long[] {n, c, 1, t}, out);
    }

    private static Pipeline open() throws Exception {
        ModelSpec spec = ModelSpec.ofFile(DIR.resolve("model.onnx"));
        Preprocessing pre = spec.preprocessing().withSize(64, 16);
        return Pipeline.open(spec, pre, Explainer.Options.defaults());
    }

    @Test
    void aSequenceIsDecodedAndExplainedAsAWholeOrByStepWithNoDetections() throws Exception {
        FloatTensor x = Npy.read(DIR.resolve("input.npy")).row(0);
        float[] logits = Npy.read(DIR.resolve("logits.npy")).row(0).data();
        try (Pipeline p = open()) {
            assertThat(p.kind()).isEqualTo(ModelKind.SEQUENCE);
            var tokens = p.explainer().layers().resolve(TOKENS).view();
            assertThat(new int[] {tokens.prefixTokens(), tokens.height(), tokens.width()}).as("the steps as a row")
                    .containsExactly(0, 1, 16);
            Result r = p.explain(p.prepare(x, "row0"), p.plan(Request.defaults().withMethods(Request.methods(List.of("gradcam")))));
            assertThat(r.kind()).isEqualTo(ModelKind.SEQUENCE);
            assertThat(r.detections()).isEmpty();
            // greedy CTC by hand: each step's best class, repeats merged, the blank 0 dropped
            StringBuilder expected = new StringBuilder();
            int previous = -1;
            double score = 0;
            for (int t = 0; t < 16; t++) {
                int best = 0;
                for (int c = 1; c < 12; c++) {
                    best = logits[t * 12 + c] > logits[t * 12 + best] ? c : best;
                }
                if (best != 0 && best != previous) {
                    expected.append('[').append(best).append(']');
                }
                score += best != 0 ? logits[t * 12 + best] : 0;
                previous = best;
            }
            assertThat(r.sequence().text()).isEqualTo(expected.toString()).isNotEmpty();
            assertThat(r.first().score()).as("the sum of the non-blank steps' best logits").isCloseTo(score,
                    org.assertj.core.data.Offset.offset(1e-3));
            Map<String, Object> json = r.toJson();
            assertThat(json).containsEntry("kind", "sequence").doesNotContainKey("detections").containsKey("sequence");

            Result step = p.explain(p.prepare(x, "row0"), p.plan(Request.defaults().withStep(3)));
            assertThat(step.sequence().step()).isEqualTo(3);
            int best3 = 0;
            for (int c = 1; c < 12; c++) {
                best3 = logits[3 * 12 + c] > logits[3 * 12 + best3] ? c : best3;
            }
            assertThat(step.first().classIndex()).isEqualTo(best3);
            assertThat(step.first().score()).isCloseTo(logits[3 * 12 + best3], org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    /**
     * The model's width is free and nothing names its preprocessing: each image keeps its aspect
     * ratio (height 16 as the model has it, width from the image, rounded to the graph's stride
     * of 4), and the sequence is as long as the image is wide.
     */
    @Test
    void aModelOfFreeWidthTakesEachImageAtItsOwnWidth() throws Exception {
        ModelSpec spec = ModelSpec.ofFile(DIR.resolve("model.onnx"));
        try (Pipeline p = Pipeline.open(spec)) {
            assertThat(p.imageSized()).isTrue();
            for (int[] wh : new int[][] {{101, 16}, {50, 8}, {400, 32}}) {
                org.xgradcam.image.RgbImage img = new org.xgradcam.image.RgbImage(wh[0], wh[1], new byte[wh[0] * wh[1] * 3]);
                Prepared prepared = p.prepare(img, "blank");
                int w = (int) Math.round(16.0 * wh[0] / wh[1] / 4) * 4;
                assertThat(prepared.x().shape()).containsExactly(1, 3, 16, w);
                Result r = p.explain(prepared, p.plan(Request.defaults().withStep(w / 4 - 1)));
                assertThat(r.sequence().step()).isEqualTo(w / 4 - 1);
                assertThat(r.toJson().get("preprocessing")).asString().contains("width=" + w);
                assertThat(r.first().explanation().result("gradcam").map().shape()).containsExactly(16, w);
            }
        }
        // an input size asked for is kept
        try (Pipeline p = Pipeline.open(spec, spec.preprocessing().withSize(64, 16), Explainer.Options.defaults(),
                Pipeline.Sizing.of(spec, new org.xgradcam.image.PreprocessingOverrides(null, "16x64", null, null, null, null,
                        null, false)))) {
            assertThat(p.imageSized()).isFalse();
            Prepared prepared = p.prepare(new org.xgradcam.image.RgbImage(101, 16, new byte[101 * 16 * 3]), "blank");
            assertThat(prepared.x().shape()).containsExactly(1, 3, 16, 64);
        }
    }

    @Test
    void sequenceOnlyOptionsAreRefusedElsewhereAndClassOptionsHere() throws Exception {
        try (Pipeline p = open()) {
            assertThatThrownBy(() -> p.plan(Request.defaults().withTopK(3))).isInstanceOf(XGradCamException.class)
                    .hasMessageContaining("sequence model").hasMessageContaining("--step");
            FloatTensor x = Npy.read(DIR.resolve("input.npy")).row(0);
            assertThatThrownBy(() -> p.explain(p.prepare(x, "row0"), p.plan(Request.defaults().withStep(16))))
                    .isInstanceOf(XGradCamException.class).hasMessageContaining("16 steps (0..15)");
        }
        Path classifier = Fixtures.resource("torchvision/vgg/model.onnx");
        try (Pipeline p = Pipeline.open(ModelSpec.ofFile(classifier), Preprocessing.seed().withSize(32, 32),
                Explainer.Options.defaults())) {
            assertThatThrownBy(() -> p.plan(Request.defaults().withStep(0))).isInstanceOf(XGradCamException.class)
                    .hasMessageContaining("--step is for sequence models");
        }
    }
}
