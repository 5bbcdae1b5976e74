package org.xgradcam.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.onnx.TensorProtos;
import org.xgradcam.onnx.proto.OnnxProto.AttributeProto;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.ModelProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.OperatorSetIdProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorShapeProto;
import org.xgradcam.onnx.proto.OnnxProto.TypeProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;

/** Builds small ONNX models in tests, one node at a time. */
public final class TestGraph {
    private final long opset;
    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
    private int counter;

    public TestGraph(long opset) {
        this.opset = opset;
    }

    public long opset() {
        return opset;
    }

    /** A float input whose axis 0 is a free batch axis; shape[0] is ignored. */
    public String input(String name, long... shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int i = 0; i < shape.length; i++) {
            s.addDim(i == 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(shape[i]));
        }
        graph.addInput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))));
        return name;
    }

    public String constant(float[] data, long... dims) {
        String name = "c" + (counter++);
        graph.addInitializer(TensorProtos.ofFloats(name, data, dims));
        return name;
    }

    public String random(Random rnd, float scale, long... dims) {
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * scale);
        }
        return constant(v, dims);
    }

    public String ints(long... values) {
        return intsShaped(values, values.length);
    }

    /** An int64 constant of any shape (no dims: a scalar). */
    public String intsShaped(long[] values, long... dims) {
        String name = "i" + (counter++);
        graph.addInitializer(TensorProtos.ofLongs(name, values, dims));
        return name;
    }

    public String node(String op, List<String> inputs, AttributeProto... attrs) {
        return nodeN(op, inputs, 1, attrs).get(0);
    }

    /** An 8-bit constant (uint8 or int8: quantized weights and zero points; no dims: a scalar). */
    public String bytes(boolean signed, byte[] values, long... dims) {
        String name = "q" + (counter++);
        org.xgradcam.onnx.proto.OnnxProto.TensorProto.Builder t = org.xgradcam.onnx.proto.OnnxProto.TensorProto.newBuilder()
                .setName(name).setDataType(signed ? 3 : 2).setRawData(com.google.protobuf.ByteString.copyFrom(values));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    private final java.util.Set<String> domains = new java.util.TreeSet<>();

    /** A node of another operator domain (com.microsoft's contrib ops), imported at version 1. */
    public String nodeIn(String domain, String op, List<String> inputs, AttributeProto... attrs) {
        domains.add(domain);
        String out = op.toLowerCase() + "_" + (counter++);
        graph.addNode(NodeProto.newBuilder().setOpType(op).setDomain(domain).setName(op + "_" + counter).addAllInput(inputs)
                .addOutput(out).addAllAttribute(Arrays.asList(attrs)));
        return out;
    }

    public List<String> nodeN(String op, List<String> inputs, int outputs, AttributeProto... attrs) {
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            outs.add(op.toLowerCase() + "_" + (counter++));
        }
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(op + "_" + counter).addAllInput(inputs)
                .addAllOutput(outs).addAllAttribute(Arrays.asList(attrs)));
        return outs;
    }

    public OnnxModel build(String... outputs) {
        GraphProto.Builder g = graph.clone();
        for (String o : outputs) {
            g.addOutput(ValueInfoProto.newBuilder().setName(o)
                    .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))));
        }
        long ir = opset <= 14 ? 7 : opset <= 18 ? 8 : 9;
        ModelProto.Builder mb = ModelProto.newBuilder().setIrVersion(ir).setProducerName("xgradcam-tests")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
        for (String d : domains) {
            mb.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(d).setVersion(1));
        }
        ModelProto m = mb.setGraph(g).build();
        return new OnnxModel(m, null, "test model");
    }
}
