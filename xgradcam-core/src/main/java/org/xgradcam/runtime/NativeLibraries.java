package org.xgradcam.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import org.xgradcam.XGradCamException;

/**
 * Where ONNX Runtime's native libraries are loaded from. Left alone, ONNX Runtime unpacks its
 * 22 MB of libraries into a new temporary folder on every start, and a killed process leaves
 * them behind. Instead they are unpacked once into a versioned folder of the xgradcam cache
 * ($XGRADCAM_CACHE or ~/.cache/xgradcam, under native/), written atomically so that concurrent
 * first starts cannot see half a library, and reused by every later run. Where the cache cannot
 * be written, ONNX Runtime's own behaviour remains.
 */
public final class NativeLibraries {
    private static final String PROPERTY = "onnxruntime.native.path";
    private static final List<String> LIBRARIES = List.of("onnxruntime", "onnxruntime4j_jni");
    private static volatile boolean prepared;

    private NativeLibraries() {}

    /** ONNX Runtime's Java logger, held so that its settings stay (loggers are weakly referenced). */
    private static final java.util.logging.Logger ORT_LOG = java.util.logging.Logger.getLogger("ai.onnxruntime");
    private static volatile String problem;

    /**
     * ONNX Runtime's Java binding logs its own failures (a library it could not unpack, say) with
     * a stack trace on stderr. They are kept instead, one line, for the message that says why
     * ONNX Runtime could not start ({@link #problem()}).
     */
    private static void quietOrtLogger() {
        ORT_LOG.setUseParentHandlers(false);
        ORT_LOG.addHandler(new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    Throwable t = r.getThrown();
                    String cause = t instanceof IOException io ? org.xgradcam.validation.IoErrors.describe(io)
                            : t != null ? String.valueOf(t.getMessage()) : "";
                    String msg = r.getMessage() == null ? "" : r.getParameters() == null || r.getParameters().length == 0
                            ? r.getMessage() : java.text.MessageFormat.format(r.getMessage(), r.getParameters());
                    problem = msg + (cause.isEmpty() ? "" : ": " + cause);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    /** What ONNX Runtime's binding last reported going wrong while it started, or null. */
    public static String problem() {
        return problem;
    }

    /** The cache folder shared with downloaded models: $XGRADCAM_CACHE, else ~/.cache/xgradcam. */
    public static Path cacheDir() {
        String env = System.getenv("XGRADCAM_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "xgradcam");
    }

    /**
     * Points ONNX Runtime at the unpacked libraries (unpacking them first if needed), unless the
     * user chose a path already. Then checks the temporary folder ONNX Runtime insists on
     * creating at start-up, so that a missing one is named instead of failing deep inside.
     */
    public static synchronized void prepare() {
        if (prepared) {
            return;
        }
        prepared = true;
        quietOrtLogger();
        if (System.getProperty(PROPERTY) == null) {
            Path dir = unpack();
            if (dir != null) {
                System.setProperty(PROPERTY, dir.toString());
            }
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir", "/tmp"));
        if (!Files.isDirectory(tmp) || !Files.isWritable(tmp)) {
            throw new XGradCamException("the temporary folder " + tmp + " (java.io.tmpdir) "
                    + (Files.isDirectory(tmp) ? "is not writable" : "does not exist")
                    + ", and ONNX Runtime needs one to start; create it, or run java -Djava.io.tmpdir=DIR -jar ...");
        }
    }

    /** The folder holding both libraries, or null to let ONNX Runtime unpack them itself. */
    static Path unpack() {
        String platform = platform();
        if (platform == null) {
            return null;
        }
        try {
            StringBuilder key = new StringBuilder("onnxruntime-");
            String version = ai.onnxruntime.OrtEnvironment.class.getPackage().getImplementationVersion();
            key.append(version == null ? "unknown" : version).append('-').append(platform);
            long[] sizes = new long[LIBRARIES.size()];
            for (int i = 0; i < sizes.length; i++) {
                URL u = resource(platform, LIBRARIES.get(i));
                if (u == null) {
                    return null; // a build without bundled libraries: they come from the library path
                }
                URLConnection c = u.openConnection();
                sizes[i] = c.getContentLengthLong();
                c.getInputStream().close();
                key.append('-').append(sizes[i]);
            }
            Path dir = cacheDir().resolve("native").resolve(key.toString());
            for (int i = 0; i < sizes.length; i++) {
                Path lib = dir.resolve(System.mapLibraryName(LIBRARIES.get(i)));
                if (Files.isRegularFile(lib) && Files.size(lib) == sizes[i]) {
                    continue;
                }
                Files.createDirectories(dir);
                Path part = Files.createTempFile(dir, "." + lib.getFileName(), ".part");
                try (InputStream in = resource(platform, LIBRARIES.get(i)).openStream()) {
                    Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                    if (Files.size(part) != sizes[i]) {
                        return null;
                    }
                    Files.move(part, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(part);
                }
            }
            return dir;
        } catch (IOException | RuntimeException e) {
            return null; // an unwritable or full cache: ONNX Runtime unpacks into the temp folder as before
        }
    }

    private static URL resource(String platform, String library) {
        return ai.onnxruntime.OrtEnvironment.class.getResource("/ai/onnxruntime/native/" + platform + "/"
                + System.mapLibraryName(library).replace("jnilib", "dylib"));
    }

    /** ONNX Runtime's name for this platform, e.g. linux-x64; null where unknown. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.contains("mac") || os.contains("darwin") ? "osx" : os.contains("win") ? "win" : os.contains("nux") ? "linux" : null;
        String a = arch.startsWith("amd64") || arch.startsWith("x86_64") ? "x64" : arch.startsWith("aarch64") ? "aarch64" : null;
        return o == null || a == null ? null : o + "-" + a;
    }
}
