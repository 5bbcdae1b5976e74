package org.xgradcam.autodiff;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xgradcam.onnx.OnnxModel;

/**
 * A model extended with backward nodes. Inputs: the image tensor, {@code grad_seed} (shaped like
 * the score) and, for a 2-D score, {@code grad_seed_top1} ([N, 1]: weight of each row's top class,
 * picked inside the graph so the default target costs no extra forward). Outputs: the score, each
 * target and its gradient of L = sum(seed * score), and the optional extras.
 */
public record AugmentedModel(
        OnnxModel model,
        String input,
        long[] inputShape,
        String score,
        long[] scoreShape,
        String scoreNote,
        String seed,
        Optional<String> topClassSeed,
        List<String> targets,
        Map<String, String> targetGradients,
        Optional<String> inputGradient,
        List<BiasTerm> biasTerms) {

    public static final String SEED = "grad_seed";
    public static final String TOP1_SEED = "grad_seed_top1";
}
