package org.xgradcam.tensor;

import java.util.Arrays;

/** A dense row-major float32 tensor: the currency between the runtime, the CAM methods and IO. */
public final class FloatTensor {
    private final long[] shape;
    private final float[] data;

    public FloatTensor(long[] shape, float[] data) {
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " holds " + n + " values, data has " + data.length);
        }
        this.shape = shape.clone();
        this.data = data;
    }

    public static FloatTensor zeros(long... shape) {
        return new FloatTensor(shape, new float[Math.toIntExact(numel(shape))]);
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return Math.toIntExact(shape[axis < 0 ? shape.length + axis : axis]);
    }

    /** The backing array, shared, not copied: callers that modify it own the consequences. */
    public float[] data() {
        return data;
    }

    public int size() {
        return data.length;
    }

    /** The i-th slice along axis 0 (one batch row), copied. */
    public FloatTensor row(int i) {
        int rowSize = data.length / dim(0);
        float[] out = Arrays.copyOfRange(data, i * rowSize, (i + 1) * rowSize);
        return new FloatTensor(Arrays.copyOfRange(shape, 1, shape.length), out);
    }

    public FloatTensor reshape(long... newShape) {
        return new FloatTensor(newShape, data);
    }

    /** Stacks equally shaped tensors along a new leading axis. */
    public static FloatTensor stack(java.util.List<FloatTensor> rows) {
        long[] inner = rows.get(0).shape;
        long[] shape = new long[inner.length + 1];
        shape[0] = rows.size();
        System.arraycopy(inner, 0, shape, 1, inner.length);
        int rowSize = rows.get(0).data.length;
        float[] out = new float[rowSize * rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            if (!Arrays.equals(rows.get(i).shape, inner)) {
                throw new IllegalArgumentException("cannot stack shapes " + Arrays.toString(inner)
                        + " and " + Arrays.toString(rows.get(i).shape));
            }
            System.arraycopy(rows.get(i).data, 0, out, i * rowSize, rowSize);
        }
        return new FloatTensor(shape, out);
    }

    @Override
    public String toString() {
        return "FloatTensor" + Arrays.toString(shape);
    }
}
