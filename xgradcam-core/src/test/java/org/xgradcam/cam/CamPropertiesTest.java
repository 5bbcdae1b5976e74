package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** Facts users report as bugs, and the guarantees of post-processing. */
class CamPropertiesTest {

    private static Explanation explain(String model) {
        Path dir = Fixtures.resource("torchvision/" + model);
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        try (Explainer e = Explainer.open(OnnxModel.load(dir.resolve("model.onnx")),
                Explainer.Options.defaults().withInputShape(x.shape()))) {
            return e.explain(x, Explainer.Request.of(Methods.byName("gradcam"), Methods.byName("xgradcam"))).get(0);
        }
    }

    private static float[] weights(Explanation e, String method) {
        return e.result(method).layers().get(0).weights().data();
    }

    /**
     * Before global-average-pool + FC, dS/dA_k is the same at every position, so XGrad-CAM's
     * sum(A G) / sum(A) is that constant: Grad-CAM's mean gradient. Same weights, same map.
     */
    @Test
    void xgradCamEqualsGradCamBeforeGlobalAveragePooling() {
        Explanation e = explain("resnet");
        assertThat(e.layer()).contains("layer2"); // the last stage, feeding GAP + FC
        float[] grad = weights(e, "gradcam");
        float[] xgrad = weights(e, "xgradcam");
        for (int k = 0; k < grad.length; k++) {
            if (e.activations().row(k).data().length > 0 && sum(e.activations().row(k).data()) > 1e-3) {
                assertThat((double) xgrad[k]).isCloseTo(grad[k], org.assertj.core.api.Assertions.within(1e-4 * Math.abs(grad[k]) + 1e-7));
            }
        }
        assertThat(CamGoldenTest.maxAbs(e.result("xgradcam").map(), e.result("gradcam").map())).isLessThan(1e-4);
    }

    /** After a max-pool and an FC head the gradient varies over space, and the methods part ways. */
    @Test
    void xgradCamDiffersFromGradCamOnAVggHead() {
        Explanation e = explain("vgg");
        float[] grad = weights(e, "gradcam");
        float[] xgrad = weights(e, "xgradcam");
        double diff = 0;
        double scale = 0;
        for (int k = 0; k < grad.length; k++) {
            diff = Math.max(diff, Math.abs(grad[k] - xgrad[k]));
            scale = Math.max(scale, Math.abs(grad[k]));
        }
        assertThat(diff / scale).isGreaterThan(0.05);
        assertThat(CamGoldenTest.maxAbs(e.result("xgradcam").map(), e.result("gradcam").map())).isGreaterThan(0.01);
    }

    @Test
    void flatOrZeroMapsBecomeZerosNotNaN() {
        for (PostProcess p : PostProcess.values()) {
            float[] zero = p.apply(List.of(new float[16]), List.of(new int[] {4, 4}), 8, 8);
            float[] negative = p.apply(List.of(filled(16, -3f)), List.of(new int[] {4, 4}), 8, 8);
            float[] flat = p.apply(List.of(filled(16, 2f)), List.of(new int[] {4, 4}), 8, 8);
            for (float[] m : List.of(zero, negative, flat)) {
                for (float v : m) {
                    assertThat(v).isEqualTo(0f);
                }
            }
        }
    }

    @Test
    void mapsSpanZeroToOne() {
        float[] m = PostProcess.SEED.apply(List.of(new float[] {0, 1, 2, 3}), List.of(new int[] {2, 2}), 4, 4);
        float max = 0;
        float min = 1;
        for (float v : m) {
            max = Math.max(max, v);
            min = Math.min(min, v);
        }
        assertThat(max).isEqualTo(1f);
        assertThat(min).isEqualTo(0f);
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private static double sum(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return s;
    }
}
