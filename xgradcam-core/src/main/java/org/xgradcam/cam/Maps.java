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
        float min = Float.POSITIVE_INFINITY;
        for (float x : v) {
            min = Math.min(min, x);
        }
        float[] out = new float[v.length];
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] - min;
            max = Math.max(max, out[i]);
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
