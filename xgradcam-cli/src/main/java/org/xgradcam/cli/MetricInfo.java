package org.xgradcam.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What each value evaluate reports means, and which way is better: the report's definitions
 * table and its best marks come from here (docs/metrics.md gives the sources).
 */
record MetricInfo(String definition, Better better) {
    enum Better { HIGHER, LOWER, NEITHER }

    static final Map<String, MetricInfo> ALL = new LinkedHashMap<>();

    static {
        put("average_drop_percent", "per image max(0, Y - O) / Y x 100, Y the class probability of the image, O that of"
                + " the image multiplied by the map (Grad-CAM++)", Better.LOWER);
        put("increase_in_confidence", "share of images with O > Y (Grad-CAM++)", Better.HIGHER);
        put("pgc_drop_in_confidence", "max(0, Y - O), absolute (pytorch-grad-cam)", Better.LOWER);
        put("pgc_confidence_change", "O - Y (pytorch-grad-cam)", Better.HIGHER);
        put("deletion_auc", "area under the probability as the most relevant pixels are set to 0 (RISE)", Better.LOWER);
        put("insertion_auc", "area under the probability as the most relevant pixels are restored into a blurred copy"
                + " (RISE)", Better.HIGHER);
        put("road_morf_mean", "probability after removing the 10 to 90% most relevant pixels (map at or above its"
                + " percentile), filled by noisy linear imputation (ROAD)", Better.LOWER);
        put("road_lerf_mean", "the same, removing the least relevant pixels (ROAD)", Better.HIGHER);
        put("road_combined", "mean of (LeRF - MoRF) / 2 (ROAD)", Better.HIGHER);
        put("adcc", "harmonic mean of coherency, 1 - complexity and 1 - average drop (Poppi et al.)", Better.HIGHER);
        put("arcc_complexity", "mean |map| (ARCC's complexity)", Better.LOWER);
        put("arcc_coherency", "(Pearson(map, map of the image times the map) + 1) / 2 (ARCC's coherency)", Better.HIGHER);
        put("arcc_road_logit", "ROAD combined over removing 20/40/60/80%, on the class logit (ARCC's ROAD term before"
                + " doubling and clipping to [0, 1])", Better.HIGHER);
        put("arcc", "harmonic mean of coherency, 1 - complexity and the clipped ROAD term (ARCC, pytorch-grad-cam)",
                Better.HIGHER);
        put("pointing_game", "1 when the map's maximum lies in a box of the class", Better.HIGHER);
        put("energy_pointing_game", "share of the map's mass inside the class's boxes", Better.HIGHER);
        put("localisation_error", "0 when the box around the map's largest region above the threshold overlaps a box of"
                + " the class with IoU >= 0.5, else 1", Better.LOWER);
        put("conservation_residual", "|S - sum of the raw map| / |S|, S the class logit (XGrad-CAM's conservation)",
                Better.LOWER);
        put("sensitivity_residual", "mean over channels of |S - S without the channel - its weight x its sum| / |S|"
                + " (XGrad-CAM's sensitivity)", Better.LOWER);
        put("sanity_spearman", "Spearman correlation with the map of the model re-initialised after the layer; a map that"
                + " does not change does not explain the model (Adebayo et al.)", Better.LOWER);
    }

    private static void put(String name, String definition, Better better) {
        ALL.put(name, new MetricInfo(definition, better));
    }

    static MetricInfo of(String name) {
        return ALL.getOrDefault(name, new MetricInfo("", Better.NEITHER));
    }
}
