package org.xgradcam.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.ModelProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorShapeProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * Element types and static shapes (at batch size 1) of every tensor of a model, for one input
 * size. Taken from the file's value_info when it is complete and static, otherwise measured by a
 * probe: one ONNX Runtime run on a zero input with every tensor exposed as an output.
 */
public final class ModelShapes {
    private final Map<String, TensorInfo> infos;
    private final String inputName;
    private final long[] inputShape;
    /** Values of small integer tensors, when the shapes were measured on the input itself (else empty). */
    private final Map<String, long[]> values;

    private ModelShapes(Map<String, TensorInfo> infos, String inputName, long[] inputShape) {
        this(infos, inputName, inputShape, Map.of());
    }

    private ModelShapes(Map<String, TensorInfo> infos, String inputName, long[] inputShape, Map<String, long[]> values) {
        this.infos = infos;
        this.inputName = inputName;
        this.inputShape = inputShape;
        this.values = values;
    }

    /** The most values an integer tensor may hold to be recorded by a measuring probe. */
    static final int MAX_RECORDED_VALUES = 256;

    /**
     * The value an integer tensor had in the run these shapes were measured on (only for
     * {@link #measured} shapes, and only small tensors: slice bounds, split sizes, selected
     * indices). A backward built for that one input may treat it as a constant.
     */
    public Optional<long[]> measuredLongs(String tensor) {
        return Optional.ofNullable(values.get(tensor)).map(long[]::clone);
    }

    /**
     * The same facts for a part of the graph that starts at {@code tensor} (its input): a tail cut
     * out of this model keeps every tensor's name, so what was measured here holds there.
     */
    public ModelShapes startingAt(String tensor) {
        return new ModelShapes(infos, tensor, get(tensor).shape().clone(), values);
    }

    public Optional<TensorInfo> find(String tensor) {
        return Optional.ofNullable(infos.get(tensor));
    }

    public TensorInfo get(String tensor) {
        TensorInfo t = infos.get(tensor);
        if (t == null) {
            throw new XGradCamException("no shape known for tensor '" + tensor + "'");
        }
        return t;
    }

    public long[] shape(String tensor) {
        return get(tensor).shape();
    }

    public String inputName() {
        return inputName;
    }

    /** The input shape at batch size 1. */
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** The single image input of a model; models with several inputs are not image classifiers we explain. */
    public static ValueInfoProto imageInput(Graph graph) {
        List<String> inputs = graph.inputs();
        if (inputs.size() != 1) {
            throw new XGradCamException(graph.model().source() + " has " + inputs.size() + " inputs " + inputs
                    + "; xgradcam explains models with a single image input");
        }
        for (ValueInfoProto v : graph.model().proto().getGraph().getInputList()) {
            if (v.getName().equals(inputs.get(0))) {
                return v;
            }
        }
        throw new IllegalStateException("input vanished");
    }

    /**
     * The input shape at batch 1: the requested one (checked against the model's fixed dims) or
     * the model's own, with free spatial dims of an image input set to 224.
     */
    public static long[] resolveInputShape(Graph graph, long[] requested) {
        ValueInfoProto input = imageInput(graph);
        TensorShapeProto declared = input.getType().getTensorType().getShape();
        int rank = declared.getDimCount();
        if (!input.getType().hasTensorType()) {
            throw new XGradCamException("input '" + input.getName() + "' of " + graph.model().source()
                    + " is not a tensor (a sequence or map); xgradcam needs an image tensor input");
        }
        if (input.getType().getTensorType().getElemType() != TensorInfo.FLOAT) {
            throw new XGradCamException("input '" + input.getName() + "' of " + graph.model().source()
                    + " is not float32 (ONNX type " + input.getType().getTensorType().getElemType()
                    + "); xgradcam needs a float input");
        }
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            TensorShapeProto.Dimension d = declared.getDim(i);
            shape[i] = d.hasDimValue() && d.getDimValue() > 0 ? d.getDimValue() : -1;
        }
        if (!input.getType().getTensorType().hasShape()) {
            // no declared shape at all (not even a rank): only the caller can say what it takes
            if (requested == null) {
                throw new XGradCamException("input '" + input.getName() + "' of " + graph.model().source()
                        + " declares no shape; give the input shape (e.g. [1, 3, 224, 224]) or re-export the model"
                        + " with its input shape");
            }
            long[] out = requested.clone();
            out[0] = 1;
            return checkSize(graph, input.getName(), out);
        }
        if (requested != null) {
            if (requested.length != rank) {
                throw new XGradCamException("input '" + input.getName() + "' has rank " + rank + " (shape "
                        + describe(shape) + "), but an input of shape " + Arrays.toString(requested) + " was given");
            }
            for (int i = 1; i < rank; i++) {
                if (shape[i] > 0 && shape[i] != requested[i]) {
                    throw new XGradCamException("wrong input shape " + Arrays.toString(requested) + " for input '"
                            + input.getName() + "': the model expects " + describe(shape) + " (its size is fixed;"
                            + " --input-size is for models whose height and width are free)");
                }
            }
            long[] out = requested.clone();
            out[0] = 1;
            return checkSize(graph, input.getName(), out);
        }
        if (rank == 0) {
            throw new XGradCamException("input '" + input.getName() + "' is a scalar; xgradcam needs an image tensor");
        }
        shape[0] = 1;
        boolean nhwc = rank == 4 && shape[3] == 3 && shape[1] != 3;
        // a clip or volume [N, C, T, H, W] (or [N, T, H, W, C]): free frames and sides as torchvision's video models take them
        boolean last = clipChannelsLast(shape);
        for (int i = 1; i < rank; i++) {
            if (shape[i] < 0) {
                boolean spatial = rank == 4 && (nhwc ? (i == 1 || i == 2) : (i == 2 || i == 3));
                boolean clip = rank == 5 && (last ? i <= 3 : i >= 2);
                if (!spatial && !clip) {
                    throw new XGradCamException("input '" + input.getName() + "' has a free dimension at axis " + i
                            + " (" + describe(shape) + "); give the input shape explicitly");
                }
                shape[i] = !clip ? 224 : i == (last ? 1 : 2) ? FREE_FRAMES : FREE_CLIP_SIDE;
            }
        }
        return checkSize(graph, input.getName(), shape);
    }

    /** A clip model's frames and sides where its input leaves them free (torchvision's video models: 16 of 112x112). */
    public static final int FREE_FRAMES = 16;
    public static final int FREE_CLIP_SIDE = 112;

    /** Whether a rank-5 input shape is channels-last [N, T, H, W, C] (C 1 or 3) rather than [N, C, T, H, W]. */
    public static boolean clipChannelsLast(long[] s) {
        return s.length == 5 && (s[4] == 3 || s[4] == 1) && s[1] != 3 && s[1] != 1;
    }

    /**
     * The model with its image input's shape declared (batch axis free), when the file declares
     * none: ONNX Runtime's shape inference then knows the rank. Other models come back unchanged.
     */
    public static OnnxModel declareInputShape(OnnxModel model, long[] shape) {
        if (shape == null) {
            return model;
        }
        GraphProto g = model.proto().getGraph();
        java.util.Set<String> init = new java.util.HashSet<>();
        g.getInitializerList().forEach(t -> init.add(t.getName()));
        for (int i = 0; i < g.getInputCount(); i++) {
            ValueInfoProto v = g.getInput(i);
            if (init.contains(v.getName())) {
                continue;
            }
            if (!v.getType().hasTensorType() || v.getType().getTensorType().hasShape()) {
                return model;
            }
            TensorShapeProto.Builder dims = TensorShapeProto.newBuilder();
            for (int d = 0; d < shape.length; d++) {
                dims.addDim(d == 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                        : TensorShapeProto.Dimension.newBuilder().setDimValue(shape[d]));
            }
            ValueInfoProto fixed = v.toBuilder().setType(v.getType().toBuilder().setTensorType(
                    v.getType().getTensorType().toBuilder().setShape(dims))).build();
            return model.withProto(model.proto().toBuilder().setGraph(g.toBuilder().setInput(i, fixed)).build());
        }
        return model;
    }

    /** The most values one input row may have: 3 x 25 megapixels. */
    public static final long MAX_INPUT_VALUES = 75_000_000L;

    /** Refuses an input so large that one row would not be worth (or able) to run. */
    private static long[] checkSize(Graph graph, String input, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d <= 0) {
                throw new XGradCamException("input '" + input + "' of " + graph.model().source() + " has shape "
                        + describe(shape) + "; every dimension must be positive");
            }
            n = d > MAX_INPUT_VALUES ? MAX_INPUT_VALUES + 1 : n * d;
            if (n > MAX_INPUT_VALUES) {
                throw new XGradCamException("input '" + input + "' of " + graph.model().source() + " has shape "
                        + describe(shape) + ", more than the " + MAX_INPUT_VALUES / 1_000_000 + " million values xgradcam"
                        + " feeds a model; re-export it for a smaller input");
            }
        }
        return shape;
    }

    static String describe(long[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i] < 0 ? "?" : Long.toString(shape[i]));
        }
        return sb.append(']').toString();
    }

    /** Shapes at the given input shape (null: the model's own), from value_info or by a probe. */
    public static ModelShapes of(Graph graph, long[] requestedInputShape) {
        long[] inputShape = resolveInputShape(graph, requestedInputShape);
        String inputName = graph.inputs().get(0);
        Map<String, TensorInfo> infos = fromValueInfo(graph, inputShape);
        if (infos == null) {
            String key = ShapeCache.key(graph, inputShape);
            infos = ShapeCache.lookup(key);
            if (infos == null) {
                infos = probe(graph, inputName, inputShape);
                ShapeCache.store(key, infos);
            }
        }
        for (TensorProto t : graph.model().proto().getGraph().getInitializerList()) {
            infos.putIfAbsent(t.getName(), new TensorInfo(t.getName(), t.getDataType(), TensorProtos.dims(t)));
        }
        return new ModelShapes(infos, inputName, inputShape);
    }

    /**
     * Shapes measured by a probe run on this input (not zeros): for a model whose tensor shapes
     * depend on the values, such as a detector that selects boxes inside the graph.
     */
    public static ModelShapes measured(Graph graph, long[] requestedInputShape, org.xgradcam.tensor.FloatTensor input) {
        long[] inputShape = resolveInputShape(graph, requestedInputShape);
        if (!Arrays.equals(inputShape, input.shape())) {
            throw new XGradCamException("an input of shape " + Arrays.toString(input.shape()) + " for a model that takes "
                    + Arrays.toString(inputShape));
        }
        String inputName = graph.inputs().get(0);
        Map<String, long[]> values = new HashMap<>();
        Map<String, TensorInfo> infos = probe(graph, inputName, inputShape, Map.of(), input.data(), values);
        for (TensorProto t : graph.model().proto().getGraph().getInitializerList()) {
            infos.putIfAbsent(t.getName(), new TensorInfo(t.getName(), t.getDataType(), TensorProtos.dims(t)));
        }
        return new ModelShapes(infos, inputName, inputShape, values);
    }

    /** Value_info counts only if it gives every node output a static shape consistent with the input. */
    private static Map<String, TensorInfo> fromValueInfo(Graph graph, long[] inputShape) {
        GraphProto g = graph.model().proto().getGraph();
        ValueInfoProto input = imageInput(graph);
        TensorShapeProto declared = input.getType().getTensorType().getShape();
        if (declared.getDimCount() != inputShape.length) {
            return null; // no declared shape (or another rank): measure
        }
        for (int i = 1; i < inputShape.length; i++) {
            if (!declared.getDim(i).hasDimValue() || declared.getDim(i).getDimValue() != inputShape[i]) {
                return null; // the file's shapes are for another input size
            }
        }
        Map<String, ValueInfoProto> declaredInfos = new HashMap<>();
        for (ValueInfoProto v : g.getValueInfoList()) {
            declaredInfos.put(v.getName(), v);
        }
        for (ValueInfoProto v : g.getOutputList()) {
            declaredInfos.put(v.getName(), v);
        }
        Map<String, TensorInfo> out = new HashMap<>();
        out.put(input.getName(), new TensorInfo(input.getName(), TensorInfo.FLOAT, inputShape));
        for (NodeProto n : graph.nodes()) {
            for (String name : n.getOutputList()) {
                if (name.isEmpty()) {
                    continue;
                }
                ValueInfoProto v = declaredInfos.get(name);
                if (v == null || !v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
                    return null;
                }
                TensorShapeProto s = v.getType().getTensorType().getShape();
                long[] shape = new long[s.getDimCount()];
                for (int i = 0; i < shape.length; i++) {
                    TensorShapeProto.Dimension d = s.getDim(i);
                    if (d.hasDimValue()) {
                        shape[i] = d.getDimValue();
                    } else if (i == 0) {
                        shape[i] = 1; // the batch
                    } else {
                        return null;
                    }
                }
                out.put(name, new TensorInfo(name, v.getType().getTensorType().getElemType(), shape));
            }
        }
        return out;
    }

    /**
     * Shapes of a graph with inputs besides the image (an augmented model's seeds, for a second
     * differentiation pass): measured by one probe run with zeros fed to every input.
     */
    public static ModelShapes ofAugmented(Graph graph, String inputName, long[] inputShape, Map<String, long[]> extraInputs) {
        Map<String, TensorInfo> infos = probe(graph, inputName, inputShape, extraInputs);
        for (var e : extraInputs.entrySet()) {
            infos.put(e.getKey(), new TensorInfo(e.getKey(), TensorInfo.FLOAT, e.getValue()));
        }
        for (TensorProto t : graph.model().proto().getGraph().getInitializerList()) {
            infos.putIfAbsent(t.getName(), new TensorInfo(t.getName(), t.getDataType(), TensorProtos.dims(t)));
        }
        return new ModelShapes(infos, inputName, inputShape);
    }

    private static Map<String, TensorInfo> probe(Graph graph, String inputName, long[] inputShape) {
        return probe(graph, inputName, inputShape, Map.of());
    }

    private static Map<String, TensorInfo> probe(Graph graph, String inputName, long[] inputShape, Map<String, long[]> extra) {
        return probe(graph, inputName, inputShape, extra, null, null);
    }

    /**
     * Graphs with more tensors than this are probed in segments ({@link SegmentedProbe}): ONNX
     * Runtime's session creation costs time in the product of the node and output counts
     * (100,000 nodes, each exposed: 24 s), and a run exposing every tensor keeps them all alive
     * (4 GB there).
     */
    static final int LARGE_GRAPH_TENSORS = 2000;

    private static Map<String, TensorInfo> probe(Graph graph, String inputName, long[] inputShape, Map<String, long[]> extra,
                                                 float[] values, Map<String, long[]> recorded) {
        if (graph.nodes().size() > LARGE_GRAPH_TENSORS) {
            Map<String, TensorInfo> out = SegmentedProbe.probe(graph, inputName, inputShape, extra, values, recorded,
                    LARGE_GRAPH_TENSORS / 2);
            if (out != null) {
                return out;
            }
            if (recorded != null) {
                recorded.clear();
            }
        }
        return probeAtOnce(graph, inputName, inputShape, extra, values, recorded);
    }

    /** The probe exposing every tensor of the graph in one run. */
    static Map<String, TensorInfo> probeAtOnce(Graph graph, String inputName, long[] inputShape, Map<String, long[]> extra,
                                               float[] values, Map<String, long[]> recorded) {
        ModelProto original = graph.model().proto();
        Set<String> wanted = new LinkedHashSet<>();
        for (NodeProto n : graph.nodes()) {
            for (String out : n.getOutputList()) {
                if (!out.isEmpty()) {
                    wanted.add(out);
                }
            }
        }
        GraphProto.Builder g = original.getGraph().toBuilder();
        Set<String> present = new java.util.HashSet<>(graph.outputs());
        for (String name : wanted) {
            if (!present.contains(name)) {
                g.addOutput(ValueInfoProto.newBuilder().setName(name));
            }
        }
        ModelProto probeModel = original.toBuilder().setGraph(g).build();
        OrtEnvironment env = OrtSessions.environment();
        Map<String, TensorInfo> out = new HashMap<>();
        out.put(inputName, new TensorInfo(inputName, TensorInfo.FLOAT, inputShape));
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            opts.addConfigEntry("session.disable_prepacking", "1"); // one run: packing would cost more than it saves
            opts.disablePerSessionThreads(); // the environment's shared pool
            java.util.List<OnnxTensor> extraTensors = new java.util.ArrayList<>();
            try (OrtSession session = OrtSessions.create(env, graph.model().withProto(probeModel), opts);
                 OnnxTensor x = OnnxTensor.createTensor(env,
                         values != null ? FloatBuffer.wrap(values)
                                 : FloatBuffer.allocate((int) org.xgradcam.tensor.FloatTensor.numel(inputShape)), inputShape)) {
                Map<String, OnnxTensor> feeds = new HashMap<>(Map.of(inputName, x));
                for (var e : extra.entrySet()) {
                    OnnxTensor t = OnnxTensor.createTensor(env,
                            FloatBuffer.allocate((int) org.xgradcam.tensor.FloatTensor.numel(e.getValue())), e.getValue());
                    extraTensors.add(t);
                    feeds.put(e.getKey(), t);
                }
                try (OrtSession.Result r = OrtSessions.run(session, feeds, null)) {
                for (Map.Entry<String, OnnxValue> e : r) {
                    if (e.getValue() instanceof OnnxTensor t) {
                        record(e.getKey(), t, out, recorded);
                    }
                }
                } finally {
                    extraTensors.forEach(OnnxTensor::close);
                }
            }
        } catch (OrtException e) {
            throw new XGradCamException("ONNX Runtime cannot run " + graph.model().source() + " on an input of shape "
                    + Arrays.toString(inputShape) + ": " + OrtSessions.firstLine(e.getMessage()), e);
        }
        return out;
    }

    /** A probed tensor's type and shape, and (when recording) the values of a small integer tensor. */
    static void record(String name, OnnxTensor t, Map<String, TensorInfo> out, Map<String, long[]> recorded) {
        ai.onnxruntime.TensorInfo ti = t.getInfo();
        out.put(name, new TensorInfo(name, onnxType(ti.type), ti.getShape()));
        if (recorded != null && ti.getNumElements() <= MAX_RECORDED_VALUES
                && (ti.type == ai.onnxruntime.OnnxJavaType.INT64 || ti.type == ai.onnxruntime.OnnxJavaType.INT32)) {
            long[] v = new long[(int) ti.getNumElements()];
            if (ti.type == ai.onnxruntime.OnnxJavaType.INT64) {
                t.getLongBuffer().get(v);
            } else {
                java.nio.IntBuffer ib = t.getIntBuffer();
                for (int i = 0; i < v.length; i++) {
                    v[i] = ib.get();
                }
            }
            recorded.put(name, v);
        }
    }

    static int onnxType(ai.onnxruntime.OnnxJavaType t) {
        return switch (t) {
            case FLOAT -> TensorInfo.FLOAT;
            case DOUBLE -> TensorProto.DataType.DOUBLE_VALUE;
            case INT64 -> TensorProto.DataType.INT64_VALUE;
            case INT32 -> TensorProto.DataType.INT32_VALUE;
            case INT16 -> TensorProto.DataType.INT16_VALUE;
            case INT8 -> TensorProto.DataType.INT8_VALUE;
            case UINT8 -> TensorProto.DataType.UINT8_VALUE;
            case BOOL -> TensorProto.DataType.BOOL_VALUE;
            case FLOAT16 -> TensorProto.DataType.FLOAT16_VALUE;
            case BFLOAT16 -> TensorProto.DataType.BFLOAT16_VALUE;
            case STRING -> TensorProto.DataType.STRING_VALUE;
            default -> TensorProto.DataType.UNDEFINED_VALUE;
        };
    }
}
