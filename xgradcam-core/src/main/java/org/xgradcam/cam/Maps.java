package org.xgradcam.cam;

/** Small array operations on maps. */
public final class Maps {
    private Maps() {}

    public static float[] relu(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] > 0 ? v[i] : 0f;
        }
        return out;
    }

    /**
     * (x - min) / (max + eps) with max taken after subtracting min; a map whose range is 0
     * (flat or all zero) becomes all zeros, never NaN.
     */
    public static float[] minMax(float[] v, float eps) {
        // plain comparisons (Math.min/max on floats branch on NaN and -0.0, 3x slower here); a NaN
        // made every result NaN, hence zeros, before: kept; a zero minimum keeps Math.min's -0.0
        float min = Float.POSITIVE_INFINITY;
        boolean nan = false;
        for (float x : v) {
            min = x < min ? x : min;
            nan |= x != x;
        }
        if (nan) {
            return new float[v.length];
        }
        if (min == 0f) {
            for (float x : v) {
                min = Math.min(min, x);
            }
        }
        float[] out = new float[v.length];
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < v.length; i++) {
            float o = v[i] - min;
            out[i] = o;
            max = o > max ? o : max;
        }
        float d = max + eps;
        if (!(d > 0) || Float.isNaN(d)) {
            return new float[v.length];
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= d;
        }
        return out;
    }
}
