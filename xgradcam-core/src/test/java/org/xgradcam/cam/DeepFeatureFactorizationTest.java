package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xgradcam.cam.methods.DeepFeatureFactorization;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** NMF recovers a factorisation it was built from; DFF's maps are that factorisation's. */
class DeepFeatureFactorizationTest {

    @Test
    void nmfRecoversAnExactLowRankNonNegativeMatrix() {
        // A = W0 H0 with W0 (6 x 2), H0 (2 x 1 x 3 x 3), both non-negative, one image
        Random r = new Random(2);
        double[][] w0 = new double[6][2];
        double[][] h0 = new double[2][9];
        for (double[] row : w0) {
            row[0] = r.nextDouble();
            row[1] = r.nextDouble();
        }
        for (double[] row : h0) {
            for (int j = 0; j < 9; j++) {
                row[j] = r.nextDouble();
            }
        }
        float[] a = new float[6 * 9];
        for (int c = 0; c < 6; c++) {
            for (int j = 0; j < 9; j++) {
                a[c * 9 + j] = (float) (w0[c][0] * h0[0][j] + w0[c][1] * h0[1][j]);
            }
        }
        FloatTensor t = new FloatTensor(new long[] {1, 6, 3, 3}, a);
        DeepFeatureFactorization.Factors f = DeepFeatureFactorization.factorise(t, 2, 3000, new Random(1));
        double err = 0;
        double norm = 0;
        for (int c = 0; c < 6; c++) {
            for (int j = 0; j < 9; j++) {
                double rec = f.offset()[c] + f.w()[c][0] * f.h()[0][j] + f.w()[c][1] * f.h()[1][j];
                err += (rec - a[c * 9 + j]) * (rec - a[c * 9 + j]);
                norm += a[c * 9 + j] * a[c * 9 + j];
                assertThat(f.h()[0][j]).isGreaterThanOrEqualTo(0);
            }
        }
        assertThat(Math.sqrt(err / norm)).as("relative reconstruction error").isLessThan(1e-2);
    }

    @Test
    void mapsComeFromTheBestScoringConcept() {
        FloatTensor x = Npy.read(Fixtures.resource("torchvision/resnet/input.npy"));
        try (Explainer e = Explainer.open(OnnxModel.load(Fixtures.resource("torchvision/resnet/model.onnx")),
                Explainer.Options.defaults().withInputShape(x.shape()))) {
            List<Explanation> ex = e.explain(x, Explainer.Request.of(Methods.byName("dff")));
            for (Explanation one : ex) {
                CamResult r = one.result("dff");
                assertThat(r.layers().get(0).weights().size()).isEqualTo(5);
                for (float v : r.layers().get(0).raw().data()) {
                    assertThat(v).isGreaterThanOrEqualTo(0f);
                }
                assertThat(r.map().data()).doesNotContain(Float.NaN);
            }
        }
    }
}
