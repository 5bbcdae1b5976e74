package org.xgradcam.cam.methods;

import java.util.function.DoubleBinaryOperator;
import org.xgradcam.cam.CamContext;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.LayerMap;
import org.xgradcam.tensor.FloatTensor;

/**
 * Methods that combine activations and gradients position by position, with no channel
 * weights: map = sum_k f(A_k, G_k).
 */
public final class ElementwiseCam implements CamMethod {
    private final String name;
    private final String id;
    private final DoubleBinaryOperator f;

    private ElementwiseCam(String name, String id, DoubleBinaryOperator f) {
        this.name = name;
        this.id = id;
        this.f = f;
    }

    /** HiResCAM (Draelos and Carin 2020): sum_k G_k * A_k, the gradient not pooled. */
    public static ElementwiseCam hiResCam() {
        return new ElementwiseCam("HiResCAM", "hirescam", (a, g) -> a * g);
    }

    /** Grad-CAM element-wise (pytorch-grad-cam): sum_k relu(G_k * A_k). */
    public static ElementwiseCam gradCamElementWise() {
        return new ElementwiseCam("Grad-CAM element-wise", "gradcamelementwise", (a, g) -> Math.max(a * g, 0));
    }

    /** LayerCAM (Jiang et al. 2021): sum_k relu(G_k) * A_k. */
    public static ElementwiseCam layerCam() {
        return new ElementwiseCam("LayerCAM", "layercam", (a, g) -> Math.max(g, 0) * a);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public LayerMap compute(CamContext ctx, String layer) {
        FloatTensor a = ctx.activations(layer);
        FloatTensor g = ctx.gradients(layer);
        int n = a.dim(0);
        int c = a.dim(1);
        int hw = a.dim(2) * a.dim(3);
        float[] cam = new float[n * hw];
        for (int r = 0; r < n; r++) {
            if (ctx.eigenSmooth()) {
                double[][] x = new double[hw][c];
                for (int k = 0; k < c; k++) {
                    for (int i = 0; i < hw; i++) {
                        int j = (r * c + k) * hw + i;
                        x[i][k] = f.applyAsDouble(a.data()[j], g.data()[j]);
                    }
                }
                double[] p = Pca.firstProjection(Pca.centre(x));
                for (int i = 0; i < hw; i++) {
                    cam[r * hw + i] = (float) p[i];
                }
                continue;
            }
            for (int i = 0; i < hw; i++) {
                double s = 0;
                for (int k = 0; k < c; k++) {
                    int j = (r * c + k) * hw + i;
                    s += f.applyAsDouble(a.data()[j], g.data()[j]);
                }
                cam[r * hw + i] = (float) s;
            }
        }
        return new LayerMap(new FloatTensor(new long[] {n, a.dim(2), a.dim(3)}, cam), null);
    }
}
