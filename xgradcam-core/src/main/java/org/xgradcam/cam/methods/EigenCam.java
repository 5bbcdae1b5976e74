package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.LayerMap;
import org.xgradcam.tensor.FloatTensor;

/**
 * Eigen-CAM (Muhammad and Yeasin 2020), EigenGrad-CAM and Seg-Eigen-CAM: the projection of the
 * (h*w) x C matrix of activations (or activations times gradients, or times their absolute
 * value), centred per channel, on its first principal direction. The sign of a singular vector is
 * arbitrary (LAPACK's choice in pytorch-grad-cam's Eigen-CAM); here it is fixed so that the map's
 * largest-magnitude cell is positive, which is Seg-Eigen-CAM's sign correction (flip when
 * |min| > |max|) but for exact ties, where that rule is applied as written.
 */
public final class EigenCam implements CamMethod {
    private final boolean withGradients;
    private final boolean kernel;
    private final boolean absoluteGradients;

    private EigenCam(boolean withGradients, boolean kernel) {
        this(withGradients, kernel, false);
    }

    private EigenCam(boolean withGradients, boolean kernel, boolean absoluteGradients) {
        this.withGradients = withGradients;
        this.kernel = kernel;
        this.absoluteGradients = absoluteGradients;
    }

    /**
     * Seg-Eigen-CAM (Chung and Ying 2025), as pytorch-grad-cam's SegEigenCAM: Eigen-CAM of
     * |dS/dA| * A, made for segmentation targets (a class over a region keeps both signs of the
     * gradient).
     */
    public static EigenCam segEigenCam() {
        return new EigenCam(true, false, true);
    }

    /**
     * KPCA-CAM (Karmani et al. 2024) as pytorch-grad-cam computes it: kernel PCA (sigmoid kernel,
     * gamma = 1 / C, sklearn's defaults) of the centred activations instead of linear PCA.
     */
    public static EigenCam kpcaCam() {
        return new EigenCam(false, true);
    }

    public static EigenCam eigenCam() {
        return new EigenCam(false, false);
    }

    public static EigenCam eigenGradCam() {
        return new EigenCam(true, false);
    }

    @Override
    public String name() {
        return kernel ? "KPCA-CAM" : absoluteGradients ? "Seg-Eigen-CAM" : withGradients ? "EigenGrad-CAM" : "Eigen-CAM";
    }

    @Override
    public String id() {
        return kernel ? "kpcacam" : absoluteGradients ? "segeigencam" : withGradients ? "eigengradcam" : "eigencam";
    }

    @Override
    public Needs needs() {
        return withGradients ? Needs.GRADIENTS : Needs.ACTIVATIONS;
    }

    @Override
    public LayerMap compute(CamContext ctx, String layer) {
        FloatTensor a = ctx.activations(layer);
        FloatTensor g = withGradients ? ctx.gradients(layer) : null;
        int n = a.dim(0);
        int c = a.dim(1);
        int hw = a.dim(2) * a.dim(3);
        float[] cam = new float[n * hw];
        for (int r = 0; r < n; r++) {
            double[][] x = new double[hw][c];
            for (int k = 0; k < c; k++) {
                double mean = 0;
                for (int i = 0; i < hw; i++) {
                    int j = (r * c + k) * hw + i;
                    double v = a.data()[j] * (g == null ? 1.0 : absoluteGradients ? Math.abs(g.data()[j]) : g.data()[j]);
                    x[i][k] = Double.isNaN(v) ? 0 : v;
                    mean += x[i][k];
                }
                mean /= hw;
                for (int i = 0; i < hw; i++) {
                    x[i][k] -= mean;
                }
            }
            double[] p = kernel ? Pca.firstKernelProjection(x) : Pca.firstProjection(x);
            if (absoluteGradients) {
                flipWhereTheMinimumIsLarger(p);
            }
            for (int i = 0; i < hw; i++) {
                cam[r * hw + i] = (float) p[i];
            }
        }
        return new LayerMap(new FloatTensor(new long[] {n, a.dim(2), a.dim(3)}, cam), null);
    }

    /** Seg-Eigen-CAM's sign correction as written: negate when |min| > |max| (ties stay). */
    private static void flipWhereTheMinimumIsLarger(double[] p) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : p) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (Math.abs(min) > Math.abs(max)) {
            for (int i = 0; i < p.length; i++) {
                p[i] = -p[i];
            }
        }
    }
}
