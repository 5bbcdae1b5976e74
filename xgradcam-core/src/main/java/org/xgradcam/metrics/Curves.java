package org.xgradcam.metrics;

/** Areas under perturbation curves. */
public final class Curves {
    private Curves() {}

    /** The trapezoidal area under y sampled at equal steps over [0, 1]. */
    public static double auc(double[] y) {
        if (y.length < 2) {
            return y.length == 1 ? y[0] : 0;
        }
        double s = 0;
        for (int i = 1; i < y.length; i++) {
            s += (y[i - 1] + y[i]) / 2;
        }
        return s / (y.length - 1);
    }
}
