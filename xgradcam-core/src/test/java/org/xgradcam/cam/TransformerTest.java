package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.LayerCatalog;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * Vision transformers exported by tools/fixtures/export_transformers.py (tiny torchvision ViT,
 * DeiT-style with a distillation token, Swin v1 and v2, MaxViT; opsets 13 and 17): token and
 * channels-last layers are seen as C x H x W maps, their activations and gradients equal torch
 * autograd after pytorch-grad-cam's reshape transform, the default layer is the one
 * pytorch-grad-cam's examples use, and the maps equal pytorch-grad-cam's.
 */
class TransformerTest {
    static final double MAX_RELATIVE_ERROR = 1e-4;

    private record Fixture(Path dir, OnnxModel model, List<String> modules, List<String> tensors) {
        static Fixture of(String name) throws Exception {
            Path dir = Fixtures.resource("transformers/" + name);
            List<String> modules = new ArrayList<>();
            List<String> tensors = new ArrayList<>();
            for (String[] l : Fixtures.layers(dir)) {
                modules.add(l[1]);
                tensors.add(l[2]);
            }
            return new Fixture(dir, OnnxModel.load(dir.resolve("model.onnx")), modules, tensors);
        }

        FloatTensor npy(String file) {
            return Npy.read(dir.resolve(file));
        }
    }

    private static FloatTensor stack(List<FloatTensor> rows) {
        long[] s = rows.get(0).shape();
        long[] shape = new long[s.length + 1];
        shape[0] = rows.size();
        System.arraycopy(s, 0, shape, 1, s.length);
        float[] d = new float[rows.size() * rows.get(0).size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i).data(), 0, d, i * rows.get(0).size(), rows.get(0).size());
        }
        return new FloatTensor(shape, d);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vit_op13", "vit_op17", "deit_op13", "deit_op17", "swin_op13", "swin_op17", "swinv2_op13",
        "swinv2_op17", "maxvit_op13", "maxvit_op17"})
    void activationsAndGradientsMatchTorchAfterTheReshape(String name) throws Exception {
        Fixture f = Fixture.of(name);
        FloatTensor x = f.npy("input.npy");
        try (Explainer e = Explainer.open(f.model(), Explainer.Options.defaults())) {
            // each row's seed mixes classes, as the reference's L = sum(seed * logits)
            FloatTensor seed = f.npy("seed.npy");
            List<Explanation> ex = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                Explainer.Request req = new Explainer.Request(List.of(Methods.byName("gradcam")),
                        Target.mix(seed.row(r).data()), f.tensors(), PostProcess.SEED, 0);
                ex.add(e.explain(stack(List.of(x.row(r))), req).get(0));
            }
            float[] logits = new float[2 * ex.get(0).logits().length];
            System.arraycopy(ex.get(0).logits(), 0, logits, 0, ex.get(0).logits().length);
            System.arraycopy(ex.get(1).logits(), 0, logits, ex.get(0).logits().length, ex.get(1).logits().length);
            assertThat(Fixtures.relativeError(new FloatTensor(new long[] {2, logits.length / 2}, logits), f.npy("logits.npy")))
                    .as("logits").isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
            for (int i = 0; i < f.tensors().size(); i++) {
                final int li = i;
                FloatTensor acts = stack(ex.stream().map(r -> r.layers().get(li).activations()).toList());
                FloatTensor grads = stack(ex.stream().map(r -> r.layers().get(li).gradients()).toList());
                assertThat(acts.shape()).as("viewed shape of %s", f.modules().get(i)).containsExactly(f.npy("act_" + i + ".npy").shape());
                assertThat(Fixtures.relativeError(acts, f.npy("act_" + i + ".npy"))).as("activations of %s", f.modules().get(i))
                        .isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
                assertThat(Fixtures.relativeError(grads, f.npy("grad_" + i + ".npy"))).as("gradients at %s", f.modules().get(i))
                        .isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vit_op13", "vit_op17", "deit_op13", "deit_op17", "swin_op13", "swin_op17", "swinv2_op13",
        "swinv2_op17", "maxvit_op13", "maxvit_op17"})
    void theDefaultLayerIsTheRecommendedOneAndTorchModuleNamesFindIt(String name) throws Exception {
        Fixture f = Fixture.of(name);
        try (Explainer e = Explainer.open(f.model(), Explainer.Options.defaults())) {
            LayerCatalog c = e.layers();
            assertThat(c.requireDefault().tensor()).isEqualTo(f.tensors().get(0));
            assertThat(c.resolve(f.modules().get(0)).tensor()).isEqualTo(f.tensors().get(0));
            var view = c.requireDefault().view();
            if (name.startsWith("vit")) {
                assertThat(view.describe()).isEqualTo("tokens 1 + 4x4");
            } else if (name.startsWith("deit")) {
                assertThat(view.describe()).isEqualTo("tokens 2 + 4x4");
            } else if (name.startsWith("swin")) {
                assertThat(view.describe()).isEqualTo("channels-last");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vit_op13", "vit_op17", "deit_op13", "deit_op17", "swin_op13", "swin_op17", "swinv2_op13",
        "swinv2_op17", "maxvit_op13", "maxvit_op17"})
    void mapsEqualPytorchGradCam(String name) throws Exception {
        Fixture f = Fixture.of(name);
        FloatTensor x = f.npy("input.npy");
        float[] cls = f.npy("cam/classes.npy").data();
        try (Explainer e = Explainer.open(f.model(), Explainer.Options.defaults())) {
            for (String m : List.of("gradcam", "xgradcam", "hirescam", "layercam", "eigencam", "scorecam")) {
                Explainer.Request req = new Explainer.Request(List.of(Methods.byName(m)),
                        Target.classes((int) cls[0], (int) cls[1]), List.of(f.tensors().get(0)), PostProcess.PYTORCH_GRAD_CAM, 0);
                List<Explanation> ex = e.explain(x, req);
                if (m.equals("eigencam")) {
                    // the sign of a principal direction is arbitrary (per image): the signed projection, up to sign
                    FloatTensor ref = f.npy("cam/eigencam_raw.npy");
                    for (int r = 0; r < 2; r++) {
                        FloatTensor ours = ex.get(r).result(m).layers().get(0).raw();
                        FloatTensor want = ref.row(r);
                        FloatTensor neg = new FloatTensor(want.shape(), want.data().clone());
                        for (int i = 0; i < neg.size(); i++) {
                            neg.data()[i] = -neg.data()[i];
                        }
                        assertThat(Math.min(Fixtures.relativeError(ours, want), Fixtures.relativeError(ours, neg)))
                                .as("eigencam projection on %s, image %d", name, r).isLessThan(1e-4);
                    }
                    continue;
                }
                FloatTensor ours = stack(ex.stream().map(r -> r.result(m).map()).toList());
                FloatTensor ref = f.npy("cam/" + m + "_pgc.npy");
                double err = maxAbs(ours, ref);
                assertThat(err).as("%s on %s: max |ours - pytorch-grad-cam|", m, name).isLessThan(m.equals("scorecam") ? 2e-3 : 1e-3);
            }
        }
    }

    /**
     * Methods that re-score modified activations (Ablation-CAM, DFF) at a block norm, which the
     * residual bypasses: the layer's tensor is replaced inside the whole forward, leading tokens
     * restored from the image's own layer. Scoring the unmodified map gives back the logits.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vit_op17", "deit_op17", "swin_op17"})
    void reScoringTheUnmodifiedMapGivesBackTheLogits(String name) throws Exception {
        Fixture f = Fixture.of(name);
        FloatTensor x = f.npy("input.npy");
        float[][] rescored = new float[2][];
        CamMethod probe = new CamMethod() {
            public String name() {
                return "probe";
            }

            public String id() {
                return "probe";
            }

            public LayerMap compute(CamContext ctx, String layer) {
                FloatTensor a = ctx.activations(layer);
                for (int r = 0; r < a.dim(0); r++) {
                    rescored[r] = ctx.scoreActivations(layer, stack(List.of(a.row(r))), r).data();
                }
                return new LayerMap(new FloatTensor(new long[] {a.dim(0), a.dim(2), a.dim(3)}, new float[a.dim(0) * a.dim(2) * a.dim(3)]), null);
            }
        };
        try (Explainer e = Explainer.open(f.model(), Explainer.Options.defaults())) {
            assertThat(e.layers().isCut(f.tensors().get(0))).as("a layer inside a branch").isFalse();
            List<Explanation> ex = e.explain(x, new Explainer.Request(List.of(probe, Methods.byName("ablationcam")),
                    Target.topClass(), List.of(f.tensors().get(0)), PostProcess.SEED, 0));
            for (int r = 0; r < 2; r++) {
                assertThat(Fixtures.relativeError(new FloatTensor(new long[] {rescored[r].length}, rescored[r]),
                        new FloatTensor(new long[] {ex.get(r).logits().length}, ex.get(r).logits()))).isLessThan(1e-5);
                CamResult ablation = ex.get(r).result("ablationcam");
                for (float w : ablation.layers().get(0).weights().data()) {
                    assertThat(Float.isFinite(w)).isTrue();
                }
            }
        }
    }

    private static double maxAbs(FloatTensor a, FloatTensor b) {
        assertThat(a.shape()).containsExactly(b.shape());
        double m = 0;
        for (int i = 0; i < a.size(); i++) {
            m = Math.max(m, Math.abs(a.data()[i] - b.data()[i]));
        }
        return m;
    }
}
