package org.xgradcam.cam.methods;

import java.util.Random;
import org.xgradcam.cam.CamContext;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.LayerMap;
import org.xgradcam.tensor.FloatTensor;

/**
 * Deep Feature Factorization (Collins et al. 2018) as pytorch-grad-cam arranges it: the
 * activations of the batch, as a C x (N h w) matrix shifted per channel to be non-negative,
 * factorised by NMF into k concepts W (C x k) and their maps H (k x N h w); each concept vector
 * (plus the shift) is scored by the graph after the layer, tiled over space. The map of an image
 * is the map of the concept that scores highest for its target. NMF here uses Lee and Seung's
 * multiplicative updates from a seeded random start, so its concepts are not sklearn's (whose
 * random start differs), but they factorise the same matrix.
 */
public final class DeepFeatureFactorization implements CamMethod {
    private final int concepts;
    private final int iterations;

    public DeepFeatureFactorization() {
        this(5, 300);
    }

    public DeepFeatureFactorization(int concepts, int iterations) {
        this.concepts = concepts;
        this.iterations = iterations;
    }

    @Override
    public String name() {
        return "Deep Feature Factorization";
    }

    @Override
    public String id() {
        return "dff";
    }

    @Override
    public Needs needs() {
        return Needs.ACTIVATIONS;
    }

    /** The factorisation: W [C x k], H [k x cols], and the per-channel shift. */
    public record Factors(double[][] w, double[][] h, double[] offset) {}

    public static Factors factorise(FloatTensor a, int k, int iterations, Random rnd) {
        int n = a.dim(0);
        int c = a.dim(1);
        int hw = a.dim(2) * a.dim(3);
        int cols = n * hw;
        double[][] v = new double[c][cols];
        double[] offset = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double min = Double.POSITIVE_INFINITY;
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < hw; i++) {
                    double x = a.data()[(r * c + ch) * hw + i];
                    v[ch][r * hw + i] = Double.isNaN(x) ? 0 : x;
                    min = Math.min(min, v[ch][r * hw + i]);
                }
            }
            offset[ch] = min;
            for (int j = 0; j < cols; j++) {
                v[ch][j] -= min;
            }
        }
        double mean = 0;
        for (double[] row : v) {
            for (double x : row) {
                mean += x;
            }
        }
        mean /= (double) c * cols;
        double scale = Math.sqrt(Math.max(mean, 1e-12) / k); // sklearn's random init scale
        double[][] w = new double[c][k];
        double[][] h = new double[k][cols];
        for (double[] row : w) {
            for (int j = 0; j < k; j++) {
                row[j] = scale * Math.abs(rnd.nextGaussian());
            }
        }
        for (double[] row : h) {
            for (int j = 0; j < cols; j++) {
                row[j] = scale * Math.abs(rnd.nextGaussian());
            }
        }
        for (int it = 0; it < iterations; it++) {
            // H <- H * (W^T V) / (W^T W H); W <- W * (V H^T) / (W H H^T)
            double[][] wtv = new double[k][cols];
            double[][] wtw = new double[k][k];
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < k; p++) {
                    double wp = w[ch][p];
                    for (int j = 0; j < cols; j++) {
                        wtv[p][j] += wp * v[ch][j];
                    }
                    for (int q = 0; q < k; q++) {
                        wtw[p][q] += wp * w[ch][q];
                    }
                }
            }
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < cols; j++) {
                    double d = 0;
                    for (int q = 0; q < k; q++) {
                        d += wtw[p][q] * h[q][j];
                    }
                    h[p][j] *= wtv[p][j] / (d + 1e-12);
                }
            }
            double[][] hht = new double[k][k];
            for (int p = 0; p < k; p++) {
                for (int q = 0; q < k; q++) {
                    double s = 0;
                    for (int j = 0; j < cols; j++) {
                        s += h[p][j] * h[q][j];
                    }
                    hht[p][q] = s;
                }
            }
            for (int ch = 0; ch < c; ch++) {
                double[] vht = new double[k];
                for (int p = 0; p < k; p++) {
                    double s = 0;
                    for (int j = 0; j < cols; j++) {
                        s += v[ch][j] * h[p][j];
                    }
                    vht[p] = s;
                }
                for (int p = 0; p < k; p++) {
                    double d = 0;
                    for (int q = 0; q < k; q++) {
                        d += w[ch][q] * hht[q][p];
                    }
                    w[ch][p] *= vht[p] / (d + 1e-12);
                }
            }
        }
        return new Factors(w, h, offset);
    }

    @Override
    public LayerMap compute(CamContext ctx, String layer) {
        FloatTensor a = ctx.activations(layer);
        int n = a.dim(0);
        int c = a.dim(1);
        int hh = a.dim(2);
        int ww = a.dim(3);
        int hw = hh * ww;
        int k = Math.min(concepts, c);
        Factors f = factorise(a, k, iterations, ctx.random(id() + layer));
        // score each concept: its vector (plus the shift) at every position, through the graph after the layer
        float[] tiles = new float[k * c * hw];
        for (int p = 0; p < k; p++) {
            for (int ch = 0; ch < c; ch++) {
                java.util.Arrays.fill(tiles, (p * c + ch) * hw, (p * c + ch + 1) * hw, (float) (f.w()[ch][p] + f.offset()[ch]));
            }
        }
        FloatTensor scores = ctx.scoreActivations(layer, new FloatTensor(new long[] {k, c, hh, ww}, tiles));
        float[] cam = new float[n * hw];
        float[] weights = new float[n * k];
        for (int r = 0; r < n; r++) {
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int p = 0; p < k; p++) {
                double s = ctx.targetScore(scores.data(), p, r);
                weights[r * k + p] = (float) s;
                if (s > bestScore) {
                    bestScore = s;
                    best = p;
                }
            }
            for (int i = 0; i < hw; i++) {
                cam[r * hw + i] = (float) f.h()[best][r * hw + i];
            }
        }
        return new LayerMap(new FloatTensor(new long[] {n, hh, ww}, cam), new FloatTensor(new long[] {n, k}, weights));
    }
}
