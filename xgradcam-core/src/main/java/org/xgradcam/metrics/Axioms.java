package org.xgradcam.metrics;

import org.xgradcam.cam.Explainer;
import org.xgradcam.tensor.FloatTensor;

/**
 * The two axioms of the XGrad-CAM paper (Fu et al. 2020), as residuals relative to the score S
 * (0 for a map that satisfies them exactly):
 * <ul>
 * <li>Conservation: |S - sum_xy M(x, y)| / |S|, M = sum_k w_k A_k the raw signed map;
 * <li>Sensitivity: mean_k |S - S(A without channel k) - w_k sum_xy A_k| / |S|, S(A without k) from
 *     the graph after the layer with channel k set to 0, batched over channels.
 * </ul>
 */
public final class Axioms {
    private Axioms() {}

    public static double conservation(double score, FloatTensor rawMap) {
        double s = 0;
        for (float v : rawMap.data()) {
            s += v;
        }
        return Math.abs(score - s) / Math.abs(score);
    }

    /**
     * @param activations [C, h, w] of one image at the layer
     * @param weights     the method's channel weights [C]
     * @param seed        the score's weights over the model's outputs (one-hot for a class)
     */
    public static double sensitivity(Explainer explainer, String layer, FloatTensor activations, float[] weights,
                                     double score, float[] seed, int batch) {
        int c = activations.dim(0);
        int hw = activations.size() / c;
        double total = 0;
        for (int start = 0; start < c; start += batch) {
            int m = Math.min(batch, c - start);
            float[] data = new float[m * c * hw];
            for (int j = 0; j < m; j++) {
                System.arraycopy(activations.data(), 0, data, j * c * hw, c * hw);
                java.util.Arrays.fill(data, j * c * hw + (start + j) * hw, j * c * hw + (start + j + 1) * hw, 0f);
            }
            long[] shape = {m, c, activations.dim(1), activations.dim(2)};
            FloatTensor y = explainer.tailLogits(layer, new FloatTensor(shape, data));
            int k = y.size() / m;
            for (int j = 0; j < m; j++) {
                double sk = 0;
                for (int q = 0; q < k; q++) {
                    sk += (double) seed[q] * y.data()[j * k + q];
                }
                double sumA = 0;
                for (int i = 0; i < hw; i++) {
                    sumA += activations.data()[(start + j) * hw + i];
                }
                total += Math.abs(score - sk - weights[start + j] * sumA);
            }
        }
        return total / c / Math.abs(score);
    }
}
