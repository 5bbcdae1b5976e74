package org.xgradcam.cam;

import org.xgradcam.tensor.FloatTensor;

/**
 * A method's output for one layer: signed maps [N, h, w] (before any ReLU), channel weights
 * [N, C] where the method has them (else null). A map given at the input resolution (FullGrad)
 * says so, and post-processing skips the resize.
 */
public record LayerMap(FloatTensor raw, FloatTensor weights, boolean fullResolution) {
    public LayerMap(FloatTensor raw, FloatTensor weights) {
        this(raw, weights, false);
    }
}
