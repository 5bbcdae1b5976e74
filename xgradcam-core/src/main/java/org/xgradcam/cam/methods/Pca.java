package org.xgradcam.cam.methods;

/** The first principal projection of a small centred matrix, without a linear-algebra library. */
final class Pca {
    private Pca() {}

    /** Subtracts each column's mean (in place) and returns the matrix. */
    static double[][] centre(double[][] x) {
        int m = x.length;
        int c = m == 0 ? 0 : x[0].length;
        for (int k = 0; k < c; k++) {
            double mean = 0;
            for (double[] row : x) {
                mean += row[k];
            }
            mean /= m;
            for (double[] row : x) {
                row[k] -= mean;
            }
        }
        return x;
    }

    /**
     * X v1 for the first right singular vector v1 of X (m x c), computed as sigma1 u1 from the
     * m x m Gram matrix X X^T (m = h*w is small for CAM layers) by power iteration, sign-fixed
     * so that the largest-magnitude entry is positive.
     */
    static double[] firstProjection(double[][] x) {
        int m = x.length;
        int c = m == 0 ? 0 : x[0].length;
        double[][] gram = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = i; j < m; j++) {
                double s = 0;
                for (int k = 0; k < c; k++) {
                    s += x[i][k] * x[j][k];
                }
                gram[i][j] = s;
                gram[j][i] = s;
            }
        }
        double[] u = new double[m];
        for (int i = 0; i < m; i++) {
            u[i] = 1.0 + 0.01 * i; // not orthogonal to the top eigenvector in practice
        }
        double lambda = 0;
        for (int it = 0; it < 10000; it++) {
            double[] next = new double[m];
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int j = 0; j < m; j++) {
                    s += gram[i][j] * u[j];
                }
                next[i] = s;
            }
            double norm = 0;
            for (double v : next) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                return new double[m];
            }
            double change = 0;
            for (int i = 0; i < m; i++) {
                next[i] /= norm;
                change = Math.max(change, Math.abs(next[i] - u[i]));
            }
            u = next;
            lambda = norm;
            if (change < 1e-12) {
                break;
            }
        }
        double sigma = Math.sqrt(lambda);
        int big = 0;
        for (int i = 1; i < m; i++) {
            if (Math.abs(u[i]) > Math.abs(u[big])) {
                big = i;
            }
        }
        double sign = u[big] < 0 ? -1 : 1;
        double[] p = new double[m];
        for (int i = 0; i < m; i++) {
            p[i] = sign * sigma * u[i];
        }
        return p;
    }
}
