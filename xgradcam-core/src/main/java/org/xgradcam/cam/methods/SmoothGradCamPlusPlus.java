package org.xgradcam.cam.methods;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamContext;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.LayerMap;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.tensor.FloatTensor;

/**
 * Smooth Grad-CAM++ (Omeiza et al. 2019) exactly as torch-cam's SmoothGradCAMpp computes it
 * (defaults: 4 samples, noise std 0.3 on the input tensor): with g_s the gradients for the noisy
 * inputs x + N(0, std^2), D2 = mean_s g_s^2 and D3 = mean_s g_s^3,
 * alpha = D2 / (2 D2 + sum_ij(D3 A) + 1e-8) with A the clean input's activations, and
 * w_k = sum_ij alpha relu(g_last). As in torch-cam, g_last and the activations the weights
 * multiply are those of the last noisy sample (its hooks keep the last forward's). One extra
 * forward and backward per sample.
 */
public final class SmoothGradCamPlusPlus implements CamMethod {
    private final int samples;
    private final float std;
    private final List<FloatTensor> noise;

    private SmoothGradCamPlusPlus(int samples, float std, List<FloatTensor> noise) {
        if (samples < 1 || samples > 1000 || !(std >= 0) || !Float.isFinite(std)) {
            throw new XGradCamException("Smooth Grad-CAM++ needs 1 to 1000 samples and a finite std >= 0, got "
                    + samples + " and " + std);
        }
        this.samples = samples;
        this.std = std;
        this.noise = noise;
    }

    /** torch-cam's defaults: 4 samples, std 0.3, noise drawn from the request's random seed. */
    public SmoothGradCamPlusPlus() {
        this(4, 0.3f, null);
    }

    public static SmoothGradCamPlusPlus of(int samples, float std) {
        return new SmoothGradCamPlusPlus(samples, std, null);
    }

    /** Given noise draws (each shaped like the input batch), e.g. the same as another implementation's. */
    public static SmoothGradCamPlusPlus withNoise(List<FloatTensor> draws) {
        return new SmoothGradCamPlusPlus(draws.size(), 0f, List.copyOf(draws));
    }

    @Override
    public String name() {
        return "Smooth Grad-CAM++";
    }

    @Override
    public String id() {
        return "smoothgradcamplusplus";
    }

    @Override
    public String cost() {
        return "a forward and backward per noise sample (" + samples + " samples)";
    }

    @Override
    public LayerMap compute(CamContext ctx, String layer) {
        FloatTensor x = ctx.input();
        FloatTensor a0 = ctx.activations(layer);
        int n = a0.dim(0);
        int c = a0.dim(1);
        int hw = a0.dim(2) * a0.dim(3);
        double[] d2 = new double[a0.size()];
        double[] d3 = new double[a0.size()];
        Random rnd = ctx.random(id() + layer);
        GradientResult last = null;
        for (int s = 0; s < samples; s++) {
            float[] noisy = x.data().clone();
            if (noise != null) {
                float[] z = noise.get(s).data();
                if (z.length != noisy.length) {
                    throw new XGradCamException("noise draw " + s + " holds " + z.length + " values, the input " + noisy.length);
                }
                for (int i = 0; i < noisy.length; i++) {
                    noisy[i] += z[i];
                }
            } else {
                for (int i = 0; i < noisy.length; i++) {
                    noisy[i] += (float) (rnd.nextGaussian() * std);
                }
            }
            last = ctx.runOnInput(new FloatTensor(x.shape(), noisy));
            float[] g = last.gradient(layer).data();
            for (int i = 0; i < g.length; i++) {
                double v = g[i];
                d2[i] += v * v / samples;
                d3[i] += v * v * v / samples;
            }
        }
        float[] gLast = last.gradient(layer).data();
        float[] aLast = last.activation(layer).data();
        float[] cam = new float[n * hw];
        float[] weights = new float[n * c];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < c; k++) {
                int base = (r * c + k) * hw;
                double sum = 0;
                for (int i = 0; i < hw; i++) {
                    sum += d3[base + i] * a0.data()[base + i];
                }
                double w = 0;
                for (int i = 0; i < hw; i++) {
                    double alpha = d2[base + i] / (2 * d2[base + i] + sum + 1e-8);
                    w += alpha * Math.max(0f, gLast[base + i]);
                }
                weights[r * c + k] = (float) w;
                for (int i = 0; i < hw; i++) {
                    cam[r * hw + i] += (float) (w * aLast[base + i]);
                }
            }
        }
        return new LayerMap(new FloatTensor(new long[] {n, a0.dim(2), a0.dim(3)}, cam),
                new FloatTensor(new long[] {n, c}, weights));
    }
}
