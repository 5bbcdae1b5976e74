package org.xgradcam.onnx;

import java.util.Arrays;

/**
 * Static facts of one tensor at the input size the model is specialised for: element type (ONNX
 * TensorProto.DataType code) and shape, measured at batch size 1. Axis 0 is the batch axis for
 * every tensor on the differentiated path.
 */
public record TensorInfo(String name, int elemType, long[] shape) {
    public static final int FLOAT = 1;

    public boolean isFloat() {
        return elemType == FLOAT;
    }

    public int rank() {
        return shape.length;
    }

    /** The shape with the batch axis dropped. */
    public long[] perSample() {
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public String shapeString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : "x").append(i == 0 ? "N" : Long.toString(shape[i]));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(shape);
    }
}
