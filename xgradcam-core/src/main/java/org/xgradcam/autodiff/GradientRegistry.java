package org.xgradcam.autodiff;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.xgradcam.autodiff.rules.ActivationRules;
import org.xgradcam.autodiff.rules.ConvolutionRules;
import org.xgradcam.autodiff.rules.ElementwiseRules;
import org.xgradcam.autodiff.rules.LinearAlgebraRules;
import org.xgradcam.autodiff.rules.NormalizationRules;
import org.xgradcam.autodiff.rules.ResizeRules;
import org.xgradcam.autodiff.rules.RoiRules;
import org.xgradcam.autodiff.rules.SelectionRules;
import org.xgradcam.autodiff.rules.ShapeRules;

/** One gradient rule per ONNX op type (default domain). */
public final class GradientRegistry {
    private final Map<String, GradientRule> rules = new HashMap<>();

    /** The rules for exact gradients. */
    public static GradientRegistry standard() {
        GradientRegistry r = new GradientRegistry();
        ElementwiseRules.register(r);
        ActivationRules.register(r);
        ConvolutionRules.register(r);
        LinearAlgebraRules.register(r);
        NormalizationRules.register(r);
        ShapeRules.register(r);
        ResizeRules.register(r);
        SelectionRules.register(r);
        RoiRules.register(r);
        org.xgradcam.autodiff.rules.QuantizedRules.register(r);
        return r;
    }

    /** The standard rules with guided-backpropagation ReLUs (negative gradients dropped at every ReLU). */
    public static GradientRegistry guided() {
        GradientRegistry r = standard();
        r.register("Relu", (n, c) -> ActivationRules.relu(n, c, true));
        return r;
    }

    public void register(String opType, GradientRule rule) {
        rules.put(opType, rule);
    }

    public Optional<GradientRule> find(String opType) {
        return Optional.ofNullable(rules.get(opType));
    }

    public SortedSet<String> supportedOps() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(rules.keySet()));
    }
}
