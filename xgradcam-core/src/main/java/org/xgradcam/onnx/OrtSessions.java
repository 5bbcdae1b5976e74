package org.xgradcam.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;

/**
 * Creates ONNX Runtime sessions for (possibly rewritten) models, with their weights handed over
 * as tensors where they lie (the mapped model file, external data files), and runs them.
 */
public final class OrtSessions {
    private OrtSessions() {}

    /**
     * ONNX Runtime's environment. On first use, ONNX Runtime extracts its native libraries into a
     * temporary folder and marks the folder, then the libraries, for deletion at exit; the JVM
     * deletes in reverse order, so the folder is tried while still full and one empty
     * onnxruntime-java* folder per run stays behind. A shutdown hook (which runs before those
     * deletions) removes the libraries and the folder instead, where the platform allows it.
     */
    /** Intra-op threads of the pool every session shares (0: one per core); fixed once the environment exists. */
    private static int globalThreads;
    private static boolean created;

    /**
     * Asks for a shared pool of n threads (0: one per core). It can be set until ONNX Runtime's
     * environment is created; returns whether the pool has (or will have) that size.
     */
    public static synchronized boolean useGlobalThreads(int n) {
        if (!created) {
            globalThreads = n;
        }
        return globalThreads == n;
    }

    /** The size of the shared pool (0: one per core). */
    public static synchronized int globalThreads() {
        return globalThreads;
    }

    /**
     * ONNX Runtime's environment, with one intra-op thread pool that every session shares and
     * that does not spin when idle: sessions of one process (the explaining run, the forward of
     * Score-CAM, a benchmark's plain forward) no longer keep their own pools spinning against each
     * other on the same cores, so no call is slowed by the one before.
     */
    public static synchronized OrtEnvironment environment() {
        org.xgradcam.runtime.NativeLibraries.prepare();
        OrtEnvironment env;
        try {
            if (!created) {
                try (OrtEnvironment.ThreadingOptions t = new OrtEnvironment.ThreadingOptions()) {
                    if (globalThreads > 0) {
                        t.setGlobalIntraOpNumThreads(globalThreads);
                    }
                    t.setGlobalInterOpNumThreads(1);
                    t.setGlobalSpinControl(false);
                    // errors only: its warnings (an exported output's declared shape that a run does not
                    // keep, as Mask R-CNN's masks) are the model's, not the user's; failures raise anyway
                    env = OrtEnvironment.getEnvironment(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                            OrtEnvironment.DEFAULT_NAME, t);
                }
                created = true;
            }
            env = OrtEnvironment.getEnvironment();
        } catch (OrtException | LinkageError | RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String problem = org.xgradcam.runtime.NativeLibraries.problem();
            throw new XGradCamException("ONNX Runtime could not start (" + (problem != null ? problem
                    : cause.getClass().getSimpleName() + ": " + firstLine(cause.getMessage())) + "); check that the temporary"
                    + " folder (java.io.tmpdir) and the cache folder (~/.cache/xgradcam or $XGRADCAM_CACHE) are writable, not"
                    + " full, and not held by a file-size limit (ulimit -f)", e);
        }
        if (cleanupRegistered.compareAndSet(false, true)) {
            Path dir = nativeFolder();
            if (dir != null) {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteFolder(dir), "xgradcam-ort-cleanup"));
            }
        }
        return env;
    }

    private static final AtomicBoolean cleanupRegistered = new AtomicBoolean();

    /** The folder ONNX Runtime extracted its libraries into, or null if unknown or none. */
    static Path nativeFolder() {
        try {
            java.lang.reflect.Field f = Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
            f.setAccessible(true);
            Object dir = f.get(null);
            return dir instanceof Path p && p.getFileName().toString().startsWith("onnxruntime-java") ? p : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // another ONNX Runtime version: keep its own behaviour
        }
    }

    private static void deleteFolder(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException | RuntimeException e) {
            // a loaded library cannot be deleted on some platforms: ONNX Runtime's own deletion remains
        }
    }

    public static OrtSession create(OrtEnvironment env, OnnxModel model, OrtSession.SessionOptions opts)
            throws OrtException {
        enterNative();
        try {
            return createGuarded(env, model, opts);
        } finally {
            exitNative();
        }
    }

    private static OrtSession createGuarded(OrtEnvironment env, OnnxModel model, OrtSession.SessionOptions opts)
            throws OrtException {
        return createFromWeights(env, model, opts);
    }

    /** Initializers at least this large are handed to ONNX Runtime as tensors, not serialised with the graph. */
    static final int HANDED_OVER_BYTES = 16 * 1024;

    /**
     * A session whose large weights are handed to ONNX Runtime as tensors over the model's own
     * bytes (the mapped file, see {@link OnnxModel#load}), with only the graph serialised: no second
     * copy of a 500 MB model on the Java heap, no serialisation of it, no parse of it by ONNX
     * Runtime, which copies each weight once into the session. Weights in external data files
     * are handed over the same way, mapped where they lie ({@link ExternalData}): ONNX Runtime
     * never opens a path the model names, and nothing is staged on disk.
     */
    private static OrtSession createFromWeights(OrtEnvironment env, OnnxModel model, OrtSession.SessionOptions opts)
            throws OrtException {
        if (model.mapped() != null) {
            model.mapped().requireUnchanged(model.source()); // a file cut short under its mapping would crash the JVM
        }
        org.xgradcam.onnx.proto.OnnxProto.GraphProto graph = model.proto().getGraph();
        java.util.Map<String, ai.onnxruntime.OnnxTensorLike> weights = new java.util.LinkedHashMap<>();
        org.xgradcam.onnx.proto.OnnxProto.GraphProto.Builder stubs = null;
        ExternalData.Mapper files = new ExternalData.Mapper();
        try {
            for (int i = 0; i < graph.getInitializerCount(); i++) {
                TensorProto t = graph.getInitializer(i);
                boolean external = ExternalData.isExternal(t);
                ai.onnxruntime.OnnxJavaType type = javaType(t.getDataType());
                java.nio.ByteBuffer data;
                if (external) {
                    data = files.map(ExternalData.locate(t, model.baseDir(), model.mapped() == null ? null
                            : model.mapped().path(), model.source()));
                } else if (t.hasRawData() && t.getRawData().size() >= HANDED_OVER_BYTES) {
                    data = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
                } else {
                    continue;
                }
                if (weights.containsKey(t.getName())) {
                    continue;
                }
                if (stubs == null) {
                    stubs = graph.toBuilder();
                }
                if (type == null || !data.isDirect() || !sizeMatches(data, TensorProtos.dims(t), type)) {
                    if (external) {
                        // a type ONNX Runtime takes no buffer of: its bytes go inline, as if stored so
                        stubs.setInitializer(i, t.toBuilder().clearExternalData().clearDataLocation()
                                .setRawData(com.google.protobuf.ByteString.copyFrom(data)));
                    }
                    continue; // built in memory, or malformed (ONNX Runtime names it): serialised as it is
                }
                weights.put(t.getName(), ai.onnxruntime.OnnxTensor.createTensor(env, data, TensorProtos.dims(t), type));
                // a stub ONNX Runtime replaces with the tensor before it would look for the file
                stubs.setInitializer(i, t.toBuilder().clearRawData().clearExternalData()
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("xgradcam-weight")));
            }
            if (stubs == null) {
                return env.createSession(model.toBytes(), opts);
            }
            if (!weights.isEmpty()) {
                opts.addExternalInitializers(weights);
            }
            return env.createSession(model.proto().toBuilder().setGraph(stubs).build().toByteArray(), opts);
        } finally {
            // ONNX Runtime has copied them into the session (or failed): ours can go
            for (ai.onnxruntime.OnnxTensorLike w : weights.values()) {
                w.close();
            }
        }
    }

    /** Whether the bytes hold exactly the elements the dimensions promise. */
    private static boolean sizeMatches(java.nio.ByteBuffer data, long[] dims, ai.onnxruntime.OnnxJavaType type) {
        long n = 1;
        for (long d : dims) {
            if (d < 0) {
                return false;
            }
            n = Math.multiplyHigh(n, d) != 0 ? -1 : n * d;
            if (n < 0) {
                return false;
            }
        }
        int width = switch (type) {
            case DOUBLE, INT64 -> 8;
            case FLOAT, INT32 -> 4;
            case FLOAT16, BFLOAT16, INT16 -> 2;
            default -> 1;
        };
        return n <= Long.MAX_VALUE / width && n * width == data.remaining();
    }

    /** ONNX Runtime's element type for an ONNX data type it takes as a buffer, else null. */
    private static ai.onnxruntime.OnnxJavaType javaType(int dataType) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(dataType);
        if (t == null) {
            return null;
        }
        return switch (t) {
            case FLOAT -> ai.onnxruntime.OnnxJavaType.FLOAT;
            case DOUBLE -> ai.onnxruntime.OnnxJavaType.DOUBLE;
            case INT64 -> ai.onnxruntime.OnnxJavaType.INT64;
            case INT32 -> ai.onnxruntime.OnnxJavaType.INT32;
            case INT8 -> ai.onnxruntime.OnnxJavaType.INT8;
            case UINT8 -> ai.onnxruntime.OnnxJavaType.UINT8;
            case INT16 -> ai.onnxruntime.OnnxJavaType.INT16;
            case FLOAT16 -> ai.onnxruntime.OnnxJavaType.FLOAT16;
            case BFLOAT16 -> ai.onnxruntime.OnnxJavaType.BFLOAT16;
            default -> null;
        };
    }

    /** A run in progress: the thread it runs on and its session. */
    private record Run(Thread thread, OrtSession session) {}

    /** The runs in progress, each with the options that can stop it. */
    private static final Map<OrtSession.RunOptions, Run> running = new java.util.concurrent.ConcurrentHashMap<>();

    /** Sessions being closed: no run may start on them. Guarded by {@link #running}'s monitor, with the waits. */
    private static final Set<OrtSession> closing = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

    /**
     * Closes a session safely: runs starting on it from now are refused, runs in progress on it
     * are stopped (between two operators) and waited for, and only then is it released. Closing
     * a session under a run in another thread crashed the JVM in ONNX Runtime (a server shut down
     * while a request was still being explained).
     */
    /**
     * As {@link #close(OrtSession)}, failing as xgradcam does: what every session holder's
     * close() calls.
     */
    public static void closeSession(OrtSession session) {
        try {
            close(session); // stops and waits for runs still in flight
        } catch (OrtException e) {
            throw new XGradCamException("cannot close session: " + e.getMessage(), e);
        }
    }

    public static void close(OrtSession session) throws OrtException {
        boolean idle;
        synchronized (running) {
            closing.add(session);
            for (var e : running.entrySet()) {
                if (e.getValue().session() == session) {
                    try {
                        e.getKey().setTerminate(true);
                    } catch (OrtException | RuntimeException ex) {
                        // ended meanwhile
                    }
                }
            }
            long end = System.nanoTime() + STOP_WAIT_MS * 1_000_000;
            while (running.values().stream().anyMatch(r -> r.session() == session) && System.nanoTime() < end) {
                try {
                    running.wait(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            idle = running.values().stream().noneMatch(r -> r.session() == session);
        }
        if (!idle) {
            return; // a run that would not stop: the session is left open (and refuses runs) rather than freed under it
        }
        try {
            session.close();
        } finally {
            synchronized (running) {
                closing.remove(session);
            }
        }
    }

    /** A run refused or stopped because its thread was cancelled ({@link #cancel}). */
    public static final class Cancelled extends XGradCamException {
        Cancelled() {
            super("the work was cancelled (it ran past its time, or its caller went away)");
        }
    }

    /**
     * Cancels a thread's model work: it is interrupted, its run in progress (if any) stops
     * between two operators, and every later run on it fails at once with {@link Cancelled} until
     * its interrupt is cleared. Methods with many runs (Score-CAM, smoothing, the metrics) stop
     * at their next run. A server gives work that outlived its budget back this way.
     */
    public static void cancel(Thread worker) {
        worker.interrupt(); // first: a run registered after this sees the interrupt, one before it is terminated
        for (var e : running.entrySet()) {
            if (e.getValue().thread() == worker) {
                try {
                    e.getKey().setTerminate(true);
                } catch (OrtException | RuntimeException ex) {
                    // closed meanwhile: that run has ended
                }
            }
        }
    }
    private static volatile boolean stopping;
    private static final AtomicBoolean stopHookRegistered = new AtomicBoolean();

    /** How long the JVM's exit waits for runs in progress to stop (they stop between two operators). */
    static final long STOP_WAIT_MS = 5000;

    /**
     * Runs a session (all outputs when {@code outputs} is null). Every run goes through here, so
     * that a JVM told to exit (Ctrl-C, SIGTERM) first stops the runs in progress and waits for
     * them: ONNX Runtime's native state is torn down at exit, and a thread still inside a run
     * then crashed the JVM (a SIGSEGV and an hs_err file in the working folder). Once exiting,
     * no new run starts.
     */
    public static OrtSession.Result run(OrtSession session, Map<String, ? extends ai.onnxruntime.OnnxTensorLike> feeds,
                                        Set<String> outputs) throws OrtException {
        OrtSession.RunOptions options = new OrtSession.RunOptions();
        enterNative();
        try {
            synchronized (running) {
                if (closing.contains(session)) {
                    throw new XGradCamException("the model is being closed: no new run on it");
                }
                running.put(options, new Run(Thread.currentThread(), session));
            }
            if (stopping) {
                throw new XGradCamException("the JVM is exiting: no new model run");
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new Cancelled();
            }
            try {
                return outputs == null ? session.run(feeds, options) : session.run(feeds, outputs, options);
            } catch (OrtException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new Cancelled(); // stopped by cancel(): not the model's fault
                }
                throw e;
            }
        } finally {
            synchronized (running) {
                running.remove(options);
                running.notifyAll();
            }
            options.close();
            exitNative();
        }
    }

    /** Threads inside ONNX Runtime (a run, or a session being created); the JVM's exit waits for them. */
    private static final java.util.concurrent.atomic.AtomicInteger inNative = new java.util.concurrent.atomic.AtomicInteger();

    private static void enterNative() {
        if (stopHookRegistered.compareAndSet(false, true)) {
            stopOnSignals();
            Runtime.getRuntime().addShutdownHook(new Thread(OrtSessions::stopRuns, "xgradcam-ort-stop"));
        }
        inNative.incrementAndGet();
        if (stopping) {
            inNative.decrementAndGet();
            throw new XGradCamException("the JVM is exiting: ONNX Runtime is not used any more");
        }
    }

    private static void exitNative() {
        inNative.decrementAndGet();
    }

    /**
     * ONNX Runtime's Java binding releases its native environment in a shutdown hook of its own,
     * which runs beside every other hook: a shutdown hook of ours cannot stop the runs before it.
     * So on SIGTERM, SIGINT (Ctrl-C) and SIGHUP the runs are stopped first, in the signal's own
     * handler, and the handler there before (the JVM's: exit with 128 + the signal) is then
     * called. Where the JVM offers no such handlers, the shutdown hook alone remains.
     */
    private static void stopOnSignals() {
        // sun.misc.Signal through reflection: the JDK's only signal API, named without compiling
        // against an internal class
        Class<?> signalClass;
        Class<?> handlerClass;
        try {
            signalClass = Class.forName("sun.misc.Signal");
            handlerClass = Class.forName("sun.misc.SignalHandler");
        } catch (ClassNotFoundException | LinkageError e) {
            return; // another JVM: the shutdown hook alone
        }
        for (String name : List.of("TERM", "INT", "HUP")) {
            try {
                Object signal = signalClass.getConstructor(String.class).newInstance(name);
                java.lang.reflect.Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
                java.lang.reflect.Method call = handlerClass.getMethod("handle", signalClass);
                Object dfl = handlerClass.getField("SIG_DFL").get(null);
                Object ign = handlerClass.getField("SIG_IGN").get(null);
                int number = (int) signalClass.getMethod("getNumber").invoke(signal);
                Object[] before = new Object[1];
                Object ours = java.lang.reflect.Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                        (proxy, method, args) -> {
                            if (!method.getName().equals("handle")) {
                                return method.invoke(signalHandlerIdentity, args); // toString, hashCode, equals
                            }
                            stopRuns();
                            Object b = before[0];
                            if (b == dfl) {
                                System.exit(128 + number);
                            } else if (b != ign && b != null) {
                                call.invoke(b, args[0]);
                            }
                            return null;
                        });
                before[0] = handle.invoke(null, signal, ours);
                if (before[0] == ign) {
                    handle.invoke(null, signal, ign); // ignored (nohup): stays ignored
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // no signal handling here (-Xrs, a signal the JVM keeps): the shutdown hook alone
            }
        }
    }

    /** Answers the proxy's Object methods. */
    private static final Object signalHandlerIdentity = new Object();

    private static void stopRuns() {
        stopping = true;
        for (OrtSession.RunOptions o : running.keySet()) {
            try {
                o.setTerminate(true);
            } catch (OrtException | RuntimeException e) {
                // closed meanwhile: that run has ended
            }
        }
        long end = System.nanoTime() + STOP_WAIT_MS * 1_000_000;
        while (inNative.get() > 0 && System.nanoTime() < end) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
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

}
