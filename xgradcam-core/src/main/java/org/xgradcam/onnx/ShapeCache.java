package org.xgradcam.onnx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/**
 * The tensor shapes a probe run measured, kept in the cache folder (shapes/) under a digest of
 * what decides them: the graph with its small initializers, the input shape and ONNX Runtime's
 * version. Large float weights are left out of the digest, since their values cannot change a
 * shape in a graph without value-dependent shapes; graphs with such ops (NonZero, NMS, control
 * flow, TopK with a computed k, ...) are always probed. A second run on the same model then starts without the probe (a
 * whole extra session and forward: 0.6 s on VGG16). An unreadable or unwritable cache is
 * skipped: it only saves time.
 */
final class ShapeCache {
    private ShapeCache() {}

    /** Ops whose output shapes depend on tensor values, not only on shapes. */
    private static final Set<String> VALUE_DEPENDENT = Set.of("NonZero", "NonMaxSuppression", "Unique", "Compress", "Loop",
            "Scan", "If", "Range", "RoiAlign", "StringNormalizer");

    /** The key of this graph at this input shape, or null if its shapes may depend on values. */
    static String key(Graph graph, long[] inputShape) {
        GraphProto g = graph.model().proto().getGraph();
        Set<String> constants = new java.util.HashSet<>();
        g.getInitializerList().forEach(t -> constants.add(t.getName()));
        for (NodeProto n : g.getNodeList()) {
            if (!OnnxModel.isDefaultDomain(n.getDomain()) || VALUE_DEPENDENT.contains(n.getOpType())) {
                return null;
            }
            if (n.getOpType().equals("TopK") && n.getInputCount() > 1 && !constants.contains(n.getInput(1))) {
                return null; // k computed at run time
            }
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(("xgradcam shapes 1\n" + OrtSessions.environment().getVersion() + "\n"
                    + java.util.Arrays.toString(inputShape) + "\n").getBytes(StandardCharsets.UTF_8));
            GraphProto.Builder stub = g.toBuilder();
            for (int i = 0; i < stub.getInitializerCount(); i++) {
                TensorProto t = stub.getInitializer(i);
                if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getRawData().size() >= OrtSessions.HANDED_OVER_BYTES) {
                    stub.setInitializer(i, t.toBuilder().clearRawData());
                }
            }
            md.update(graph.model().proto().toBuilder().setGraph(stub).build().toByteArray());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path file(String key) {
        return org.xgradcam.runtime.NativeLibraries.cacheDir().resolve("shapes").resolve(key + ".tsv");
    }

    /** The shapes stored under this key, or null. */
    static Map<String, TensorInfo> lookup(String key) {
        if (key == null) {
            return null;
        }
        try {
            Path f = file(key);
            if (!Files.isRegularFile(f)) {
                return null;
            }
            Map<String, TensorInfo> out = new HashMap<>();
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                String[] p = line.split("\t", -1);
                long[] shape = p[2].isEmpty() ? new long[0]
                        : java.util.Arrays.stream(p[2].split(",")).mapToLong(Long::parseLong).toArray();
                out.put(p[0], new TensorInfo(p[0], Integer.parseInt(p[1]), shape));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return null; // unreadable or damaged: measure again
        }
    }

    /** Stores the shapes under this key, atomically (a reader sees all of them or none). */
    static void store(String key, Map<String, TensorInfo> infos) {
        if (key == null) {
            return;
        }
        StringBuilder b = new StringBuilder();
        for (TensorInfo t : infos.values()) {
            if (t.name().contains("\t") || t.name().contains("\n")) {
                return; // a name the format cannot hold: not cached
            }
            b.append(t.name()).append('\t').append(t.elemType()).append('\t');
            for (int i = 0; i < t.shape().length; i++) {
                b.append(i == 0 ? "" : ",").append(t.shape()[i]);
            }
            b.append('\n');
        }
        try {
            Path f = file(key);
            Files.createDirectories(f.getParent());
            Path tmp = Files.createTempFile(f.getParent(), key, ".part");
            try {
                Files.writeString(tmp, b, StandardCharsets.UTF_8);
                Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException e) {
            // a read-only or full cache folder: the next run probes again
        }
    }
}
