package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * Every method against references computed from its published formula in torch/numpy by
 * tools/fixtures/cam_references.py, on a VGG-style model at the last max-pool and a ResNet at
 * its last stage, top class of each of 2 images. Raw maps: relative error <= 1e-4 (of the
 * map's largest magnitude); final maps in [0, 1]: absolute error <= 1e-4.
 */
class CamGoldenTest {

    /** The ONNX tensor of the layer the references were computed at. */
    static String referenceLayer(String model) throws java.io.IOException {
        String module = model.equals("vgg") ? "features.10" : "layer2";
        return Fixtures.layers(Fixtures.resource("torchvision/" + model)).stream()
                .filter(p -> p[1].equals(module)).findFirst().orElseThrow()[2];
    }

    private static List<Explanation> explain(String model, String method, PostProcess convention) throws Exception {
        Path dir = Fixtures.resource("torchvision/" + model);
        String layer = referenceLayer(model);
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        try (Explainer e = Explainer.open(OnnxModel.load(dir.resolve("model.onnx")),
                Explainer.Options.defaults().withInputShape(x.shape()).withBatchSize(16))) {
            return e.explain(x, Explainer.Request.of(Methods.byName(method)).withLayers(List.of(layer))
                    .withConvention(convention));
        }
    }

    private static FloatTensor stack(List<Explanation> ex, java.util.function.Function<Explanation, FloatTensor> f) {
        return FloatTensor.stack(ex.stream().map(f).toList());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "vgg, gradcam", "vgg, xgradcam", "vgg, gradcamplusplus", "vgg, hirescam", "vgg, gradcamelementwise",
            "vgg, layercam", "vgg, eigencam", "vgg, eigengradcam", "vgg, scorecam", "vgg, ablationcam",
            "vgg, iscam", "vgg, fasterscorecam", "resnet, iscam", "resnet, fasterscorecam",
            "vgg, fem", "vgg, finercam", "resnet, fem", "resnet, finercam", "vgg, kpcacam", "resnet, kpcacam",
            "resnet, gradcam", "resnet, xgradcam", "resnet, gradcamplusplus", "resnet, hirescam",
            "resnet, gradcamelementwise", "resnet, layercam", "resnet, eigencam", "resnet, eigengradcam",
            "resnet, scorecam", "resnet, ablationcam"})
    void matchesTheReferenceFormula(String model, String method) throws Exception {
        Path cam = Fixtures.resource("torchvision/" + model + "/cam");
        List<Explanation> ex = explain(model, method, PostProcess.PYTORCH_GRAD_CAM);
        assertThat(ex.get(0).classIndex()).isEqualTo((int) Npy.read(cam.resolve("classes.npy")).data()[0]);
        FloatTensor raw = stack(ex, e -> e.result(method).layers().get(0).raw());
        assertThat(Fixtures.relativeError(raw, Npy.read(cam.resolve(method + "_raw.npy")))).as("raw map").isLessThanOrEqualTo(1e-4);
        if (Files.exists(cam.resolve(method + "_weights.npy"))) {
            FloatTensor w = stack(ex, e -> e.result(method).layers().get(0).weights());
            assertThat(Fixtures.relativeError(w, Npy.read(cam.resolve(method + "_weights.npy")))).as("weights")
                    .isLessThanOrEqualTo(1e-4);
        }
        FloatTensor map = stack(ex, e -> e.result(method).map());
        assertThat(maxAbs(map, Npy.read(cam.resolve(method + "_pgc.npy")))).as("pytorch-grad-cam map").isLessThanOrEqualTo(1e-4);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"vgg, gradcam, gradcam", "vgg, xgradcam, xgradcam_seed", "resnet, gradcam, gradcam",
            "resnet, xgradcam, xgradcam_seed"})
    void seedConventionIsXGradCamPy(String model, String method, String reference) throws Exception {
        Path cam = Fixtures.resource("torchvision/" + model + "/cam");
        List<Explanation> ex = explain(model, method, PostProcess.SEED);
        FloatTensor w = stack(ex, e -> e.result(method).layers().get(0).weights());
        assertThat(Fixtures.relativeError(w, Npy.read(cam.resolve(reference + "_weights.npy")))).isLessThanOrEqualTo(1e-4);
        FloatTensor map = stack(ex, e -> e.result(method).map());
        assertThat(maxAbs(map, Npy.read(cam.resolve(reference + "_seed.npy")))).as("seed map").isLessThanOrEqualTo(1e-4);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"vgg", "resnet"})
    void smoothingOptions(String model) throws Exception {
        Path dir = Fixtures.resource("torchvision/" + model);
        String layer = referenceLayer(model);
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        try (Explainer e = Explainer.open(OnnxModel.load(dir.resolve("model.onnx")),
                Explainer.Options.defaults().withInputShape(x.shape()))) {
            Explainer.Request base = Explainer.Request.of(Methods.byName("gradcam")).withLayers(List.of(layer))
                    .withConvention(PostProcess.PYTORCH_GRAD_CAM);
            FloatTensor eigen = stack(e.explain(x, base.withEigenSmooth(true)), r -> r.result("gradcam").layers().get(0).raw());
            assertThat(Fixtures.relativeError(eigen, Npy.read(dir.resolve("cam/gradcam_eigensmooth_raw.npy"))))
                    .isLessThanOrEqualTo(1e-4);
            FloatTensor aug = stack(e.explain(x, base.withAugmentationSmooth(true)), r -> r.result("gradcam").map());
            assertThat(maxAbs(aug, Npy.read(dir.resolve("cam/gradcam_augsmooth_pgc.npy")))).isLessThanOrEqualTo(1e-4);
        }
    }

    /** SS-CAM without noise is torch-cam's Score-CAM: masks scaled at low resolution, then upsampled. */
    @org.junit.jupiter.api.Test
    void smoothedScoreCamWithoutNoiseIsTorchCamsScoreCam() throws Exception {
        Path dir = Fixtures.resource("torchvision/vgg");
        String layer = referenceLayer("vgg");
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        try (Explainer e = Explainer.open(OnnxModel.load(dir.resolve("model.onnx")),
                Explainer.Options.defaults().withInputShape(x.shape()))) {
            List<Explanation> ex = e.explain(x, Explainer.Request.of(org.xgradcam.cam.methods.ScoreCam.smoothed(2, 0f))
                    .withLayers(List.of(layer)));
            FloatTensor w = stack(ex, r -> r.result("sscam").layers().get(0).weights());
            assertThat(Fixtures.relativeError(w, Npy.read(dir.resolve("cam/torchcam_scorecam_weights.npy"))))
                    .isLessThanOrEqualTo(1e-4);
        }
    }

    @org.junit.jupiter.api.Test
    void fullGradMatches() throws Exception {
        Path cam = Fixtures.resource("torchvision/vgg/cam");
        List<Explanation> ex = explain("vgg", "fullgrad", PostProcess.PYTORCH_GRAD_CAM);
        FloatTensor map = stack(ex, e -> e.result("fullgrad").map());
        assertThat(maxAbs(map, Npy.read(cam.resolve("fullgrad_pgc.npy")))).isLessThanOrEqualTo(1e-4);
    }

    @org.junit.jupiter.api.Test
    void guidedBackpropMatches() throws Exception {
        Path cam = Fixtures.resource("torchvision/vgg/cam");
        List<Explanation> ex = explain("vgg", "guidedbackprop", PostProcess.PYTORCH_GRAD_CAM);
        FloatTensor px = stack(ex, e -> e.result("guidedbackprop").pixels());
        assertThat(Fixtures.relativeError(px, Npy.read(cam.resolve("guidedbackprop.npy")))).isLessThanOrEqualTo(1e-4);
    }

    static double maxAbs(FloatTensor a, FloatTensor b) {
        assertThat(a.shape()).isEqualTo(b.shape());
        double m = 0;
        for (int i = 0; i < a.size(); i++) {
            m = Math.max(m, Math.abs(a.data()[i] - b.data()[i]));
        }
        return m;
    }
}
