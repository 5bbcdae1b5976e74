package org.xgradcam.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.xgradcam.cam.Explainer;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.tensor.Vectors;

/**
 * Faithfulness metrics that re-run the model on perturbed inputs. An input is one preprocessed
 * image [1, C, H, W]; a map is [H, W] in [0, 1]; scores are the softmax probability of the class.
 * Perturbations act on the preprocessed tensor, as pytorch-grad-cam's metrics do.
 */
public final class Faithfulness {
    private final Explainer explainer;

    public Faithfulness(Explainer explainer) {
        this.explainer = explainer;
    }

    /** Softmax probability of class c for each input of a batch. */
    public double[] probabilities(FloatTensor batch, int c) {
        return scores(batch, c, Score.PROBABILITY);
    }

    /** The input with every channel multiplied by the map (the explanation map E * I). */
    public static FloatTensor masked(FloatTensor x, float[] map) {
        float[] d = x.data().clone();
        int plane = map.length;
        for (int i = 0; i < d.length; i++) {
            d[i] *= map[i % plane];
        }
        return new FloatTensor(x.shape(), d);
    }

    /** Y = p_c(x) and O = p_c(x * map), the quantities of the confidence metrics. */
    public record Confidence(double original, double explained) {
        /** Average Drop (Grad-CAM++ paper, Chattopadhay et al. 2018), per image in %: max(0, Y - O) / Y * 100. */
        public double averageDropPercent() {
            return original == 0 ? 0 : Math.max(0, original - explained) / original * 100;
        }

        /** Increase in Confidence (Grad-CAM++ paper): 1 when O > Y; averaged over images it is the rate. */
        public double increase() {
            return explained > original ? 1 : 0;
        }

        /** pytorch-grad-cam's DropInConfidence: max(0, Y - O), absolute, not relative. */
        public double dropInConfidence() {
            return Math.max(0, original - explained);
        }

        /** pytorch-grad-cam's CamMultImageConfidenceChange: O - Y. */
        public double change() {
            return explained - original;
        }
    }

    public Confidence confidence(FloatTensor x, float[] map, int c) {
        double[] p = probabilities(FloatTensor.stack(List.of(x.row(0), masked(x, map).row(0))), c);
        return new Confidence(p[0], p[1]);
    }

    /** A perturbation curve and its area. */
    public record Curve(double[] scores, double auc) {}

    /**
     * Deletion (RISE, Petsiuk et al. 2018): pixels removed (set to 0 in the preprocessed tensor)
     * in decreasing order of the map, `step` pixels at a time; the class probability after each step.
     */
    public Curve deletion(FloatTensor x, float[] map, int c, int step) {
        FloatTensor zeros = FloatTensor.zeros(x.shape());
        return game(x, zeros, map, c, step, true);
    }

    /**
     * Insertion (RISE): pixels of the image inserted into a blurred copy (Gaussian, sigma 5, kernel
     * 11, as RISE) in decreasing order of the map.
     */
    public Curve insertion(FloatTensor x, float[] map, int c, int step) {
        return game(x, blur(x, 11, 5), map, c, step, false);
    }

    private Curve game(FloatTensor x, FloatTensor other, float[] map, int c, int step, boolean deleting) {
        int plane = map.length;
        int channels = x.size() / plane;
        Integer[] order = rank(map);
        int steps = (plane + step - 1) / step;
        List<FloatTensor> states = new ArrayList<>();
        float[] cur = (deleting ? x : other).data().clone();
        float[] target = (deleting ? other : x).data();
        states.add(new FloatTensor(Arrays.copyOfRange(x.shape(), 1, x.rank()), cur.clone()));
        for (int s = 0; s < steps; s++) {
            for (int i = s * step; i < Math.min(plane, (s + 1) * step); i++) {
                int p = order[i];
                for (int ch = 0; ch < channels; ch++) {
                    cur[ch * plane + p] = target[ch * plane + p];
                }
            }
            states.add(new FloatTensor(Arrays.copyOfRange(x.shape(), 1, x.rank()), cur.clone()));
        }
        double[] scores = probabilities(FloatTensor.stack(states), c);
        return new Curve(scores, Curves.auc(scores));
    }

    /** Pixel indices by decreasing map value (ties by position). */
    static Integer[] rank(float[] map) {
        Integer[] order = new Integer[map.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(map[b], map[a]));
        return order;
    }

    /** Separable Gaussian blur of each channel, zero-padded as RISE's conv2d. */
    static FloatTensor blur(FloatTensor x, int size, double sigma) {
        int h = x.dim(2);
        int w = x.dim(3);
        int c = x.dim(1);
        double[] k = new double[size];
        double sum = 0;
        for (int i = 0; i < size; i++) {
            double d = i - (size - 1) / 2.0;
            k[i] = Math.exp(-d * d / (2 * sigma * sigma));
            sum += k[i];
        }
        for (int i = 0; i < size; i++) {
            k[i] /= sum;
        }
        int r = size / 2;
        float[] out = new float[x.size()];
        float[] tmp = new float[h * w];
        for (int ch = 0; ch < c; ch++) {
            int o = ch * h * w;
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    double s = 0;
                    for (int i = -r; i <= r; i++) {
                        int q = xx + i;
                        if (q >= 0 && q < w) {
                            s += k[i + r] * x.data()[o + y * w + q];
                        }
                    }
                    tmp[y * w + xx] = (float) s;
                }
            }
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    double s = 0;
                    for (int i = -r; i <= r; i++) {
                        int q = y + i;
                        if (q >= 0 && q < h) {
                            s += k[i + r] * tmp[q * w + xx];
                        }
                    }
                    out[o + y * w + xx] = (float) s;
                }
            }
        }
        return new FloatTensor(x.shape(), out);
    }

    /** ROAD scores at one removal percentage: MoRF and LeRF scores after imputation. */
    public record Road(double percent, double mostRelevantFirst, double leastRelevantFirst) {}

    /** What a perturbation metric scores: the class's softmax probability, or its logit. */
    public enum Score { PROBABILITY, LOGIT }

    /** ROAD with the class probability and ROAD's own noise (0.01); see the full form. */
    public List<Road> road(FloatTensor x, float[] map, int c, double[] percents, long seed) {
        return road(x, map, c, percents, 0.01, seed, Score.PROBABILITY);
    }

    /**
     * ROAD (Rong et al. 2022) as pytorch-grad-cam computes it: to remove q% of the pixels, the most
     * relevant first (MoRF) are those with map >= the (100 - q)th percentile of the map (numpy's
     * linear percentile), the least relevant first (LeRF) those with 1 - map >= the (100 - q)th
     * percentile of 1 - map; ties at the threshold go together. The removed pixels are imputed
     * (noisy linear, noise std {@code noise}, seeded) and the image scored. A faithful map has a
     * low MoRF score and a high LeRF score; "combined" is the mean of (LeRF - MoRF) / 2.
     */
    public List<Road> road(FloatTensor x, float[] map, int c, double[] percents, double noise, long seed, Score score) {
        int plane = map.length;
        int channels = x.size() / plane;
        int h = x.dim(2);
        int w = x.dim(3);
        float[] inverse = new float[plane];
        for (int i = 0; i < plane; i++) {
            inverse[i] = 1f - map[i];
        }
        float[] sortedMap = map.clone();
        float[] sortedInverse = inverse.clone();
        Arrays.sort(sortedMap);
        Arrays.sort(sortedInverse);
        List<FloatTensor> states = new ArrayList<>();
        Random rnd = new Random(seed);
        for (double pct : percents) {
            for (boolean most : new boolean[] {true, false}) {
                float[] v = most ? map : inverse;
                double threshold = percentile(most ? sortedMap : sortedInverse, 100 - pct);
                boolean[] removed = new boolean[plane];
                for (int i = 0; i < plane; i++) {
                    removed[i] = !(v[i] < threshold);
                }
                states.add(new FloatTensor(Arrays.copyOfRange(x.shape(), 1, x.rank()),
                        Imputation.noisyLinear(x.data(), channels, h, w, removed, noise, rnd)));
            }
        }
        double[] p = scores(FloatTensor.stack(states), c, score);
        List<Road> out = new ArrayList<>();
        for (int i = 0; i < percents.length; i++) {
            out.add(new Road(percents[i], p[2 * i], p[2 * i + 1]));
        }
        return out;
    }

    /** numpy's default (linear) percentile of sorted values, with its interpolation's two forms. */
    static double percentile(float[] sorted, double q) {
        double index = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(index);
        int hi = Math.min(lo + 1, sorted.length - 1);
        double t = index - lo;
        double a = sorted[lo];
        double b = sorted[hi];
        double diff = b - a;
        // numpy's _lerp: a + d t, or b - d (1 - t) from the middle on (exact at both ends)
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    /** Class c's score for each input of a batch: its softmax probability, or its logit. */
    private double[] scores(FloatTensor batch, int c, Score score) {
        FloatTensor y = explainer.logits(batch);
        int n = y.dim(0);
        int k = y.size() / n;
        double[] out = new double[n];
        for (int r = 0; r < n; r++) {
            out[r] = score == Score.PROBABILITY ? Vectors.softmax(y.data(), r * k, k)[c] : y.data()[r * k + c];
        }
        return out;
    }

    public static double roadCombined(List<Road> road) {
        double s = 0;
        for (Road r : road) {
            s += (r.leastRelevantFirst() - r.mostRelevantFirst()) / 2;
        }
        return road.isEmpty() ? 0 : s / road.size();
    }

    /**
     * ADCC (Poppi et al. 2021): the harmonic mean of coherency, 1 - complexity and 1 - average drop.
     * Coherency: Pearson correlation between the map and the map of the same method for x * map
     * (given as `mapOfMasked`), mapped to [0, 1] as (rho + 1) / 2; complexity: the map's mean.
     */
    public static double adcc(float[] map, float[] mapOfMasked, double averageDropFraction) {
        double coherency = (pearson(map, mapOfMasked) + 1) / 2;
        double complexity = 0;
        for (float v : map) {
            complexity += v;
        }
        complexity /= map.length;
        double a = coherency;
        double b = 1 - complexity;
        double d = 1 - averageDropFraction;
        if (a <= 0 || b <= 0 || d <= 0) {
            return 0;
        }
        return 3 / (1 / a + 1 / b + 1 / d);
    }

    /** ARCC's parts for one map (ROAD combined as given, before its doubling), and their combination. */
    public record Arcc(double complexity, double coherency, double road, double arcc) {}

    /**
     * ARCC (arXiv 2605.14641) as pytorch-grad-cam's metrics/arcc.py computes it: complexity = mean
     * |map|; coherency = (Pearson(map, map of x * map) + 1) / 2; ROAD combined (given) doubled and
     * clipped to [0, 1]; ARCC = 3 / (1 / (coherency + 1e-8) + 1 / (1 - complexity + 1e-8) + 1 /
     * (road + 1e-8)), their harmonic mean. Its code comment expects ROAD in [-0.5, 0.5], true of
     * probabilities; with logit targets (as its own test calls it) the clip saturates.
     */
    public static Arcc arcc(float[] map, float[] mapOfMasked, double roadCombined) {
        double complexity = 0;
        for (float v : map) {
            complexity += Math.abs(v);
        }
        complexity /= map.length;
        double coherency = (pearson(map, mapOfMasked) + 1) / 2;
        double road = Math.min(1, Math.max(0, 2 * roadCombined));
        double arcc = 3 / (1 / (coherency + 1e-8) + 1 / ((1 - complexity) + 1e-8) + 1 / (road + 1e-8));
        return new Arcc(complexity, coherency, roadCombined, arcc);
    }

    public static double pearson(float[] a, float[] b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= a.length;
        mb /= b.length;
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
    }

    /** Spearman rank correlation: Pearson of the ranks (ties get their mean rank). */
    public static double spearman(float[] a, float[] b) {
        return pearson(ranks(a), ranks(b));
    }

    private static float[] ranks(float[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (p, q) -> Float.compare(v[p], v[q]));
        float[] r = new float[v.length];
        int i = 0;
        while (i < order.length) {
            int j = i;
            while (j + 1 < order.length && v[order[j + 1]] == v[order[i]]) {
                j++;
            }
            float mean = (i + j) / 2f;
            for (int k = i; k <= j; k++) {
                r[order[k]] = mean;
            }
            i = j + 1;
        }
        return r;
    }
}
