package org.xgradcam.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorShapeProto;
import org.xgradcam.onnx.proto.OnnxProto.TypeProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * The shape probe of a large graph, run one segment of nodes (in topological order) at a time:
 * each segment is a model of its own whose inputs are the values earlier segments computed
 * (copied, and dropped after their last reader), and whose outputs are all its tensors. The
 * values are the forward's own, so the shapes equal a single run's, in time and memory linear in
 * the graph (ONNX Runtime's cost of one run exposing every tensor grows with nodes x outputs).
 */
final class SegmentedProbe {
    private SegmentedProbe() {}

    /**
     * Types and shapes of every tensor (and recorded small integer values), or null where a
     * value crossing two segments is not a plain tensor (a sequence, strings): the caller then
     * probes in one run.
     */
    static Map<String, TensorInfo> probe(Graph graph, String inputName, long[] inputShape, Map<String, long[]> extra,
                                         float[] values, Map<String, long[]> recorded, int segment) {
        List<NodeProto> nodes = graph.nodes();
        // the last node (by position) that reads each tensor, control flow's subgraph reads included
        Map<String, Integer> lastRead = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String in : Graph.dependencies(nodes.get(i))) {
                lastRead.put(in, i);
            }
        }
        GraphProto original = graph.model().proto().getGraph();
        Map<String, TensorProto> initializers = new HashMap<>();
        for (TensorProto t : original.getInitializerList()) {
            initializers.putIfAbsent(t.getName(), t);
        }
        OrtEnvironment env = OrtSessions.environment();
        Map<String, TensorInfo> out = new HashMap<>();
        out.put(inputName, new TensorInfo(inputName, TensorInfo.FLOAT, inputShape));
        Map<String, OnnxTensor> live = new HashMap<>();
        try {
            live.put(inputName, OnnxTensor.createTensor(env, values != null ? FloatBuffer.wrap(values)
                    : FloatBuffer.allocate((int) org.xgradcam.tensor.FloatTensor.numel(inputShape)), inputShape));
            for (var e : extra.entrySet()) {
                live.put(e.getKey(), OnnxTensor.createTensor(env,
                        FloatBuffer.allocate((int) org.xgradcam.tensor.FloatTensor.numel(e.getValue())), e.getValue()));
            }
            for (int start = 0; start < nodes.size(); start += segment) {
                int end = Math.min(nodes.size(), start + segment);
                if (!runSegment(graph, inputName, nodes.subList(start, end), end, initializers, lastRead, live, out, recorded,
                        env)) {
                    return null;
                }
                // values no later node reads are dropped (the image stays: every segment takes it)
                for (var it = live.entrySet().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    if (lastRead.getOrDefault(e.getKey(), -1) < end && !e.getKey().equals(inputName)) {
                        e.getValue().close();
                        it.remove();
                    }
                }
            }
        } catch (OrtException e) {
            throw new XGradCamException("ONNX Runtime cannot run " + graph.model().source() + " on an input of shape "
                    + Arrays.toString(inputShape) + ": " + OrtSessions.firstLine(e.getMessage()), e);
        } finally {
            live.values().forEach(OnnxTensor::close);
        }
        return out;
    }

    /** Runs one segment; returns false where a value it must pass on is not a plain tensor. */
    private static boolean runSegment(Graph graph, String inputName, List<NodeProto> nodes, int end,
                                      Map<String, TensorProto> initializers,
                                      Map<String, Integer> lastRead, Map<String, OnnxTensor> live, Map<String, TensorInfo> out,
                                      Map<String, long[]> recorded, OrtEnvironment env) throws OrtException {
        GraphProto.Builder g = GraphProto.newBuilder().setName("probe");
        Set<String> produced = new HashSet<>();
        Set<String> inputs = new LinkedHashSet<>(List.of(inputName)); // every segment a model with an input
        Set<String> weights = new LinkedHashSet<>();
        for (NodeProto n : nodes) {
            for (String in : Graph.dependencies(n)) {
                if (produced.contains(in)) {
                    continue;
                }
                if (live.containsKey(in)) {
                    inputs.add(in);
                } else if (initializers.containsKey(in)) {
                    weights.add(in);
                }
                // else: a name a subgraph defines for itself, or a missing input ONNX Runtime names
            }
            for (String o : n.getOutputList()) {
                if (!o.isEmpty()) {
                    produced.add(o);
                }
            }
            g.addNode(n);
        }
        Map<String, OnnxTensor> feeds = new HashMap<>();
        for (String in : inputs) {
            OnnxTensor t = live.get(in);
            if (!in.equals(inputName) && t.getInfo().getNumElements() <= SMALL_VALUES) {
                // a small value (a shape, sizes, an empty roi) goes in as a constant, as ONNX Runtime's
                // shape inference saw it in the whole graph
                g.addInitializer(constant(in, t));
                continue;
            }
            g.addInput(valueInfo(in, t.getInfo()));
            feeds.put(in, t);
        }
        for (String w : weights) {
            g.addInitializer(initializers.get(w));
        }
        for (String o : produced) {
            g.addOutput(ValueInfoProto.newBuilder().setName(o));
        }
        OnnxModel model = graph.model().withProto(graph.model().proto().toBuilder().setGraph(g).build());
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            opts.addConfigEntry("session.disable_prepacking", "1");
            opts.disablePerSessionThreads();
            try (OrtSession session = OrtSessions.create(env, model, opts);
                 OrtSession.Result r = OrtSessions.run(session, feeds, null)) {
                for (Map.Entry<String, OnnxValue> e : r) {
                    boolean passedOn = lastRead.getOrDefault(e.getKey(), -1) >= end;
                    if (!(e.getValue() instanceof OnnxTensor t)) {
                        if (passedOn) {
                            return false;
                        }
                        continue;
                    }
                    ModelShapes.record(e.getKey(), t, out, recorded);
                    if (passedOn) {
                        OnnxTensor copy = copy(env, t);
                        if (copy == null) {
                            return false;
                        }
                        live.put(e.getKey(), copy);
                    }
                }
            }
        }
        return true;
    }

    /** Values passed on as constants rather than inputs: at most this many elements. */
    static final int SMALL_VALUES = 256;

    private static TensorProto constant(String name, OnnxTensor t) {
        ai.onnxruntime.TensorInfo info = t.getInfo();
        java.nio.ByteBuffer bytes = t.getByteBuffer().order(java.nio.ByteOrder.nativeOrder());
        java.nio.ByteBuffer le = java.nio.ByteBuffer.allocate(bytes.remaining()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int width = ExternalData.elementBytes(ModelShapes.onnxType(info.type));
        if (width <= 1 || java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN) {
            le.put(bytes);
        } else {
            for (int i = 0; i < bytes.remaining(); i += width) {
                for (int b = width - 1; b >= 0; b--) {
                    le.put(bytes.get(bytes.position() + i + b));
                }
            }
        }
        TensorProto.Builder p = TensorProto.newBuilder().setName(name).setDataType(ModelShapes.onnxType(info.type))
                .setRawData(com.google.protobuf.ByteString.copyFrom(le.flip()));
        for (long d : info.getShape()) {
            p.addDims(d);
        }
        return p.build();
    }

    private static ValueInfoProto valueInfo(String name, ai.onnxruntime.TensorInfo info) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : info.getShape()) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(ModelShapes.onnxType(info.type)).setShape(s))).build();
    }

    /** A tensor of our own holding the same values (the run's result is released with it), or null for strings. */
    private static OnnxTensor copy(OrtEnvironment env, OnnxTensor t) throws OrtException {
        ai.onnxruntime.TensorInfo info = t.getInfo();
        if (info.type == OnnxJavaType.STRING || info.type == OnnxJavaType.UNKNOWN) {
            return null;
        }
        if (info.type == OnnxJavaType.FLOAT) {
            return OnnxTensor.createTensor(env, t.getFloatBuffer(), info.getShape());
        }
        java.nio.ByteBuffer bytes = t.getByteBuffer();
        java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(bytes.remaining()).order(java.nio.ByteOrder.nativeOrder());
        direct.put(bytes).flip();
        return OnnxTensor.createTensor(env, direct, info.getShape(), info.type);
    }
}
