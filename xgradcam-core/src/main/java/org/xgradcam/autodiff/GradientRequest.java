package org.xgradcam.autodiff;

import java.util.List;

/**
 * What to differentiate: the score tensor Y, the target tensors whose activations and gradients
 * are wanted, and the optional extras (the input gradient, the gradients at every biased node on
 * the path for FullGrad and the Eq. 5 bias term), with exact or guided ReLU rules.
 */
public record GradientRequest(List<String> targets, String score, boolean inputGradient, boolean biasGradients,
                              boolean guided) {
    public GradientRequest {
        targets = List.copyOf(targets);
    }

    public static GradientRequest of(List<String> targets, String score) {
        return new GradientRequest(targets, score, false, false, false);
    }

    public GradientRequest withInputGradient() {
        return new GradientRequest(targets, score, true, biasGradients, guided);
    }

    public GradientRequest withBiasGradients() {
        return new GradientRequest(targets, score, inputGradient, true, guided);
    }

    public GradientRequest withGuidedRelu() {
        return new GradientRequest(targets, score, inputGradient, biasGradients, true);
    }
}
