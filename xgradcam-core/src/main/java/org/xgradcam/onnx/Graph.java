package org.xgradcam.onnx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * A read-only view of a model's main graph: nodes in topological order, who produces and who
 * consumes each tensor, and which tensors are constants (initializers, Constant nodes, and
 * Identity nodes over constants, which torch's exporter emits for de-duplicated weights).
 */
public final class Graph {
    private final OnnxModel model;
    private final List<NodeProto> nodes;
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final Map<String, List<NodeProto>> consumers = new HashMap<>();
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final List<String> inputs = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();

    public Graph(OnnxModel model) {
        this.model = model;
        GraphProto g = model.proto().getGraph();
        for (TensorProto t : g.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        for (ValueInfoProto v : g.getInputList()) {
            if (!initializers.containsKey(v.getName())) {
                inputs.add(v.getName());
            }
        }
        for (ValueInfoProto v : g.getOutputList()) {
            outputs.add(v.getName());
        }
        for (NodeProto n : g.getNodeList()) {
            for (String out : n.getOutputList()) {
                if (!out.isEmpty()) {
                    producers.put(out, n);
                }
            }
            List<String> deps = dependencies(n);
            reads.put(n, deps);
            for (String in : new LinkedHashSet<>(deps)) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        this.nodes = topologicalOrder(g.getNodeList());
    }

    /** What each node reads: its inputs and, for control flow, the outer tensors its subgraphs use. */
    private final Map<NodeProto, List<String>> reads = new java.util.IdentityHashMap<>();

    /**
     * Kahn's algorithm; files are meant to be sorted already, but not all exporters comply. A
     * subgraph's use of an outer tensor orders its node after that tensor's producer.
     */
    private List<NodeProto> topologicalOrder(List<NodeProto> all) {
        Map<NodeProto, Integer> pending = new java.util.IdentityHashMap<>();
        Deque<NodeProto> ready = new ArrayDeque<>();
        for (NodeProto n : all) {
            int deps = 0;
            for (String in : new LinkedHashSet<>(reads.get(n))) {
                if (producers.containsKey(in)) {
                    deps++;
                }
            }
            pending.put(n, deps);
            if (deps == 0) {
                ready.add(n);
            }
        }
        List<NodeProto> order = new ArrayList<>(all.size());
        while (!ready.isEmpty()) {
            NodeProto n = ready.poll();
            order.add(n);
            for (String out : n.getOutputList()) {
                if (out.isEmpty()) {
                    continue;
                }
                for (NodeProto c : consumers.getOrDefault(out, List.of())) {
                    int left = pending.merge(c, -1, Integer::sum);
                    if (left == 0) {
                        ready.add(c);
                    }
                }
            }
        }
        if (order.size() != all.size()) {
            throw new XGradCamException(model.source() + " is not a valid ONNX model: its graph has a cycle"
                    + " or a node input that nothing produces");
        }
        return Collections.unmodifiableList(order);
    }

    public OnnxModel model() {
        return model;
    }

    public List<NodeProto> nodes() {
        return nodes;
    }

    /** Graph inputs that are not initializers: what a caller feeds. */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    public Optional<NodeProto> producer(String tensor) {
        return Optional.ofNullable(producers.get(tensor));
    }

    /** The nodes that read a tensor, as an input or (control flow) inside a subgraph. */
    public List<NodeProto> consumers(String tensor) {
        return consumers.getOrDefault(tensor, List.of());
    }

    public boolean isInitializer(String name) {
        return initializers.containsKey(name);
    }

    /** The constant value behind a tensor name, following Identity chains; empty if computed. */
    public Optional<TensorProto> constant(String name) {
        TensorProto init = initializers.get(name);
        if (init != null) {
            return Optional.of(init);
        }
        NodeProto p = producers.get(name);
        if (p == null) {
            return Optional.empty();
        }
        if (p.getOpType().equals("Constant")) {
            return Attributes.getTensor(p, "value");
        }
        if (p.getOpType().equals("Identity")) {
            return constant(p.getInput(0));
        }
        return Optional.empty();
    }

    public Optional<float[]> constantFloats(String name) {
        return constant(name).map(t -> TensorProtos.toFloats(t, model.baseDir()));
    }

    public Optional<long[]> constantLongs(String name) {
        return constant(name).map(t -> TensorProtos.toLongs(t, model.baseDir()));
    }

    /** Every tensor that depends on one of the given tensors (the tensors themselves included). */
    public Set<String> descendants(Iterable<String> from) {
        Set<String> seen = new HashSet<>();
        for (String f : from) {
            seen.add(f);
        }
        for (NodeProto n : nodes) {
            boolean hit = false;
            for (String in : reads.get(n)) {
                if (seen.contains(in)) {
                    hit = true;
                    break;
                }
            }
            if (hit) {
                for (String out : n.getOutputList()) {
                    if (!out.isEmpty()) {
                        seen.add(out);
                    }
                }
            }
        }
        return seen;
    }

    /** Every tensor the given tensor depends on (itself included). */
    public Set<String> ancestors(String of) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        todo.add(of);
        while (!todo.isEmpty()) {
            String t = todo.poll();
            if (!seen.add(t)) {
                continue;
            }
            NodeProto p = producers.get(t);
            if (p != null) {
                todo.addAll(reads.get(p));
            }
        }
        return seen;
    }

    /**
     * What a node reads: its inputs, and for control flow (If, Loop, Scan) the outer tensors its
     * subgraphs use by name without listing them as inputs.
     */
    public static List<String> dependencies(NodeProto n) {
        List<String> out = new ArrayList<>();
        for (String in : n.getInputList()) {
            if (!in.isEmpty()) {
                out.add(in);
            }
        }
        for (var a : n.getAttributeList()) {
            if (a.hasG()) {
                outerNames(a.getG(), out);
            }
            for (var g : a.getGraphsList()) {
                outerNames(g, out);
            }
        }
        return out;
    }

    private static void outerNames(org.xgradcam.onnx.proto.OnnxProto.GraphProto g, List<String> out) {
        Set<String> local = new java.util.HashSet<>();
        g.getInputList().forEach(v -> local.add(v.getName()));
        g.getInitializerList().forEach(t -> local.add(t.getName()));
        for (NodeProto n : g.getNodeList()) {
            for (String in : dependencies(n)) {
                if (!local.contains(in)) {
                    out.add(in);
                }
            }
            n.getOutputList().forEach(local::add);
        }
    }

    /** A short human label for error messages: op type and node name (or its first output). */
    public static String label(NodeProto n) {
        String name = n.getName().isEmpty() ? "producing '" + n.getOutput(0) + "'" : "'" + n.getName() + "'";
        return n.getOpType() + " node " + name;
    }
}
