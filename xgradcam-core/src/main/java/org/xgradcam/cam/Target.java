package org.xgradcam.cam;

import java.util.Arrays;
import org.xgradcam.XGradCamException;
import org.xgradcam.autodiff.GradientRequest.ScoreTransform;
import org.xgradcam.runtime.GradientSession.Seed;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.tensor.Vectors;

/**
 * What score a map explains, per batch row. Scores are pre-softmax logits unless said otherwise,
 * as in XGrad-CAM.py and pytorch-grad-cam.
 * <ul>
 * <li>{@link #topClass()}: each row's top class (default), chosen inside the graph;
 * <li>{@link #classes(int...)}: one class for all rows, or one per row;
 * <li>{@link #probability(int...)}: the softmax probability of a class instead of its logit;
 * <li>{@link #mix(float[])}: S = sum_c w_c logit_c;
 * <li>{@link #segmentation(int, float[], int, int)}: for models with per-pixel scores [N, K, H, W],
 *     the sum of class k's scores inside a mask;
 * <li>{@link #embedding(float[], boolean)}: similarity of the output vector to a given embedding,
 *     as a dot product or a cosine;
 * <li>{@link #scoreWeights(float[], int)}: any weighting of one image's score entries, whatever the
 *     score's shape (a detection: one class attribute of one anchor of a dense head).
 * </ul>
 */
public final class Target {
    private enum Kind { TOP, CLASSES, PROBABILITY, MIX, SEGMENTATION, EMBEDDING, SCORE_WEIGHTS, ROWS }

    private final Kind kind;
    private final int[] classes;
    private final float[] weights;   // mix weights, mask, or embedding
    private final boolean cosine;
    private final java.util.List<Target> rows; // ROWS: one target per batch row

    private Target(Kind kind, int[] classes, float[] weights, boolean cosine) {
        this(kind, classes, weights, cosine, null);
    }

    private Target(Kind kind, int[] classes, float[] weights, boolean cosine, java.util.List<Target> rows) {
        this.kind = kind;
        this.classes = classes;
        this.weights = weights;
        this.cosine = cosine;
        this.rows = rows;
    }

    /**
     * Row r of a batch explained for targets.get(r) (several detections of one image, its copies
     * in a batch); the targets score the logits as they are (no softmax or normalisation).
     */
    public static Target perRow(java.util.List<Target> targets) {
        if (targets.isEmpty()) {
            throw new XGradCamException("no target given");
        }
        for (Target t : targets) {
            if (t.kind == Kind.ROWS || t.kind == Kind.TOP || t.transform() != ScoreTransform.NONE) {
                throw new IllegalArgumentException("a per-row target is made of fixed logit targets");
            }
        }
        return new Target(Kind.ROWS, null, null, false, java.util.List.copyOf(targets));
    }

    public static Target topClass() {
        return new Target(Kind.TOP, null, null, false);
    }

    public static Target classes(int... classes) {
        if (classes.length == 0) {
            throw new XGradCamException("no class given");
        }
        return new Target(Kind.CLASSES, classes.clone(), null, false);
    }

    public static Target probability(int... classes) {
        if (classes.length == 0) {
            throw new XGradCamException("no class given");
        }
        return new Target(Kind.PROBABILITY, classes.clone(), null, false);
    }

    public static Target mix(float[] weights) {
        return new Target(Kind.MIX, null, weights.clone(), false);
    }

    /** Class k's per-pixel scores summed inside mask (h x w, row-major, any non-negative weights). */
    public static Target segmentation(int classIndex, float[] mask, int h, int w) {
        if (mask.length != h * w) {
            throw new XGradCamException("the mask has " + mask.length + " values, not " + h + "x" + w);
        }
        return new Target(Kind.SEGMENTATION, new int[] {classIndex, h, w}, mask.clone(), false);
    }

    /** Similarity of the model's output vector to e: dot product, or cosine (e and output normalised). */
    public static Target embedding(float[] e, boolean cosine) {
        float[] v = e.clone();
        if (cosine) {
            double n = 0;
            for (float x : v) {
                n += x * x;
            }
            n = Math.sqrt(n);
            if (n == 0) {
                throw new XGradCamException("the embedding is all zeros; cosine similarity is undefined");
            }
            for (int i = 0; i < v.length; i++) {
                v[i] /= (float) n;
            }
        }
        return new Target(Kind.EMBEDDING, null, v, cosine);
    }

    /**
     * S = sum_i w_i score_i over one image's score entries, flattened (a dense detection head's
     * [4+K, N], say); {@code label} is the class it stands for, as reported.
     */
    public static Target scoreWeights(float[] weights, int label) {
        return new Target(Kind.SCORE_WEIGHTS, new int[] {label}, weights.clone(), false);
    }

    public boolean isTopClass() {
        return kind == Kind.TOP;
    }

    /** The transform the augmented model applies to the score before the seed weighs it. */
    public ScoreTransform transform() {
        return switch (kind) {
            case PROBABILITY -> ScoreTransform.SOFTMAX;
            case EMBEDDING -> cosine ? ScoreTransform.L2_NORMALIZE : ScoreTransform.NONE;
            default -> ScoreTransform.NONE;
        };
    }

    /** The seed for a batch, given the score's shape at batch size 1. */
    public Seed seed(int batch, long[] scoreShape) {
        if (kind == Kind.ROWS) {
            if (batch != rows.size()) {
                throw new XGradCamException(rows.size() + " targets for a batch of " + batch + " rows");
            }
            java.util.List<FloatTensor> each = new java.util.ArrayList<>();
            for (Target t : rows) {
                FloatTensor w = t.seed(1, scoreShape).weights();
                if (w == null) {
                    throw new IllegalStateException("a per-row target needs explicit seeds");
                }
                each.add(w.row(0));
            }
            return Seed.of(FloatTensor.stack(each));
        }
        int numClasses = scoreShape.length > 1 ? (int) scoreShape[1] : 0; // a detector's scores [D] have no class axis
        switch (kind) {
            case TOP -> {
                return Seed.topClass();
            }
            case CLASSES, PROBABILITY -> {
                requireVector(scoreShape);
                return Seed.classes(perRow(batch), numClasses);
            }
            case MIX, EMBEDDING -> {
                requireVector(scoreShape);
                if (weights.length != numClasses) {
                    throw new XGradCamException("the " + (kind == Kind.MIX ? "class mix" : "embedding") + " has "
                            + weights.length + " values; the model's output has " + numClasses);
                }
                float[] w = new float[batch * numClasses];
                for (int r = 0; r < batch; r++) {
                    System.arraycopy(weights, 0, w, r * numClasses, numClasses);
                }
                return Seed.of(new FloatTensor(new long[] {batch, numClasses}, w));
            }
            case SCORE_WEIGHTS -> {
                if (scoreShape.length == 1) {
                    // a detector's scores [D]: one image, no batch axis
                    if (batch != 1 || weights.length != scoreShape[0]) {
                        throw new XGradCamException("the score weights have " + weights.length + " values for "
                                + batch + " image(s); the model's scores " + Arrays.toString(scoreShape) + " are one image's");
                    }
                    return Seed.of(new FloatTensor(scoreShape.clone(), weights.clone()));
                }
                long per = 1;
                for (int i = 1; i < scoreShape.length; i++) {
                    per *= scoreShape[i];
                }
                if (weights.length != per) {
                    throw new XGradCamException("the score weights have " + weights.length + " values; one image's score "
                            + Arrays.toString(scoreShape) + " has " + per);
                }
                long[] shape = scoreShape.clone();
                shape[0] = batch;
                float[] w = new float[(int) (batch * per)];
                for (int r = 0; r < batch; r++) {
                    System.arraycopy(weights, 0, w, (int) (r * per), (int) per);
                }
                return Seed.of(new FloatTensor(shape, w));
            }
            case SEGMENTATION -> {
                boolean volume = scoreShape.length == 5 && scoreShape[2] * scoreShape[3] == classes[1] && scoreShape[4] == classes[2];
                if (!volume && (scoreShape.length != 4 || scoreShape[2] != classes[1] || scoreShape[3] != classes[2])) {
                    throw new XGradCamException("a segmentation target needs per-pixel scores [N, K, " + classes[1] + ", "
                            + classes[2] + "]; the model's score has shape " + Arrays.toString(scoreShape));
                }
                if (classes[0] < 0 || classes[0] >= numClasses) {
                    throw new XGradCamException("class index " + classes[0] + " is out of range: the model has "
                            + numClasses + " classes (0 to " + (numClasses - 1) + ")");
                }
                int plane = classes[1] * classes[2];
                float[] w = new float[batch * numClasses * plane];
                for (int r = 0; r < batch; r++) {
                    System.arraycopy(weights, 0, w, (r * numClasses + classes[0]) * plane, plane);
                }
                long[] shape = scoreShape.clone();
                shape[0] = batch;
                return Seed.of(new FloatTensor(shape, w));
            }
            default -> throw new IllegalStateException();
        }
    }

    private void requireVector(long[] scoreShape) {
        if (scoreShape.length != 2) {
            throw new XGradCamException("this target needs a [N, classes] score; the model's has shape "
                    + Arrays.toString(scoreShape) + " (use a segmentation target for per-pixel scores)");
        }
    }

    private int[] perRow(int batch) {
        if (classes.length == 1) {
            int[] c = new int[batch];
            Arrays.fill(c, classes[0]);
            return c;
        }
        if (classes.length != batch) {
            throw new XGradCamException(classes.length + " target classes for a batch of " + batch
                    + " images; give one class, or one per image");
        }
        return classes;
    }

    /**
     * The seed row (weights over the score entries of one image) this target used, given that
     * row's raw score, for methods that re-score inputs (Score-CAM, Ablation-CAM): there the
     * target score is seed . raw score (probability and cosine targets use their logit/dot part).
     */
    public float[] seedRow(int r, float[] scoreRow) {
        return switch (kind) {
            case ROWS -> rows.get(r).seedRow(0, scoreRow);
            case MIX, EMBEDDING, SCORE_WEIGHTS -> weights.clone();
            case SEGMENTATION -> {
                float[] s = new float[scoreRow.length];
                int plane = classes[1] * classes[2];
                System.arraycopy(weights, 0, s, classes[0] * plane, plane);
                yield s;
            }
            default -> {
                float[] s = new float[scoreRow.length];
                s[classOf(r, scoreRow)] = 1f;
                yield s;
            }
        };
    }

    /** The class a row is explained for (a mix: its largest weight; an embedding: -1). */
    public int classOf(int r, float[] scoreRow) {
        return switch (kind) {
            case TOP -> Vectors.argmax(scoreRow);
            case CLASSES, PROBABILITY -> classes.length == 1 ? classes[0] : classes[r];
            case MIX -> Vectors.argmax(weights);
            case SEGMENTATION, SCORE_WEIGHTS -> classes[0];
            case EMBEDDING -> -1;
            case ROWS -> rows.get(r).classOf(0, scoreRow);
        };
    }
}
