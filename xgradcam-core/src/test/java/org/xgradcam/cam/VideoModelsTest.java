package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.xgradcam.XGradCamException;
import org.xgradcam.io.Npy;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.onnx.LayerView;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.pipeline.ModelKind;
import org.xgradcam.pipeline.Pipeline;
import org.xgradcam.pipeline.Request;
import org.xgradcam.pipeline.Result;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * Video classifiers in the layouts of torchvision's r3d_18, mc3_18 and r2plus1d_18 (its own video
 * blocks, small widths; one taking channels-last clips [N, T, H, W, C]) and a 3-D U-Net, exported by tools/fixtures/export_video.py: 3-D feature
 * maps [N, C, D, H, W] at every stage, activations and gradients equal to torch autograd's,
 * the maps of Grad-CAM (weights averaged over D, H and W), HiResCAM, Layer-CAM and Eigen-CAM equal
 * to pytorch-grad-cam's own get_cam_image (the methods whose code runs on 3-D maps there),
 * the map upsampled to every frame as torch's trilinear interpolation does, XGrad-CAM's weights
 * summed over D, H and W.
 */
class VideoModelsTest {
    private static Path dir(String name) {
        try {
            return Fixtures.resource("video/" + name);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"r3d", "mc3", "r2plus1d", "r3d_nthwc"})
    void videoClassifiersEqualTorchAtEveryStage(String name) throws Exception {
        check(dir(name), null, false);
    }

    @Test
    void aVolumeSegmenterEqualsTorchForItsMostVoxelsClass() throws Exception {
        Path d = dir("unet3d");
        check(d, Npy.read(d.resolve("mask.npy")), false);
    }

    /**
     * Full-size torchvision exports with random weights (tools/fixtures/export_video.py --full), where
     * present. At the last layer every entry equals torch's; before it, a few entries may differ where
     * float32 rounding decides a ReLU (mc3_18: pre-activations of 7e-7 beside values of 30; torch's
     * own float32 happens to agree with float64 there, ONNX Runtime's convolution rounds otherwise) or
     * a max-pool tie (s3d: a stride-1 max-pool feeds 1x1 convolutions, so neighbours are equal in
     * torch and a rounding apart in ONNX Runtime, and torch's float32 gradient itself differs from
     * float64 by 18% there): at least 98% of the entries within 1e-3 of the largest there (one ReLU decided
     * by rounding in mc3_18's layer4 changes a 5x5 patch of layer3 in every channel, 1.4% of it).
     */
    @ParameterizedTest
    @ValueSource(strings = {"r3d_18", "mc3_18", "r2plus1d_18", "s3d"})
    void fullSizeTorchvisionVideoModelsEqualTorch(String name) throws Exception {
        String env = System.getenv("XGRADCAM_VIDEO_MODELS");
        Path root = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "xgradcam", "video");
        Path d = root.resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(d.resolve("model.onnx")), "no full-size export in " + d);
        check(d, null, true);
    }

    private static void check(Path d, FloatTensor mask, boolean fullSize) throws Exception {
        FloatTensor x = Npy.read(d.resolve("input.npy"));
        List<String[]> layers = Fixtures.layers(d);
        List<String> tensors = layers.stream().map(l -> l[1]).toList();
        try (Explainer e = Explainer.open(OnnxModel.load(d.resolve("model.onnx")), Explainer.Options.defaults())) {
            assertThat(e.inputShape()).containsExactly(x.shape());
            FloatTensor logits = e.logits(x);
            assertThat(Fixtures.relativeError(logits, Npy.read(d.resolve("logits.npy")))).isLessThanOrEqualTo(1e-5);
            for (String t : tensors) {
                LayerView v = e.layers().resolve(t).view();
                assertThat(v.kind()).isEqualTo(LayerView.Kind.VOLUME);
            }
            Target target;
            if (mask == null) {
                target = Target.topClass();
            } else {
                long[] s = logits.shape();
                int cls = 0;
                double best = -1;
                // the class of the mask: the one whose voxels the mask marks (as the script chose it)
                int[] wins = new int[(int) s[1]];
                int plane = mask.size();
                for (int p = 0; p < plane; p++) {
                    int w = 0;
                    for (int k = 1; k < s[1]; k++) {
                        w = logits.data()[k * plane + p] > logits.data()[w * plane + p] ? k : w;
                    }
                    wins[w]++;
                }
                for (int k = 0; k < wins.length; k++) {
                    if (wins[k] > best) {
                        best = wins[k];
                        cls = k;
                    }
                }
                target = Target.segmentation(cls, mask.data(), (int) (s[2] * s[3]), (int) s[4]);
            }
            List<Explanation> ex = e.explain(x, Explainer.Request.of(Methods.byName("gradcam"), Methods.byName("xgradcam"),
                    Methods.byName("hirescam"), Methods.byName("layercam"), Methods.byName("eigencam"))
                    .withLayers(tensors).withTarget(target).withConvention(PostProcess.PYTORCH_GRAD_CAM));
            Explanation r = ex.get(0);
            for (int i = 0; i < tensors.size(); i++) {
                FloatTensor act = Npy.read(d.resolve("act_" + i + ".npy"));
                FloatTensor grad = Npy.read(d.resolve("grad_" + i + ".npy"));
                Explanation.LayerArrays arrays = r.layers().get(i);
                assertThat(Fixtures.relativeError(batched(arrays.activations()), act)).as("activations at " + layers.get(i)[0])
                        .isLessThanOrEqualTo(1e-4);
                boolean last = i == tensors.size() - 1;
                if (fullSize && !last) {
                    assertThat(shareWithin(batched(arrays.gradients()), grad, 1e-3)).as("gradients at " + layers.get(i)[0])
                            .isGreaterThanOrEqualTo(0.98);
                    continue;
                }
                assertThat(Fixtures.relativeError(batched(arrays.gradients()), grad)).as("gradients at " + layers.get(i)[0])
                        .isLessThanOrEqualTo(1e-4);
                for (String m : List.of("gradcam", "hirescam", "layercam", "eigencam")) {
                    // pytorch-grad-cam's own code on the 3-D map: its slices [1, D, h, w] are our rows [D * h, w]
                    Path pgc = d.resolve("pgc_" + m + "_" + i + ".npy");
                    if (Files.isRegularFile(pgc)) {
                        FloatTensor expected = Npy.read(pgc);
                        float[] raw = r.result(m).layers().get(i).raw().data();
                        double err = Fixtures.relativeError(new FloatTensor(expected.shape(), raw), expected);
                        if (m.equals("eigencam")) {
                            // a singular vector's sign is LAPACK's choice there; ours makes the largest cell positive
                            float[] flipped = raw.clone();
                            for (int k = 0; k < flipped.length; k++) {
                                flipped[k] = -flipped[k];
                            }
                            err = Math.min(err, Fixtures.relativeError(new FloatTensor(expected.shape(), flipped), expected));
                        }
                        assertThat(err).as(m + " at " + layers.get(i)[0] + " against pytorch-grad-cam").isLessThanOrEqualTo(1e-4);
                    }
                }
                // XGrad-CAM: w_k = sum(A * dS/dA) / (sum A + eps), every sum over D, H and W
                float[] w = r.result("xgradcam").layers().get(i).weights().data();
                int c = (int) act.shape()[1];
                int cells = act.size() / c;
                for (int k = 0; k < c; k++) {
                    double num = 0;
                    double den = 0;
                    for (int p = 0; p < cells; p++) {
                        num += (double) act.data()[k * cells + p] * grad.data()[k * cells + p];
                        den += act.data()[k * cells + p];
                    }
                    assertThat(w[k]).as("XGrad-CAM weight %d", k).isCloseTo((float) (num / (den + 1e-7)),
                            org.assertj.core.data.Offset.offset((float) (1e-4 * Math.max(1e-3, Math.abs(num / (den + 1e-7))))));
                }
            }
            // one layer's map over every frame: pytorch-grad-cam's scaling, trilinear to [T, H, W]
            int at = tensors.size() - 1;
            Path up = d.resolve("map_gradcam_" + at + ".npy");
            if (Files.isRegularFile(up)) {
                List<Explanation> one = e.explain(x, Explainer.Request.of(Methods.byName("gradcam"))
                        .withLayers(List.of(tensors.get(at))).withTarget(target).withConvention(PostProcess.PYTORCH_GRAD_CAM));
                FloatTensor map = one.get(0).result("gradcam").map();
                boolean last = x.shape()[4] == 3 && x.shape()[1] != 3; // channels-last [N, T, H, W, C]
                assertThat(map.shape()).containsExactly(last ? java.util.Arrays.copyOfRange(x.shape(), 1, 4)
                        : java.util.Arrays.copyOfRange(x.shape(), 2, 5));
                assertThat(Fixtures.relativeError(map, Npy.read(up))).isLessThanOrEqualTo(1e-4);
            }
        }
    }

    /** The share of entries within tol * max |reference| of the reference. */
    private static double shareWithin(FloatTensor actual, FloatTensor reference, double tol) {
        assertThat(actual.shape()).isEqualTo(reference.shape());
        double max = 0;
        for (float v : reference.data()) {
            max = Math.max(max, Math.abs(v));
        }
        int ok = 0;
        for (int i = 0; i < actual.size(); i++) {
            ok += Math.abs(actual.data()[i] - reference.data()[i]) <= tol * max ? 1 : 0;
        }
        return (double) ok / actual.size();
    }

    private static FloatTensor batched(FloatTensor row) {
        long[] s = new long[row.rank() + 1];
        s[0] = 1;
        System.arraycopy(row.shape(), 0, s, 1, row.rank());
        return new FloatTensor(s, row.data());
    }

    @Test
    void aVolumeSegmenterIsASegmenterOfVoxelsInThePipeline() throws Exception {
        Path d = dir("unet3d");
        ModelSpec spec = ModelSpec.ofFile(d.resolve("model.onnx"));
        assertThat(spec.preprocessing().frames()).isEqualTo(8);
        assertThat(spec.preprocessing().channels()).isEqualTo(1);
        try (Pipeline p = Pipeline.open(spec)) {
            assertThat(p.kind()).isEqualTo(ModelKind.SEGMENTER);
            FloatTensor x = Npy.read(d.resolve("input.npy"));
            Result r = p.explain(p.prepare(x, "volume"), p.plan(Request.defaults()));
            FloatTensor mask = Npy.read(d.resolve("mask.npy"));
            double share = 0;
            for (float m : mask.data()) {
                share += m / mask.size();
            }
            assertThat(r.segments().get(0).pixelShare()).isCloseTo(share, org.assertj.core.data.Offset.offset(1e-6));
            // the score explained is the class's logits summed over the voxels it wins
            FloatTensor logits = Npy.read(d.resolve("logits.npy"));
            int cls = r.segments().get(0).classIndex();
            double score = 0;
            for (int i = 0; i < mask.size(); i++) {
                score += mask.data()[i] * logits.data()[cls * mask.size() + i];
            }
            assertThat(r.first().score()).isCloseTo(score, org.assertj.core.data.Offset.offset(Math.abs(score) * 1e-5));
            FloatTensor map = r.first().explanation().result("xgradcam").map();
            assertThat(map.shape()).containsExactly(8, 32, 32);
            // the slices stacked as the picture behind the map
            assertThat(r.backdrop().width()).isEqualTo(32);
            assertThat(r.backdrop().height()).isEqualTo(8 * 32);
        }
    }

    @Test
    void methodsThatMaskTheInputSayTheyTakeImagesOnly() throws Exception {
        Path d = dir("r3d");
        FloatTensor x = Npy.read(d.resolve("input.npy"));
        try (Explainer e = Explainer.open(OnnxModel.load(d.resolve("model.onnx")), Explainer.Options.defaults())) {
            for (String m : List.of("scorecam", "fullgrad")) {
                assertThatThrownBy(() -> e.explain(x, Explainer.Request.of(Methods.byName(m))))
                        .isInstanceOf(XGradCamException.class).hasMessageContaining("clip or volume");
            }
            // the rest of the layer-wise methods run over D, H and W
            List<String> ok = new ArrayList<>(List.of("gradcam", "xgradcam", "gradcam++", "layercam", "hirescam", "eigencam",
                    "eigengradcam", "ablationcam", "cam", "fem", "gradcamelementwise", "shapleycam", "smoothgradcamplusplus", "finercam",
                    "kpcacam", "guidedgradcam", "randomcam", "segeigencam"));
            for (String m : ok) {
                FloatTensor map = e.explain(x, Explainer.Request.of(Methods.byName(m))).get(0).result(Methods.byName(m).id()).map();
                assertThat(map.shape()).as(m).containsExactly(8, 48, 48);
                float max = 0;
                for (float v : map.data()) {
                    assertThat(v).as(m).isBetween(0f, 1f);
                    max = Math.max(max, v);
                }
                assertThat(max).as(m).isGreaterThan(0.99f);
            }
        }
    }
}
