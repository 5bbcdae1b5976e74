package org.xgradcam.metrics;

import java.util.ArrayList;
import java.util.List;
import org.xgradcam.autodiff.AugmentedModel;
import org.xgradcam.autodiff.BiasTerm;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.tensor.FloatTensor;

/**
 * Eq. (5) of the XGrad-CAM paper for networks of ReLU, max-pool and affine ops: the class score
 * equals sum(A * dS/dA) at a layer plus sum(b * dS/db) over every bias after it. Saturated
 * units of a Clip (ReLU6) act as hidden biases (the bound times the gradient at the Clip's
 * output) and are counted as such terms, named after their node. The residual measures how far
 * the network is from that form (smooth activations break it).
 */
public record ScoreDecomposition(double score, double featureTerm, double biasTerm, List<Contribution> biases) {

    /** One biased node's share of the bias term. */
    public record Contribution(String node, String opType, double value) {}

    public double residual() {
        return score - featureTerm - biasTerm;
    }

    /** |residual| / |score| (the absolute residual when the score is 0). */
    public double relativeResidual() {
        return score == 0 ? Math.abs(residual()) : Math.abs(residual()) / Math.abs(score);
    }

    /**
     * The decomposition for batch row `row` of a run whose seed was a one-hot class (so the seed
     * weights times the score row is that class's logit).
     */
    public static ScoreDecomposition of(AugmentedModel model, GradientResult r, String layer, int row, float[] seedRow) {
        FloatTensor score = r.score();
        int k = score.size() / score.dim(0);
        double s = 0;
        for (int j = 0; j < k; j++) {
            s += (double) seedRow[j] * score.data()[row * k + j];
        }
        FloatTensor a = r.activation(layer);
        FloatTensor g = r.gradient(layer);
        int per = a.size() / a.dim(0);
        double feature = 0;
        for (int i = row * per; i < (row + 1) * per; i++) {
            feature += (double) a.data()[i] * g.data()[i];
        }
        double bias = 0;
        List<Contribution> parts = new ArrayList<>();
        for (BiasTerm b : model.biasTerms()) {
            FloatTensor grad = r.biasGradients().get(b.gradient());
            double v = b.isSaturation()
                    ? b.saturationContribution(grad.data(), r.biasGradients().get(b.clipInput()).data(), grad.shape())[row]
                    : b.contribution(grad.data(), grad.shape())[row];
            bias += v;
            parts.add(new Contribution(b.node(), b.opType(), v));
        }
        return new ScoreDecomposition(s, feature, bias, parts);
    }
}
