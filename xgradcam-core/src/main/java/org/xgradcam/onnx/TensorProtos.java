package org.xgradcam.onnx;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/** Conversions between TensorProto and Java arrays (raw_data is little-endian, as the format says). */
public final class TensorProtos {
    private TensorProtos() {}

    public static TensorProto ofFloats(String name, float[] data, long... dims) {
        ByteBuffer buf = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(data);
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(boxed(dims)).setRawData(ByteString.copyFrom(buf.array())).build();
    }

    public static TensorProto ofLongs(String name, long[] data, long... dims) {
        ByteBuffer buf = ByteBuffer.allocate(8 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.asLongBuffer().put(data);
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
                .addAllDims(boxed(dims)).setRawData(ByteString.copyFrom(buf.array())).build();
    }

    private static java.util.List<Long> boxed(long[] dims) {
        return java.util.Arrays.stream(dims).boxed().toList();
    }

    public static long[] dims(TensorProto t) {
        return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** Values of a float, double or integer tensor as floats; external data is read from baseDir. */
    public static float[] toFloats(TensorProto t, Path baseDir) {
        int n = Math.toIntExact(org.xgradcam.tensor.FloatTensor.numel(dims(t)));
        ByteString raw = rawBytes(t, baseDir);
        float[] out = new float[n];
        switch (t.getDataType()) {
            case TensorProto.DataType.FLOAT_VALUE -> {
                if (raw != null) {
                    raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
                } else {
                    for (int i = 0; i < n; i++) {
                        out[i] = t.getFloatData(i);
                    }
                }
            }
            case TensorProto.DataType.DOUBLE_VALUE -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (raw != null
                            ? raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getDouble(8 * i)
                            : t.getDoubleData(i));
                }
            }
            case TensorProto.DataType.FLOAT16_VALUE, TensorProto.DataType.BFLOAT16_VALUE -> {
                boolean half = t.getDataType() == TensorProto.DataType.FLOAT16_VALUE;
                java.nio.ByteBuffer b = raw == null ? null : raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    int bits = (b != null ? b.getShort(2 * i) : t.getInt32Data(i)) & 0xffff; // int32_data holds the 16 bits
                    out[i] = half ? halfToFloat(bits) : Float.intBitsToFloat(bits << 16);
                }
            }
            default -> {
                long[] l = toLongs(t, baseDir);
                for (int i = 0; i < n; i++) {
                    out[i] = l[i];
                }
            }
        }
        return out;
    }

    /** An IEEE 754 half-precision value (its 16 bits) as a float. */
    static float halfToFloat(int bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13)); // infinity or NaN
        }
        if (exponent == 0) {
            float v = mantissa * 0x1p-24f; // zero or subnormal
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** Values of an integer tensor (int64, int32, int8/uint8, bool) as longs. */
    public static long[] toLongs(TensorProto t, Path baseDir) {
        int n = Math.toIntExact(org.xgradcam.tensor.FloatTensor.numel(dims(t)));
        ByteString raw = rawBytes(t, baseDir);
        long[] out = new long[n];
        ByteBuffer b = raw == null ? null : raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        switch (t.getDataType()) {
            case TensorProto.DataType.INT64_VALUE -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b != null ? b.getLong(8 * i) : t.getInt64Data(i);
                }
            }
            case TensorProto.DataType.INT32_VALUE -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b != null ? b.getInt(4 * i) : t.getInt32Data(i);
                }
            }
            case TensorProto.DataType.INT8_VALUE, TensorProto.DataType.UINT8_VALUE, TensorProto.DataType.BOOL_VALUE -> {
                boolean unsigned = t.getDataType() != TensorProto.DataType.INT8_VALUE;
                for (int i = 0; i < n; i++) {
                    int v = b != null ? b.get(i) : t.getInt32Data(i);
                    out[i] = unsigned ? (v & 0xff) : v;
                }
            }
            case TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.DOUBLE_VALUE -> {
                float[] f = toFloats(t, baseDir);
                for (int i = 0; i < n; i++) {
                    out[i] = (long) f[i];
                }
            }
            default -> throw new XGradCamException("tensor '" + t.getName() + "' has data type "
                    + t.getDataType() + ", which xgradcam cannot read as numbers");
        }
        return out;
    }

    private static ByteString rawBytes(TensorProto t, Path baseDir) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return readExternal(t, baseDir);
        }
        return t.hasRawData() ? t.getRawData() : null;
    }

    private static ByteString readExternal(TensorProto t, Path baseDir) {
        ExternalData.Region r = ExternalData.locate(t, baseDir, null, "the model");
        return ByteString.copyFrom(ExternalData.read(r));
    }
}
