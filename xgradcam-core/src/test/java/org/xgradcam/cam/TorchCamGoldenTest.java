package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.cam.methods.SmoothGradCamPlusPlus;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * The torch-cam convention and torch-cam's methods against torch-cam itself, run by
 * tools/fixtures/torchcam_references.py on the torchvision fixtures: its normalised
 * low-resolution maps and their half-pixel upsampling.
 */
class TorchCamGoldenTest {
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"resnet, layer2, cam", "resnet, layer2, gradcam", "resnet, layer2, xgradcam", "resnet, layer2, layercam",
            "resnet, layer2, scorecam", "resnet, layer2, smoothgradcamplusplus", "vgg, features.10, gradcam",
            "vgg, features.10, xgradcam", "vgg, features.10, layercam", "vgg, features.10, scorecam",
            "vgg, features.10, smoothgradcamplusplus"})
    void mapsEqualTorchCam(String model, String layer, String method) throws Exception {
        Path dir = Fixtures.resource("torchvision/" + model);
        Path ref = dir.resolve("torchcam");
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        float[] cls = Npy.read(ref.resolve("classes.npy")).data();
        CamMethod m = method.equals("smoothgradcamplusplus") ? SmoothGradCamPlusPlus.withNoise(draws(ref)) : Methods.byName(method);
        try (Explainer e = Explainer.open(OnnxModel.load(dir.resolve("model.onnx")), Explainer.Options.defaults())) {
            List<Explanation> ex = e.explain(x, new Explainer.Request(List.of(m), Target.classes((int) cls[0], (int) cls[1]),
                    List.of(layer), PostProcess.TORCH_CAM, 0));
            FloatTensor want = Npy.read(ref.resolve(method + ".npy"));
            FloatTensor wantUp = Npy.read(ref.resolve(method + "_up.npy"));
            for (int r = 0; r < 2; r++) {
                FloatTensor raw = ex.get(r).result(m.id()).layers().get(0).raw();
                float[] low = Maps.minMax(m.signedMap() ? raw.data() : Maps.relu(raw.data()), 1e-8f);
                assertThat(maxAbs(low, want.row(r).data())).as("%s low resolution, image %d", method, r).isLessThan(2e-4);
                assertThat(maxAbs(ex.get(r).result(m.id()).map().data(), wantUp.row(r).data())).as("%s upsampled, image %d",
                        method, r).isLessThan(2e-4);
            }
        }
    }

    /** torch-cam's Grad-CAM++ is not the closed form it documents (its alpha division is lost): measured, not matched. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"resnet, layer2", "vgg, features.10"})
    void gradCamPlusPlusDiffersFromTorchCamsCode(String model, String layer) throws Exception {
        Path dir = Fixtures.resource("torchvision/" + model);
        Path ref = dir.resolve("torchcam");
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        float[] cls = Npy.read(ref.resolve("classes.npy")).data();
        try (Explainer e = Explainer.open(OnnxModel.load(dir.resolve("model.onnx")), Explainer.Options.defaults())) {
            List<Explanation> ex = e.explain(x, new Explainer.Request(List.of(Methods.byName("gradcamplusplus")),
                    Target.classes((int) cls[0], (int) cls[1]), List.of(layer), PostProcess.TORCH_CAM, 0));
            FloatTensor want = Npy.read(ref.resolve("gradcamplusplus.npy"));
            double worst = 0;
            for (int r = 0; r < 2; r++) {
                float[] low = Maps.minMax(Maps.relu(ex.get(r).result("gradcamplusplus").layers().get(0).raw().data()), 1e-8f);
                worst = Math.max(worst, maxAbs(low, want.row(r).data()));
            }
            System.out.printf("Grad-CAM++ on %s: max |closed form - torch-cam| = %.4f (maps in [0, 1])%n", model, worst);
            assertThat(worst).isGreaterThan(1e-3);
        }
    }

    private static List<FloatTensor> draws(Path ref) {
        FloatTensor all = Npy.read(ref.resolve("noise.npy"));
        List<FloatTensor> out = new ArrayList<>();
        for (int s = 0; s < all.dim(0); s++) {
            out.add(all.row(s));
        }
        return out;
    }

    private static double maxAbs(float[] a, float[] b) {
        assertThat(a.length).isEqualTo(b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
