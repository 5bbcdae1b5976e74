package org.xgradcam.onnx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.proto.OnnxProto.AttributeProto;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/**
 * What a model file read from disk or bytes must satisfy before any of it is used: model files
 * are untrusted input. Every tensor (initializers, Constant values, in subgraphs too) stores its
 * values in exactly one place, external data stays inside the model's folder
 * ({@link ExternalData}), subgraphs nest at most {@link #MAX_SUBGRAPH_DEPTH} deep, and no Loop
 * has a constant trip count above {@link #MAX_LOOP_TRIPS}. One pass over the file, linear in its
 * size.
 */
final class ModelValidation {
    private ModelValidation() {}

    /** Deeper nesting of If/Loop/Scan bodies than any exporter writes. */
    static final int MAX_SUBGRAPH_DEPTH = 16;

    /** More iterations than any image model's loop runs; a constant trip count above it is refused. */
    static final long MAX_LOOP_TRIPS = 1_000_000L;

    static void check(OnnxModel model, Path modelFile) {
        new ModelValidation.Walk(model, modelFile).graph(model.proto().getGraph(), 0);
    }

    private record Walk(OnnxModel model, Path modelFile) {
        void graph(GraphProto g, int depth) {
            if (depth > MAX_SUBGRAPH_DEPTH) {
                throw new XGradCamException(model.source() + " nests control-flow subgraphs more than " + MAX_SUBGRAPH_DEPTH
                        + " deep; xgradcam refuses such a file (no image model needs it)");
            }
            java.util.Map<String, TensorProto> constants = new java.util.HashMap<>();
            for (TensorProto t : g.getInitializerList()) {
                tensor(t);
                constants.put(t.getName(), t);
            }
            for (NodeProto n : g.getNodeList()) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.hasT()) {
                        tensor(a.getT());
                    }
                    for (TensorProto t : a.getTensorsList()) {
                        tensor(t);
                    }
                    if (a.hasG()) {
                        graph(a.getG(), depth + 1);
                    }
                    for (GraphProto sub : a.getGraphsList()) {
                        graph(sub, depth + 1);
                    }
                }
                if (n.getOpType().equals("Constant") && n.getOutputCount() > 0) {
                    Attributes.getTensor(n, "value").ifPresent(t -> constants.put(n.getOutput(0), t));
                }
                if (n.getOpType().equals("Loop") && OnnxModel.isDefaultDomain(n.getDomain()) && n.getInputCount() > 0
                        && !n.getInput(0).isEmpty()) {
                    TensorProto m = constants.get(n.getInput(0));
                    if (m != null && !ExternalData.isExternal(m)) {
                        long trips = tripCount(m);
                        if (trips > MAX_LOOP_TRIPS) {
                            throw new XGradCamException(model.source() + ": " + Graph.label(n) + " runs up to " + trips
                                    + " times, more than the " + MAX_LOOP_TRIPS + " xgradcam allows a loop; re-export the"
                                    + " model with a bounded loop (or without it)");
                        }
                    }
                }
            }
        }

        /** Values stored once, in one place; external data checked where it points. */
        void tensor(TensorProto t) {
            List<String> places = new ArrayList<>();
            if (t.hasRawData()) {
                places.add("raw_data");
            }
            if (t.getFloatDataCount() > 0) {
                places.add("float_data");
            }
            if (t.getInt32DataCount() > 0) {
                places.add("int32_data");
            }
            if (t.getInt64DataCount() > 0) {
                places.add("int64_data");
            }
            if (t.getDoubleDataCount() > 0) {
                places.add("double_data");
            }
            if (t.getUint64DataCount() > 0) {
                places.add("uint64_data");
            }
            if (t.getStringDataCount() > 0) {
                places.add("string_data");
            }
            if (ExternalData.isExternal(t)) {
                places.add("external data");
            }
            if (places.size() > 1) {
                throw new XGradCamException("tensor '" + t.getName() + "' of " + model.source() + " holds its values in "
                        + String.join(" and ", places) + "; a valid ONNX file stores them once: the file is malformed,"
                        + " re-export the model");
            }
            if (ExternalData.isExternal(t)) {
                ExternalData.locate(t, model.baseDir(), modelFile, model.source());
            }
        }

        private long tripCount(TensorProto m) {
            try {
                long[] v = TensorProtos.toLongs(m, null);
                return v.length == 1 ? v[0] : 0;
            } catch (RuntimeException e) {
                return 0; // not a count ONNX Runtime accepts either: it names it
            }
        }
    }
}
