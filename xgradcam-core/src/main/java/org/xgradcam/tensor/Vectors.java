package org.xgradcam.tensor;

/** The two reductions of a score vector that the methods, metrics and tools all need. */
public final class Vectors {
    private Vectors() {}

    /** The index of the largest value; the first one on ties (as numpy.argmax). */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** softmax(v[from .. from + length)), computed in double after subtracting the maximum. */
    public static double[] softmax(float[] v, int from, int length) {
        double[] d = new double[length];
        for (int i = 0; i < length; i++) {
            d[i] = v[from + i];
        }
        return softmax(d);
    }

    public static double[] softmax(float[] v) {
        return softmax(v, 0, v.length);
    }

    public static double[] softmax(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double d : v) {
            max = Math.max(max, d);
        }
        double[] p = new double[v.length];
        double z = 0;
        for (int i = 0; i < v.length; i++) {
            p[i] = Math.exp(v[i] - max);
            z += p[i];
        }
        for (int i = 0; i < v.length; i++) {
            p[i] /= z;
        }
        return p;
    }
}
