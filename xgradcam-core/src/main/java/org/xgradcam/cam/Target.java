package org.xgradcam.cam;

import java.util.Arrays;
import org.xgradcam.XGradCamException;
import org.xgradcam.runtime.GradientSession.Seed;
import org.xgradcam.tensor.FloatTensor;

/**
 * What score a map explains, per batch row: the top class (default), given classes, or a
 * weighted mix of class logits. Scores are pre-softmax logits, as in XGrad-CAM.py and
 * pytorch-grad-cam.
 */
public final class Target {
    private final int[] classes;       // null for top class / mix
    private final float[] mix;         // null unless a mix

    private Target(int[] classes, float[] mix) {
        this.classes = classes;
        this.mix = mix;
    }

    public static Target topClass() {
        return new Target(null, null);
    }

    /** The same class for every row, or one class per row. */
    public static Target classes(int... classes) {
        if (classes.length == 0) {
            throw new XGradCamException("no class given");
        }
        return new Target(classes.clone(), null);
    }

    /** S = sum_c weights[c] * logit_c for every row. */
    public static Target mix(float[] weights) {
        return new Target(null, weights.clone());
    }

    public boolean isTopClass() {
        return classes == null && mix == null;
    }

    public Seed seed(int batch, int numClasses) {
        if (mix != null) {
            if (mix.length != numClasses) {
                throw new XGradCamException("the class mix has " + mix.length + " weights; the model has " + numClasses
                        + " classes");
            }
            float[] w = new float[batch * numClasses];
            for (int r = 0; r < batch; r++) {
                System.arraycopy(mix, 0, w, r * numClasses, numClasses);
            }
            return Seed.of(new FloatTensor(new long[] {batch, numClasses}, w));
        }
        if (classes == null) {
            return Seed.topClass();
        }
        return Seed.classes(perRow(batch), numClasses);
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

    /** The seed row (weights over classes) that row r of this target used, given its logits. */
    public float[] seedRow(int r, float[] logitsRow) {
        if (mix != null) {
            return mix.clone();
        }
        float[] s = new float[logitsRow.length];
        s[classOf(r, logitsRow)] = 1f;
        return s;
    }

    /** The class a row is explained for (for a mix: its largest weight). */
    public int classOf(int r, float[] logitsRow) {
        if (mix != null) {
            return argmax(mix);
        }
        if (classes == null) {
            return argmax(logitsRow);
        }
        return classes.length == 1 ? classes[0] : classes[r];
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
