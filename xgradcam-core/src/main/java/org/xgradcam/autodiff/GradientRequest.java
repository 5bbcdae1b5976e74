package org.xgradcam.autodiff;

import java.util.List;

/**
 * What to differentiate: the score tensor Y, the target tensors whose activations and gradients
 * are wanted, and the optional extras (the input gradient, the gradients at every biased node on
 * the path for FullGrad and the Eq. 5 bias term), with exact or guided ReLU rules.
 */
public record GradientRequest(List<String> targets, String score, boolean inputGradient, boolean biasGradients,
                              boolean guided, ScoreTransform transform, String pass, List<String> keepOutputs) {
    /**
     * What the seed weighs: the score itself, its softmax over axis 1 (class probabilities), or
     * the score divided by its L2 norm over axis 1 (so seed . score is a cosine similarity when
     * the seed has unit norm). Transforms are appended as graph nodes and differentiated exactly.
     */
    public enum ScoreTransform { NONE, SOFTMAX, L2_NORMALIZE }

    public GradientRequest {
        targets = List.copyOf(targets);
        keepOutputs = List.copyOf(keepOutputs);
    }

    public GradientRequest(List<String> targets, String score, boolean inputGradient, boolean biasGradients,
                           boolean guided, ScoreTransform transform) {
        this(targets, score, inputGradient, biasGradients, guided, transform, "", List.of());
    }

    public static GradientRequest of(List<String> targets, String score) {
        return new GradientRequest(targets, score, false, false, false, ScoreTransform.NONE);
    }

    public GradientRequest withInputGradient() {
        return new GradientRequest(targets, score, true, biasGradients, guided, transform, pass, keepOutputs);
    }

    public GradientRequest withBiasGradients() {
        return new GradientRequest(targets, score, inputGradient, true, guided, transform, pass, keepOutputs);
    }

    public GradientRequest withGuidedRelu() {
        return new GradientRequest(targets, score, inputGradient, biasGradients, true, transform, pass, keepOutputs);
    }

    public GradientRequest withTransform(ScoreTransform t) {
        return new GradientRequest(targets, score, inputGradient, biasGradients, guided, t, pass, keepOutputs);
    }

    /**
     * A second (or later) differentiation of a graph that holds backward nodes already: its own
     * names (node prefix, seeds, published gradients "grad{pass}:T"), so they cannot collide with
     * the first pass's; and outputs of the graph to keep.
     */
    public GradientRequest asPass(String name, List<String> keep) {
        return new GradientRequest(targets, score, inputGradient, biasGradients, guided, transform, name, keep);
    }

    /** The name of a tensor's published gradient in this pass: grad:T, grad2:T, ... */
    public String gradientName(String tensor) {
        return "grad" + pass + ":" + tensor;
    }

    public String seedName() {
        return AugmentedModel.SEED + pass;
    }

    public String topClassSeedName() {
        return AugmentedModel.TOP1_SEED + pass;
    }
}
