package org.xgradcam.cam;

import java.util.List;
import java.util.Map;
import org.xgradcam.tensor.FloatTensor;

/**
 * Everything computed for one image: the logits, the class explained and its score, the
 * activations and gradients at the first target layer ([C, h, w]) and at every target layer,
 * and each method's result.
 */
public record Explanation(float[] logits, int classIndex, double score, String layer, FloatTensor activations,
                          FloatTensor gradients, Map<String, CamResult> results, List<LayerArrays> layers) {
    /** A target layer's activations and gradients for this image, [C, h, w]. */
    public record LayerArrays(String layer, FloatTensor activations, FloatTensor gradients) {}

    public CamResult result(String methodId) {
        return results.get(methodId);
    }

    /** The k classes with the highest logits, best first. */
    public int[] topK(int k) {
        Integer[] idx = new Integer[logits.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Float.compare(logits[b], logits[a]));
        int[] out = new int[Math.min(k, idx.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
