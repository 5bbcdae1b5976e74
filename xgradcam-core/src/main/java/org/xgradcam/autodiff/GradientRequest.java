package org.xgradcam.autodiff;

import java.util.List;

/**
 * What to differentiate: the score tensor Y, the target tensors whose activations and gradients
 * are wanted, and the optional extras (the input gradient, the gradients at every biased node on
 * the path for FullGrad and the Eq. 5 bias term), with exact or guided ReLU rules.
 */
public record GradientRequest(List<String> targets, String score, boolean inputGradient, boolean biasGradients,
                              boolean guided, ScoreTransform transform) {
    /**
     * What the seed weighs: the score itself, its softmax over axis 1 (class probabilities), or
     * the score divided by its L2 norm over axis 1 (so seed . score is a cosine similarity when
     * the seed has unit norm). Transforms are appended as graph nodes and differentiated exactly.
     */
    public enum ScoreTransform { NONE, SOFTMAX, L2_NORMALIZE }

    public GradientRequest {
        targets = List.copyOf(targets);
    }

    public static GradientRequest of(List<String> targets, String score) {
        return new GradientRequest(targets, score, false, false, false, ScoreTransform.NONE);
    }

    public GradientRequest withInputGradient() {
        return new GradientRequest(targets, score, true, biasGradients, guided, transform);
    }

    public GradientRequest withBiasGradients() {
        return new GradientRequest(targets, score, inputGradient, true, guided, transform);
    }

    public GradientRequest withGuidedRelu() {
        return new GradientRequest(targets, score, inputGradient, biasGradients, true, transform);
    }

    public GradientRequest withTransform(ScoreTransform t) {
        return new GradientRequest(targets, score, inputGradient, biasGradients, guided, t);
    }
}
