package org.xgradcam.cam;

import java.util.List;
import org.xgradcam.tensor.FloatTensor;

/**
 * One method's explanation of one image: per layer the signed low-resolution map and the
 * channel weights (if the method has them), the final map [H, W] in [0, 1] (null for Guided
 * Backprop alone), and for guided methods the input-space picture [3, H, W].
 */
public record CamResult(CamMethod method, List<LayerResult> layers, FloatTensor map, FloatTensor pixels) {

    /** A layer's contribution: raw signed map [h, w] and weights [C] (null if none). */
    public record LayerResult(String layer, FloatTensor raw, FloatTensor weights) {
        /** The raw map after ReLU, before any scaling: what the seed upsamples. */
        public FloatTensor lowRes() {
            return new FloatTensor(raw.shape(), Maps.relu(raw.data()));
        }
    }
}
