package org.xgradcam.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/**
 * Creates ONNX Runtime sessions for (possibly rewritten) models. Models whose weights live in
 * external data files are written to a scratch folder beside links to those files, because ONNX
 * Runtime resolves external data relative to the model file and refuses absolute paths.
 */
public final class OrtSessions {
    private OrtSessions() {}

    public static OrtSession create(OrtEnvironment env, OnnxModel model, OrtSession.SessionOptions opts)
            throws OrtException {
        if (!model.usesExternalData()) {
            return env.createSession(model.toBytes(), opts);
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("xgradcam-model");
            Set<String> linked = new HashSet<>();
            for (TensorProto t : model.proto().getGraph().getInitializerList()) {
                for (StringStringEntryProto e : t.getExternalDataList()) {
                    if (e.getKey().equals("location") && linked.add(e.getValue())) {
                        Path target = model.baseDir().resolve(e.getValue()).toAbsolutePath();
                        if (!Files.exists(target)) {
                            throw new XGradCamException("external data file " + target + " of " + model.source()
                                    + " is missing; keep the model's data files next to the .onnx file");
                        }
                        Path link = dir.resolve(e.getValue());
                        Files.createDirectories(link.getParent());
                        Files.createSymbolicLink(link, target);
                    }
                }
            }
            Path file = dir.resolve("model.onnx");
            Files.write(file, model.toBytes());
            return env.createSession(file.toString(), opts);
        } catch (IOException e) {
            throw new XGradCamException("cannot stage model " + model.source() + " for ONNX Runtime: " + e.getMessage(), e);
        } finally {
            if (dir != null) {
                deleteTree(dir);
            }
        }
    }

    /** The first line of an ONNX Runtime message (the rest is a native stack trace). */
    public static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // scratch folder in the temp dir: the OS cleans what we could not
        }
    }
}
