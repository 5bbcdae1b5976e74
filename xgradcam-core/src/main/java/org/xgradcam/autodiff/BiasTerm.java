package org.xgradcam.autodiff;

/**
 * A bias added by a node on the path, with the name of the augmented-model output that holds
 * dL/d(node output). The bias is given broadcastable to that output (batch axis included, of
 * size 1), so sum(bias * gradient) per batch row is this bias's share of the Eq. 5 bias term,
 * and bias * gradient per channel is FullGrad's bias map.
 */
public record BiasTerm(String node, String opType, String output, float[] bias, long[] biasShape, String gradient,
                       String clipInput, float clipMin, float clipMax) {
    public BiasTerm(String node, String opType, String output, float[] bias, long[] biasShape, String gradient) {
        this(node, opType, output, bias, biasShape, gradient, null, 0f, 0f);
    }

    /** A saturating Clip (ReLU6): where its input is beyond a bound, the bound acts as a hidden bias. */
    public boolean isSaturation() {
        return clipInput != null;
    }

    /** Per batch row: sum of bound * gradient over the saturated units (input above max or below min). */
    public double[] saturationContribution(float[] gradient, float[] input, long[] shape) {
        int n = (int) shape[0];
        int rowSize = gradient.length / n;
        double[] out = new double[n];
        for (int r = 0; r < n; r++) {
            double s = 0;
            for (int i = r * rowSize; i < (r + 1) * rowSize; i++) {
                if (input[i] > clipMax) {
                    s += (double) clipMax * gradient[i];
                } else if (input[i] < clipMin) {
                    s += (double) clipMin * gradient[i];
                }
            }
            out[r] = s;
        }
        return out;
    }

    /** Per batch row: sum over all positions of bias * gradient, gradient being [N, ...] row-major. */
    public double[] contribution(float[] gradient, long[] gradientShape) {
        int n = (int) gradientShape[0];
        int rowSize = gradient.length / n;
        double[] out = new double[n];
        int rank = gradientShape.length;
        for (int r = 0; r < n; r++) {
            double s = 0;
            for (int i = 0; i < rowSize; i++) {
                s += (double) gradient[r * rowSize + i] * bias[biasIndex(i, gradientShape, rank)];
            }
            out[r] = s;
        }
        return out;
    }

    /** Index into the bias of the element at flat per-row offset i, under broadcasting. */
    public int biasIndex(int i, long[] gradientShape, int rank) {
        int idx = 0;
        int stride = 1;
        int rest = i;
        for (int d = rank - 1; d >= 1; d--) {
            int size = (int) gradientShape[d];
            int coord = rest % size;
            rest /= size;
            int bsize = (int) biasShape[d];
            idx += (bsize == 1 ? 0 : coord) * stride;
            stride *= bsize;
        }
        return idx;
    }
}
