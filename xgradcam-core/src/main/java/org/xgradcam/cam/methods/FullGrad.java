package org.xgradcam.cam.methods;

import org.xgradcam.autodiff.BiasTerm;
import org.xgradcam.cam.CamContext;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.LayerMap;
import org.xgradcam.cam.Maps;
import org.xgradcam.image.Resize;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.tensor.FloatTensor;

/**
 * FullGrad (Srinivas and Fleuret 2019) as pytorch-grad-cam computes it: |x * dS/dx| per input
 * channel, plus for every biased convolution |b * dS/d(conv output)| per channel, each channel
 * min-max scaled (eps 1e-7) and resized to the input, all summed. BatchNorm folded into a
 * convolution by the exporter leaves its bias in the convolution's, whose output (before the
 * activation) is where the gradient is taken. The target layer plays no part.
 */
public final class FullGrad implements CamMethod {
    @Override
    public String name() {
        return "FullGrad";
    }

    @Override
    public String id() {
        return "fullgrad";
    }

    @Override
    public Needs needs() {
        return Needs.FULL_GRADIENTS;
    }

    @Override
    public LayerMap compute(CamContext ctx, String layer) {
        return ctx.cached("fullgrad", () -> computeOnce(ctx));
    }

    private LayerMap computeOnce(CamContext ctx) {
        GradientResult run = ctx.fullRun();
        FloatTensor x = ctx.input();
        if (x.rank() != 4) {
            throw new org.xgradcam.XGradCamException(name() + " upsamples bias gradients to an image input [N, C, H, W]; a clip"
                    + " or volume input is not supported by it: use a gradient method (xgradcam, gradcam, layercam, ...)");
        }
        FloatTensor dx = run.inputGradient().orElseThrow();
        int n = x.dim(0);
        int[] size = ctx.inputSize();
        int plane = size[0] * size[1];
        float[] total = new float[n * plane];
        int inC = x.dim(1);
        for (int r = 0; r < n; r++) {
            for (int ch = 0; ch < inC; ch++) {
                float[] m = new float[plane];
                int off = (r * inC + ch) * plane;
                for (int i = 0; i < plane; i++) {
                    m[i] = Math.abs(x.data()[off + i] * dx.data()[off + i]);
                }
                add(total, r * plane, Maps.minMax(m, 1e-7f));
            }
        }
        for (BiasTerm b : ctx.biasTerms()) {
            FloatTensor g = run.biasGradients().get(b.gradient());
            if (g == null || g.rank() != 4 || !(b.opType().equals("Conv") || b.opType().equals("BatchNormalization"))) {
                continue;
            }
            int c = g.dim(1);
            int h = g.dim(2);
            int w = g.dim(3);
            for (int r = 0; r < n; r++) {
                // Resizing is linear, so the min-max scaled channels are summed at the layer's own
                // resolution and resized once: one resize per layer instead of one per channel.
                float[] sum = new float[h * w];
                float[] m = new float[h * w];
                for (int k = 0; k < c; k++) {
                    float bias = b.bias()[k];
                    int off = (r * c + k) * h * w;
                    for (int i = 0; i < h * w; i++) {
                        m[i] = Math.abs(bias * g.data()[off + i]);
                    }
                    add(sum, 0, Maps.minMax(m, 1e-7f));
                }
                add(total, r * plane, Resize.bilinear(sum, h, w, size[0], size[1]));
            }
        }
        return new LayerMap(new FloatTensor(new long[] {n, size[0], size[1]}, total), null, true);
    }

    private static void add(float[] acc, int offset, float[] m) {
        for (int i = 0; i < m.length; i++) {
            acc[offset + i] += m[i];
        }
    }
}
