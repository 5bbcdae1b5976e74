package org.xgradcam.cam;

/**
 * Told how far long work inside one explanation has got (the perturbation methods' model runs:
 * Score-CAM and its family, Ablation-CAM, Deep Feature Factorization), so a front end can show it.
 * Called on the explaining thread; must be quick.
 */
@FunctionalInterface
public interface WorkProgress {
    /** {@code what} (e.g. "Score-CAM") has done {@code done} of {@code total} model rows. */
    void step(String what, long done, long total);

    WorkProgress NONE = (what, done, total) -> { };
}
