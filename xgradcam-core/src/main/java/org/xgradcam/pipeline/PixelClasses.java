package org.xgradcam.pipeline;

import java.util.stream.IntStream;
import org.xgradcam.cam.Target;

/**
 * Targets for segmentation models, whose score is [1, K, H, W]: as in pytorch-grad-cam's semantic
 * segmentation example, a class is explained over the pixels it wins (its argmax mask), and with
 * no class given, the class that wins the most pixels is explained. A volume's scores
 * [1, K, D, H, W] are its D slices stacked ([1, K, D * H, W]): pixels are voxels.
 */
public final class PixelClasses {
    private final int classes;
    private final int h;
    private final int w;

    public PixelClasses(long[] scoreShape) {
        this.classes = (int) scoreShape[1];
        this.h = (int) (scoreShape.length == 5 ? scoreShape[2] * scoreShape[3] : scoreShape[2]);
        this.w = (int) scoreShape[scoreShape.length - 1];
    }

    public int classes() {
        return classes;
    }

    /** The winning class of every pixel of one image's scores [K * H * W]. */
    public int[] winners(float[] scores) {
        int plane = h * w;
        int[] win = new int[plane];
        for (int p = 0; p < plane; p++) {
            int best = 0;
            for (int k = 1; k < classes; k++) {
                if (scores[k * plane + p] > scores[best * plane + p]) {
                    best = k;
                }
            }
            win[p] = best;
        }
        return win;
    }

    /** Each class's share of the pixels, from their winners. */
    public double[] shares(int[] winners) {
        double[] share = new double[classes];
        for (int c : winners) {
            share[c] += 1.0 / winners.length;
        }
        return share;
    }

    public int[] ranked(double[] share, int k) {
        return IntStream.range(0, classes).boxed().sorted((a, b) -> Double.compare(share[b], share[a]))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    /**
     * The pixels that class cls wins as the mask. A class that wins no pixel is explained over the
     * whole image rather than over an empty mask.
     */
    public Target target(int[] winners, int cls) {
        float[] mask = new float[winners.length];
        boolean any = false;
        for (int p = 0; p < winners.length; p++) {
            if (winners[p] == cls) {
                mask[p] = 1f;
                any = true;
            }
        }
        if (!any) {
            java.util.Arrays.fill(mask, 1f);
        }
        return Target.segmentation(cls, mask, h, w);
    }
}
