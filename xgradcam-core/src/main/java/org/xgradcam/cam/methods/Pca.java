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
     * Kernel PCA's first component (sklearn's KernelPCA, n_components=1) with the sigmoid kernel
     * K = tanh(gamma X X^T + 1), gamma = 1 / C: the top eigenvector u of the doubly centred K,
     * times sqrt(lambda), sign-fixed like {@link #firstProjection}. The sigmoid kernel is not
     * positive semi-definite, so K is shifted by its row-sum bound before power iteration, which
     * then finds the largest (not the largest-magnitude) eigenvalue.
     */
    static double[] firstKernelProjection(double[][] x) {
        int m = x.length;
        int c = m == 0 ? 0 : x[0].length;
        double gamma = 1.0 / c;
        double[][] k = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = i; j < m; j++) {
                double s = 0;
                for (int q = 0; q < c; q++) {
                    s += x[i][q] * x[j][q];
                }
                k[i][j] = Math.tanh(gamma * s + 1);
                k[j][i] = k[i][j];
            }
        }
        double[] rowMean = new double[m];
        double all = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                rowMean[i] += k[i][j] / m;
            }
            all += rowMean[i] / m;
        }
        double bound = 0;
        for (int i = 0; i < m; i++) {
            double row = 0;
            for (int j = 0; j < m; j++) {
                k[i][j] = k[i][j] - rowMean[i] - rowMean[j] + all;
                row += Math.abs(k[i][j]);
            }
            bound = Math.max(bound, row);
        }
        for (int i = 0; i < m; i++) {
            k[i][i] += bound;
        }
        double[] eig = topEigen(k);
        double lambda = eig[m] - bound;
        double scale = Math.sqrt(Math.max(lambda, 0));
        double[] p = new double[m];
        for (int i = 0; i < m; i++) {
            p[i] = scale * eig[i];
        }
        return p;
    }

    /**
     * Top eigenvector (first m entries; its largest-magnitude entry made positive) and its
     * eigenvalue (entry m) by power iteration; the start is not orthogonal to it in practice.
     */
    private static double[] topEigen(double[][] a) {
        int m = a.length;
        double[] u = new double[m];
        for (int i = 0; i < m; i++) {
            u[i] = 1.0 + 0.01 * i;
        }
        double lambda = 0;
        for (int it = 0; it < 100_000; it++) {
            double[] next = new double[m];
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int j = 0; j < m; j++) {
                    s += a[i][j] * u[j];
                }
                next[i] = s;
            }
            double norm = 0;
            for (double v : next) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                return new double[m + 1];
            }
            double change = 0;
            for (int i = 0; i < m; i++) {
                next[i] /= norm;
                change = Math.max(change, Math.abs(next[i] - u[i]));
            }
            u = next;
            lambda = norm;
            if (change < 1e-13) {
                break;
            }
        }
        int big = 0;
        for (int i = 1; i < m; i++) {
            if (Math.abs(u[i]) > Math.abs(u[big])) {
                big = i;
            }
        }
        double[] out = new double[m + 1];
        for (int i = 0; i < m; i++) {
            out[i] = u[big] < 0 ? -u[i] : u[i];
        }
        out[m] = lambda;
        return out;
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
        // the Gram matrix is positive semi-definite: its largest-magnitude eigenvalue is sigma1^2
        double[] eig = topEigen(gram);
        double sigma = Math.sqrt(Math.max(eig[m], 0));
        double[] p = new double[m];
        for (int i = 0; i < m; i++) {
            p[i] = sigma * eig[i];
        }
        return p;
    }
}
