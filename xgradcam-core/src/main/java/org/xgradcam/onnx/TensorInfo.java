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

    /** Whether its values are floating point of any width (fp32, fp16, bf16, fp64): gradients pass through them. */
    public boolean isFloating() {
        return isFloating(elemType);
    }

    public static boolean isFloating(int elemType) {
        return elemType == FLOAT || elemType == 10 || elemType == 16 || elemType == 11;
    }

    /** Whether it holds 8-bit integers (a quantized tensor's type). */
    public boolean isInt8() {
        return elemType == 2 || elemType == 3;
    }

    /** Its element type in the words layer lists use: fp32, fp16, bf16, fp64, uint8, int8, int32, ... */
    public String typeName() {
        return typeName(elemType);
    }

    public static String typeName(int elemType) {
        return switch (elemType) {
            case 1 -> "fp32";
            case 10 -> "fp16";
            case 16 -> "bf16";
            case 11 -> "fp64";
            case 2 -> "uint8";
            case 3 -> "int8";
            case 4 -> "uint16";
            case 5 -> "int16";
            case 6 -> "int32";
            case 7 -> "int64";
            case 9 -> "bool";
            default -> "type " + elemType;
        };
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
