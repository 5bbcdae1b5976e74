package org.xgradcam.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** IoU, NMS, batched NMS and dense-head decoding against torchvision.ops (tools/fixtures/nms_references.py). */
class DetectionTest {
    private static float[][] boxes() {
        FloatTensor b = Npy.read(Fixtures.resource("detection/boxes.npy"));
        float[][] out = new float[b.dim(0)][];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.row(i).data();
        }
        return out;
    }

    private static int[] ints(String name) {
        float[] f = Npy.read(Fixtures.resource("detection/" + name)).data();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Math.round(f[i]);
        }
        return out;
    }

    @Test
    void iouEqualsTorchvision() {
        float[][] b = boxes();
        float[] want = Npy.read(Fixtures.resource("detection/iou.npy")).data();
        for (int i = 0; i < b.length; i++) {
            for (int j = 0; j < b.length; j++) {
                float got = Nms.iou(b[i][0], b[i][1], b[i][2], b[i][3], b[j][0], b[j][1], b[j][2], b[j][3]);
                assertThat(got).isCloseTo(want[i * b.length + j], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    @ParameterizedTest(name = "iou {0}")
    @ValueSource(strings = {"0.3", "0.5", "0.7"})
    void nmsEqualsTorchvision(String t) {
        float[] scores = Npy.read(Fixtures.resource("detection/scores.npy")).data();
        assertThat(Nms.nms(boxes(), scores, Double.parseDouble(t))).containsExactly(ints("nms_" + t + ".npy"));
        assertThat(Nms.batchedNms(boxes(), scores, ints("labels.npy"), Double.parseDouble(t)))
                .containsExactly(ints("batched_nms_" + t + ".npy"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"v8", "v5"})
    void denseHeadsDecodeAsTheirPostProcessing(String version) {
        FloatTensor head = Npy.read(Fixtures.resource("detection/head_" + version + ".npy"));
        DenseHead.Layout layout = DenseHead.detect(head.shape());
        assertThat(layout).isEqualTo(version.equals("v8") ? DenseHead.Layout.ATTRIBUTES_FIRST : DenseHead.Layout.ANCHORS_FIRST);
        List<Detection> got = DenseHead.decode(head, layout, 0.4, 0.45);
        FloatTensor want = Npy.read(Fixtures.resource("detection/decoded_" + version + ".npy"));
        assertThat(got).hasSize(want.dim(0));
        for (int i = 0; i < got.size(); i++) {
            float[] w = want.row(i).data();
            Detection d = got.get(i);
            assertThat(d.anchor()).isEqualTo(Math.round(w[0]));
            assertThat(d.label()).isEqualTo(Math.round(w[1]));
            assertThat(d.score()).isCloseTo(w[2], org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(new float[] {d.x0(), d.y0(), d.x1(), d.y1()}).containsExactly(new float[] {w[3], w[4], w[5], w[6]},
                    org.assertj.core.data.Offset.offset(1e-4f));
        }
    }
}
