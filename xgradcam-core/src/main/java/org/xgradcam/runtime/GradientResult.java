package org.xgradcam.runtime;

import java.util.Map;
import java.util.Optional;
import org.xgradcam.tensor.FloatTensor;

/**
 * One run of an augmented model: the score (logits), each target's activations and gradients of
 * L = sum(seed * score), and the optional input and bias-node gradients, all as [N, ...] tensors.
 */
public record GradientResult(FloatTensor score, Map<String, FloatTensor> activations,
                             Map<String, FloatTensor> gradients, Optional<FloatTensor> inputGradient,
                             Map<String, FloatTensor> biasGradients) {
    public FloatTensor activation(String layer) {
        return activations.get(layer);
    }

    public FloatTensor gradient(String layer) {
        return gradients.get(layer);
    }
}
