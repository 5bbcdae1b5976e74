package org.xgradcam.cam;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xgradcam.autodiff.AugmentedModel;
import org.xgradcam.runtime.BackwardCopiesSession;
import org.xgradcam.runtime.ForwardSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;

/**
 * The pieces of {@link Explainer#explainEach} for a model that runs one image at a time: the
 * sessions of one layer (a forward that outputs what the part after the layer reads, that part's
 * backward copies by count), how many copies a run should hold, and the check that the part gave
 * the whole model's scores.
 */
final class SharedForward {
    private SharedForward() {}

    /** The most backward copies in one graph: the graph grows with each, the forward is shared by all. */
    static final int BACKWARD_COPIES = 8;

    /**
     * How many backward copies a run should hold for {@code rest} more targets, from what one copy
     * cost to build (a session start grows with the graph, a copy's nodes each time) and to run
     * (the tail's forward about half of it, as a backward without weight gradients costs about a
     * forward): the count of 1, 2, 4 or 8 that minimises the estimated time.
     */
    static int backwardCopies(int rest, long buildNanos, long runNanos) {
        int best = 1;
        double bestCost = Double.MAX_VALUE;
        double half = runNanos / 2.0;
        for (int c = 1; c <= BACKWARD_COPIES; c *= 2) {
            int full = rest / c;
            int left = rest % c;
            // sessions of c and (for a last, shorter run) of the remainder copies; the one copy's is built
            double build = (c == 1 || full == 0 ? 0 : (double) buildNanos * c) + (left > 1 ? (double) buildNanos * left : 0);
            double cost = build + full * (half + c * half) + (left > 0 ? half + left * half : 0);
            if (cost < bestCost) {
                bestCost = cost;
                best = c;
            }
        }
        return best;
    }

    /** The forward that outputs what the tail is fed, the tail's gradient model, and its backward copies by count. */
    static final class FedSession implements AutoCloseable {
        private final List<String> fed;
        private final List<String> outputs;
        private final ForwardSession forward;
        private final AugmentedModel tail;
        private final String layer;
        private final Map<Integer, BackwardCopiesSession> copies = new HashMap<>();

        FedSession(List<String> fed, List<String> outputs, ForwardSession forward, AugmentedModel tail, String layer) {
            this.fed = fed;
            this.outputs = List.copyOf(outputs);
            this.forward = forward;
            this.tail = tail;
            this.layer = layer;
        }

        List<String> fed() {
            return fed;
        }

        /** What the forward gives: the fed values it computes, the layer, the score. */
        List<String> outputs() {
            return outputs;
        }

        ForwardSession forward() {
            return forward;
        }

        synchronized BackwardCopiesSession copies(int n, RuntimeOptions options) {
            return copies.computeIfAbsent(n, c -> new BackwardCopiesSession(tail, layer, c, options));
        }

        @Override
        public synchronized void close() {
            forward.close();
            copies.values().forEach(BackwardCopiesSession::close);
        }
    }


    /** The last entry any seed weighs (the seeds are [score...] each). */
    static int lastSeeded(List<FloatTensor> seeds) {
        int last = -1;
        for (FloatTensor seed : seeds) {
            for (int i = seed.size() - 1; i > last; i--) {
                if (seed.data()[i] != 0) {
                    last = i;
                    break;
                }
            }
        }
        return last;
    }

    /**
     * The same shape and the same first {@code upTo} values to 1e-4 of the largest (a tail's float
     * sums may run in another order).
     */
    static boolean sameScores(FloatTensor a, FloatTensor b, int upTo) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            return false;
        }
        double scale = 1;
        for (float v : b.data()) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < Math.min(upTo, a.size()); i++) {
            if (!(Math.abs(a.data()[i] - b.data()[i]) <= 1e-4 * scale)) {
                return false;
            }
        }
        return true;
    }
}
