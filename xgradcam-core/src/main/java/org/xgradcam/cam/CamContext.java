package org.xgradcam.cam;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.tensor.FloatTensor;

/**
 * Everything a method may use for one batch: the input, the shared run's results, the seed
 * (class weights) of each row, and ways to score modified inputs or activations, batched.
 */
public final class CamContext {
    private final FloatTensor input;
    private final GradientResult run;
    private final GradientResult guided;
    private final GradientResult full;
    private final java.util.List<org.xgradcam.autodiff.BiasTerm> biasTerms;
    private final float[][] seeds;
    private final PostProcess convention;
    private final int batchSize;
    private final long randomSeed;
    private final boolean eigenSmooth;
    private final Function<FloatTensor, FloatTensor> modelScores;
    private final LayerScorer tails;
    private final int[] spatial;
    private final Function<FloatTensor, GradientResult> rerun;
    private final Function<FloatTensor, GradientResult> runOnInput;
    private final Function<String, float[][]> classifierWeights;
    private final Function<String, FloatTensor> hessianTimesActivations;
    private final Map<String, Object> cache = new HashMap<>();
    private java.util.List<String> layers = java.util.List.of();
    private ChannelAblation ablation;

    /**
     * The whole model's scores for copies of one image with the same channels ablated at every
     * layer of the run at once: mask [M, C], 1 where row m ablates channel c.
     */
    public interface ChannelAblation {
        FloatTensor scores(int row, FloatTensor mask);
    }

    /** The run's layers, and how to score them ablated together (set by the engine). */
    void allLayers(java.util.List<String> runLayers, ChannelAblation a) {
        this.layers = java.util.List.copyOf(runLayers);
        this.ablation = a;
    }

    /** Every layer of this run, in the order given. */
    public java.util.List<String> layers() {
        return layers;
    }

    /** See {@link ChannelAblation}: the scores [M, ...] of image row {@code row} with the masked channels ablated everywhere. */
    public FloatTensor scoreWithChannelsAblated(int row, FloatTensor mask) {
        return ablation.scores(row, mask);
    }

    public CamContext(FloatTensor input, GradientResult run, GradientResult guided, GradientResult full,
                      java.util.List<org.xgradcam.autodiff.BiasTerm> biasTerms, float[][] seeds,
                      PostProcess convention, int batchSize, long randomSeed, boolean eigenSmooth,
                      Function<FloatTensor, FloatTensor> modelScores, LayerScorer tails, int[] spatial,
                      Function<FloatTensor, GradientResult> rerun, Function<FloatTensor, GradientResult> runOnInput,
                      Function<String, float[][]> classifierWeights, Function<String, FloatTensor> hessianTimesActivations) {
        this.input = input;
        this.run = run;
        this.guided = guided;
        this.full = full;
        this.biasTerms = biasTerms;
        this.seeds = seeds;
        this.convention = convention;
        this.batchSize = batchSize;
        this.randomSeed = randomSeed;
        this.eigenSmooth = eigenSmooth;
        this.modelScores = modelScores;
        this.tails = tails;
        this.spatial = spatial;
        this.rerun = rerun;
        this.runOnInput = runOnInput;
        this.classifierWeights = classifierWeights;
        this.hessianTimesActivations = hessianTimesActivations;
    }

    /**
     * Activations and gradients of the same input for other seeds ([N, classes]): methods whose
     * target depends on the logits (Finer-CAM) pass d(target)/d(logits) at the first run's logits.
     */
    public GradientResult runWithSeeds(FloatTensor seeds) {
        return rerun.apply(seeds);
    }

    /**
     * Activations and gradients of another input of the same shape (a noisy copy, for Smooth
     * Grad-CAM++), for the same targets as this run's: the same seed weights per row.
     */
    public GradientResult runOnInput(FloatTensor otherInput) {
        return runOnInput.apply(otherInput);
    }

    /**
     * The weights [classes][channels] of the linear classifier that reads the layer through a
     * global average pool (the CAM architecture), or an error naming what is in the way.
     */
    public float[][] classifierWeights(String layer) {
        return classifierWeights.apply(layer);
    }

    /**
     * H A at the layer, [N, C, h, w] as the layer is seen: the Hessian of the target score with
     * respect to the activations, times the activations, exact (a second differentiation pass).
     */
    public FloatTensor hessianTimesActivations(String layer) {
        return hessianTimesActivations.apply(layer);
    }

    /** The seed weights of each row (which score entries the target weighs). */
    public float[][] seeds() {
        return seeds.clone();
    }

    public FloatTensor input() {
        return input;
    }

    public int batch() {
        return input.dim(0);
    }

    /** Input height and width. */
    public int[] inputSize() {
        return spatial.clone();
    }

    public FloatTensor activations(String layer) {
        return run.activation(layer);
    }

    public FloatTensor gradients(String layer) {
        return run.gradient(layer);
    }

    /** The bias terms of the full run (FullGrad): which biases, and where their gradients are. */
    public java.util.List<org.xgradcam.autodiff.BiasTerm> biasTerms() {
        return biasTerms;
    }

    public GradientResult run() {
        return run;
    }

    public GradientResult guidedRun() {
        return guided;
    }

    public GradientResult fullRun() {
        return full;
    }

    /** Whether maps come from the first principal component of the weighted activations. */
    public boolean eigenSmooth() {
        return eigenSmooth;
    }

    public PostProcess convention() {
        return convention;
    }

    public int batchSize() {
        return batchSize;
    }

    public Random random(String method) {
        return new Random(randomSeed * 31 + method.hashCode());
    }

    /** The seed (weights over classes) of row r. */
    public float[] seed(int r) {
        return seeds[r];
    }

    /** sum_c seed_r[c] * scores[i, c] for each row i of a score batch, all from image r's seed. */
    public double targetScore(float[] scores, int row, int r) {
        int k = seeds[r].length;
        double s = 0;
        for (int c = 0; c < k; c++) {
            if (seeds[r][c] != 0) {
                s += (double) seeds[r][c] * scores[row * k + c];
            }
        }
        return s;
    }

    private WorkProgress progress = WorkProgress.NONE;
    private String working = "";
    private long expectedRows;
    private long scoredRows;

    /** From here on, model rows scored count towards {@code what} (a method), told to {@code p}. */
    void reporting(WorkProgress p, String what) {
        progress = p;
        working = what;
        expectedRows = 0;
        scoredRows = 0;
    }

    /** A method says how many model rows it is about to score (for its progress). */
    public void expect(long rows) {
        expectedRows += rows;
        progress.step(working, scoredRows, expectedRows);
    }

    private FloatTensor scored(FloatTensor scores, int rows) {
        scoredRows += rows;
        if (expectedRows > 0) {
            progress.step(working, Math.min(scoredRows, expectedRows), expectedRows);
        }
        return scores;
    }

    /** The model's scores [M, classes] for a batch of M inputs, run in chunks of batchSize. */
    public FloatTensor scoreInputs(FloatTensor inputs) {
        return scored(chunked(inputs, batchSize, modelScores), inputs.dim(0));
    }

    /** Scores of the graph after a layer for modified activations, [M, C, h, w] as the layer is seen. */
    public interface LayerScorer {
        /** row: the image whose layer supplies what the view leaves out (a transformer's class token). */
        FloatTensor score(String layer, FloatTensor activations, int row);
    }

    /** Scores of the graph after a layer for a batch of modified activations [M, C, h, w] of image row 0. */
    public FloatTensor scoreActivations(String layer, FloatTensor activations) {
        return scoreActivations(layer, activations, 0);
    }

    /**
     * Scores of the graph after a layer for a batch of modified activations [M, C, h, w] of image
     * {@code row}: for a token layer, that image's leading tokens (class, distillation) go along.
     */
    public FloatTensor scoreActivations(String layer, FloatTensor activations, int row) {
        return scored(chunked(activations, batchSize, x -> tails.score(layer, x, row)), activations.dim(0));
    }

    /** f over xs in chunks of at most batchSize rows along axis 0, the results concatenated. */
    static FloatTensor chunked(FloatTensor xs, int batchSize, Function<FloatTensor, FloatTensor> f) {
        int m = xs.dim(0);
        int per = xs.size() / m;
        FloatTensor first = null;
        float[] out = null;
        int k = 0;
        for (int start = 0; start < m; start += batchSize) {
            int n = Math.min(batchSize, m - start);
            long[] shape = xs.shape();
            shape[0] = n;
            float[] chunk = java.util.Arrays.copyOfRange(xs.data(), start * per, (start + n) * per);
            FloatTensor y = f.apply(new FloatTensor(shape, chunk));
            if (out == null) {
                k = y.size() / n;
                out = new float[m * k];
                first = y;
            }
            System.arraycopy(y.data(), 0, out, start * k, n * k);
        }
        long[] shape = first.shape();
        shape[0] = m;
        return new FloatTensor(shape, out);
    }

    @SuppressWarnings("unchecked")
    public <T> T cached(String key, java.util.function.Supplier<T> make) {
        return (T) cache.computeIfAbsent(key, k -> make.get());
    }
}
