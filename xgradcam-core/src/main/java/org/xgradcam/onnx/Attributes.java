package org.xgradcam.onnx;

import java.util.Optional;
import org.xgradcam.onnx.proto.OnnxProto.AttributeProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/** Reading and making node attributes. */
public final class Attributes {
    private Attributes() {}

    public static Optional<AttributeProto> find(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    public static long getInt(NodeProto node, String name, long fallback) {
        return find(node, name).map(AttributeProto::getI).orElse(fallback);
    }

    public static float getFloat(NodeProto node, String name, float fallback) {
        return find(node, name).map(AttributeProto::getF).orElse(fallback);
    }

    public static String getString(NodeProto node, String name, String fallback) {
        return find(node, name).map(a -> a.getS().toStringUtf8()).orElse(fallback);
    }

    public static long[] getInts(NodeProto node, String name, long[] fallback) {
        return find(node, name)
                .map(a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray())
                .orElse(fallback);
    }

    public static Optional<TensorProto> getTensor(NodeProto node, String name) {
        return find(node, name).filter(AttributeProto::hasT).map(AttributeProto::getT);
    }

    public static AttributeProto ofInt(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    public static AttributeProto ofFloat(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    public static AttributeProto ofString(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
    }

    public static AttributeProto ofFloats(String name, float... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
        for (float x : v) {
            b.addFloats(x);
        }
        return b.build();
    }

    public static AttributeProto ofInts(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    public static AttributeProto ofTensor(String name, TensorProto t) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(t).build();
    }
}
