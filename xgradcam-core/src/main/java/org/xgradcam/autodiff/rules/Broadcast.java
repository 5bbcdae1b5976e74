package org.xgradcam.autodiff.rules;

import java.util.Arrays;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;

/** Undoing numpy-style broadcasting: the gradient of a broadcast input is summed over the copies. */
final class Broadcast {
    private Broadcast() {}

    /**
     * Reduces a gradient of shape outShape to inShape. Both are static at batch size 1; axis 0 of
     * a same-rank input is its batch axis and never reduced (an input on the path has the batch).
     */
    static String unbroadcast(BackwardContext c, String grad, long[] outShape, long[] inShape) {
        Emitter e = c.emit();
        boolean batch = !c.singleImage(); // one image per run: axis 0 is an ordinary axis, reduced like any other
        if (Arrays.equals(outShape, inShape)) {
            return grad;
        }
        int lead = outShape.length - inShape.length;
        String g = grad;
        if (lead > 0) {
            long[] axes = new long[lead];
            for (int i = 0; i < lead; i++) {
                axes[i] = i;
            }
            g = e.reduceSum(g, axes, false);
        }
        long[] keep = java.util.stream.IntStream.range(0, inShape.length)
                .filter(i -> (lead > 0 || i > 0 || !batch) && inShape[i] == 1 && outShape[i + lead] != 1)
                .asLongStream().toArray();
        return e.reduceSum(g, keep, true);
    }
}
