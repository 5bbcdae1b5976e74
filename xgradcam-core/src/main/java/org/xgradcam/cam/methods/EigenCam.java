package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.LayerMap;
import org.xgradcam.tensor.FloatTensor;

/**
 * Eigen-CAM (Muhammad and Yeasin 2020) and EigenGrad-CAM: the projection of the (h*w) x C
 * matrix of activations (or activations times gradients), centred per channel, on its first
 * principal direction. The sign of a singular vector is arbitrary (LAPACK's choice in
 * pytorch-grad-cam); here it is fixed so that the map's largest-magnitude cell is positive.
 */
public final class EigenCam implements CamMethod {
    private final boolean withGradients;
    private final boolean kernel;

    private EigenCam(boolean withGradients, boolean kernel) {
        this.withGradients = withGradients;
        this.kernel = kernel;
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
        return kernel ? "KPCA-CAM" : withGradients ? "EigenGrad-CAM" : "Eigen-CAM";
    }

    @Override
    public String id() {
        return kernel ? "kpcacam" : withGradients ? "eigengradcam" : "eigencam";
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
                    double v = a.data()[j] * (g == null ? 1.0 : g.data()[j]);
                    x[i][k] = Double.isNaN(v) ? 0 : v;
                    mean += x[i][k];
                }
                mean /= hw;
                for (int i = 0; i < hw; i++) {
                    x[i][k] -= mean;
                }
            }
            double[] p = kernel ? Pca.firstKernelProjection(x) : Pca.firstProjection(x);
            for (int i = 0; i < hw; i++) {
                cam[r * hw + i] = (float) p[i];
            }
        }
        return new LayerMap(new FloatTensor(new long[] {n, a.dim(2), a.dim(3)}, cam), null);
    }
}
