package org.xgradcam.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.imageio.ImageIO;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.CamResult;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.PostProcess;
import org.xgradcam.image.Colormap;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.RgbImage;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.onnx.LayerCatalog;
import org.xgradcam.pipeline.Pipeline;
import org.xgradcam.pipeline.Request;
import org.xgradcam.pipeline.Result;
import org.xgradcam.tensor.FloatTensor;

/**
 * The viewer and its JSON API: one page (static files, no build step) and {@code /api/...}.
 * Models come only from the list it was started with (ids, never paths); one Explainer per model
 * serves every request thread. Work is bounded: a fixed pool with a short queue (a full queue
 * answers 503 with Retry-After), a per-request timeout (504), upload and image-size caps (413);
 * every bad request is a 4xx with {"error": "..."}. Nothing is written to disk.
 */
public final class ViewerServer implements AutoCloseable {
    /**
     * How the server is limited, where it listens and whom it answers: the host names it answers
     * besides its own (RequestGuard; "*" for any), the origins whose pages may call it, the
     * pool of workers and their queue (a full queue answers 503 at once), the time a request
     * may take (its work is then stopped), the upload and pixel caps, and the connection bounds
     * (per client, the time to send headers, the slowest upload rate accepted).
     */
    public record Limits(String host, int port, long maxUploadBytes, long maxPixels, int workers, int queue,
                         long timeoutMs, java.util.Set<String> allowedHosts, java.util.Set<String> allowedOrigins,
                         int connectionsPerClient, long headerTimeoutMs, long idleTimeoutMs, long minUploadBytesPerSecond) {
        public static Limits defaults() {
            int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
            return new Limits("127.0.0.1", 8080, 20L << 20, 25_000_000L, workers, 4 * workers, 60_000, java.util.Set.of(),
                    java.util.Set.of(), 256, 5_000, 30_000, 32 << 10);
        }

        public Limits withPort(int p) {
            return new Limits(host, p, maxUploadBytes, maxPixels, workers, queue, timeoutMs, allowedHosts, allowedOrigins,
                    connectionsPerClient, headerTimeoutMs, idleTimeoutMs, minUploadBytesPerSecond);
        }

        public Limits withHost(String h) {
            return new Limits(h, port, maxUploadBytes, maxPixels, workers, queue, timeoutMs, allowedHosts, allowedOrigins,
                    connectionsPerClient, headerTimeoutMs, idleTimeoutMs, minUploadBytesPerSecond);
        }

        public Limits withQueue(int w, int q) {
            return new Limits(host, port, maxUploadBytes, maxPixels, w, q, timeoutMs, allowedHosts, allowedOrigins,
                    connectionsPerClient, headerTimeoutMs, idleTimeoutMs, minUploadBytesPerSecond);
        }

        public Limits withMaxUpload(long bytes) {
            return new Limits(host, port, bytes, maxPixels, workers, queue, timeoutMs, allowedHosts, allowedOrigins,
                    connectionsPerClient, headerTimeoutMs, idleTimeoutMs, minUploadBytesPerSecond);
        }

        public Limits withTimeout(long ms) {
            return new Limits(host, port, maxUploadBytes, maxPixels, workers, queue, ms, allowedHosts, allowedOrigins,
                    connectionsPerClient, headerTimeoutMs, idleTimeoutMs, minUploadBytesPerSecond);
        }

        /** Names (Host headers) and origins answered besides the server's own: for a reverse proxy or a LAN name. */
        public Limits withAllowed(java.util.Set<String> hosts, java.util.Set<String> origins) {
            return new Limits(host, port, maxUploadBytes, maxPixels, workers, queue, timeoutMs, java.util.Set.copyOf(hosts),
                    java.util.Set.copyOf(origins), connectionsPerClient, headerTimeoutMs, idleTimeoutMs, minUploadBytesPerSecond);
        }

        public Limits withConnections(int perClient, long headerMs, long idleMs, long minBytesPerSecond) {
            return new Limits(host, port, maxUploadBytes, maxPixels, workers, queue, timeoutMs, allowedHosts, allowedOrigins,
                    perClient, headerMs, idleMs, minBytesPerSecond);
        }
    }

    /** The way out of an error in an API client's words: the requests that give it. */
    static final java.util.function.Function<XGradCamException.Advice, String> API_WORDS = a -> switch (a) {
        case LAYERS -> "GET /api/models/{id}/layers lists the model's layers; send one as 'layer'";
        case MODELS -> "GET /api/models lists the models served";
        case LABELS -> "send the class index as 'target'";
        case DAMAGED_IMAGE -> "the viewer explains intact images only";
        case MODEL_FILE -> "serve the model from its file (xgradcam serve --model FILE)";
    };

    /** The example scenes one click away: the repository's examples/ (see its README), packed with the server. */
    static final List<String> EXAMPLES = List.of("star-and-circle", "star-and-cross", "triangle-and-cross", "circle-and-square");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, ModelSpec> models;
    private final Map<String, Pipeline> pipelines = new ConcurrentHashMap<>();
    private final Limits limits;
    private final ThreadPoolExecutor pool;
    private final Javalin app;

    private final java.util.concurrent.ScheduledExecutorService clock;

    private ViewerServer(Map<String, ModelSpec> models, Limits limits) {
        if (models.isEmpty()) {
            throw new XGradCamException("no model to serve");
        }
        this.models = models;
        this.limits = limits;
        this.pool = new ThreadPoolExecutor(limits.workers(), limits.workers(), 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(Math.max(1, limits.queue())));
        this.clock = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "xgradcam-serve-clock");
            t.setDaemon(true);
            return t;
        });
        ConnectionGuard connections = new ConnectionGuard(limits.connectionsPerClient(), limits.headerTimeoutMs(), clock);
        this.app = Javalin.create(cfg -> {
            cfg.staticFiles.add("/org/xgradcam/serve/web", io.javalin.http.staticfiles.Location.CLASSPATH);
            cfg.http.maxRequestSize = limits.maxUploadBytes() + (1 << 20);
            cfg.http.prefer405over404 = true;
            cfg.jetty.multipartConfig.maxFileSize(limits.maxUploadBytes(), io.javalin.config.SizeUnit.BYTES);
            cfg.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, limits.maxUploadBytes() + 1), io.javalin.config.SizeUnit.BYTES); // uploads stay in memory: nothing written to disk
            cfg.jetty.multipartConfig.maxTotalRequestSize(limits.maxUploadBytes() + (1 << 20), io.javalin.config.SizeUnit.BYTES);
            cfg.startup.showJavalinBanner = false;
            // before anything else: whom the server answers (Host, Origin), then how slowly an upload may come
            cfg.jetty.modifyServer(server -> {
                server.insertHandler(new org.eclipse.jetty.server.handler.MinimumDataRateHandler(null,
                        limits.minUploadBytesPerSecond(), 0));
                server.insertHandler(new RequestGuard(limits.host(), limits.allowedHosts(), limits.allowedOrigins()));
            });
            cfg.jetty.addConnector((server, http) -> {
                org.eclipse.jetty.server.ServerConnector c = new org.eclipse.jetty.server.ServerConnector(server,
                        new org.eclipse.jetty.server.HttpConnectionFactory(http));
                c.setHost(limits.host());
                c.setPort(limits.port());
                c.setIdleTimeout(limits.idleTimeoutMs());
                c.addBean(connections);
                return c;
            });
            cfg.routes.get("/api/models", this::listModels);
            cfg.routes.get("/api/methods", this::listMethods);
            cfg.routes.get("/api/models/{id}/layers", this::listLayers);
            cfg.routes.get("/api/examples", this::listExamples);
            cfg.routes.get("/api/colormaps", this::colormaps);
            cfg.routes.get("/api/examples/{n}", this::example);
            cfg.routes.post("/api/explain", this::explain);
            cfg.routes.exception(ApiError.class, (e, ctx) -> {
                if (e.status == 503) {
                    ctx.header("Retry-After", "2");
                }
                error(ctx, e.status, e.getMessage());
            });
            cfg.routes.exception(XGradCamException.class, (e, ctx) -> error(ctx, 400, e.message(API_WORDS)));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                boolean slow = false;
                for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
                    slow |= c instanceof java.util.concurrent.TimeoutException; // the minimum upload rate, not met
                }
                Throwable bad = e;
                while (bad != null && !(bad instanceof org.eclipse.jetty.http.HttpException)) {
                    bad = bad.getCause();
                }
                if (slow) {
                    ctx.header("Connection", "close");
                    error(ctx, 408, "the upload arrived too slowly (under " + (limits.minUploadBytesPerSecond() >> 10)
                            + " KB/s); send it again");
                } else if (bad != null && ctx.req().getContentLengthLong() > limits.maxUploadBytes()) {
                    // the parser refused a file part over the cap
                    error(ctx, 413, "the upload is larger than the " + limits.maxUploadBytes() + " bytes allowed");
                } else if (bad != null) {
                    error(ctx, 400, "malformed request: " + bad.getMessage() + " (send multipart/form-data with an 'image' file)");
                } else {
                    error(ctx, 500, "internal error: " + e);
                }
            });
            // Javalin's own answers (no route, wrong method, too large) in the API's JSON form; ours stay as they are
            cfg.routes.error(404, ctx -> {
                if (!ours(ctx)) {
                    error(ctx, 404, "no such " + (ctx.path().startsWith("/api/") ? "endpoint" : "page") + ": " + ctx.method()
                            + " " + ctx.path());
                }
            });
            cfg.routes.error(405, ctx -> {
                if (!ours(ctx)) {
                    error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path());
                }
            });
            cfg.routes.error(413, ctx -> {
                if (!ours(ctx)) {
                    error(ctx, 413, "the upload is larger than " + (limits.maxUploadBytes() >> 20) + " MB");
                }
            });
        });
    }

    /** Whether an error answer is already one of ours (JSON), not Javalin's plain text. */
    private static boolean ours(Context ctx) {
        String type = ctx.res().getContentType();
        return ctx.result() != null && type != null && type.startsWith("application/json");
    }

    /** Starts serving the models (id -> spec, first the default) and returns once it listens. */
    public static ViewerServer start(Map<String, ModelSpec> models, Limits limits) {
        ViewerServer s = new ViewerServer(new LinkedHashMap<>(models), limits);
        try {
            s.app.start();
        } catch (RuntimeException e) {
            s.pool.shutdownNow();
            s.clock.shutdownNow();
            throw new XGradCamException("cannot listen on " + limits.host() + ":" + limits.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + " (is the port in use? try --port)");
        }
        return s;
    }

    /** The port it listens on (the one asked for, or the free one picked for port 0). */
    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
        pool.shutdownNow();
        clock.shutdownNow();
        eq5Sessions.values().forEach(org.xgradcam.runtime.GradientSession::close);
        pipelines.values().forEach(Pipeline::close);
    }

    /** A request's fault, answered with its status. */
    static final class ApiError extends RuntimeException {
        final int status;

        ApiError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static void error(Context ctx, int status, String message) {
        ctx.status(status).contentType("application/json").result(json(Map.of("error", message == null ? "error" : message)));
    }

    /** A string as a JSON literal. */
    static String jsonString(String s) {
        return json(s);
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(Context ctx, Object o) {
        ctx.contentType("application/json").result(json(o));
    }

    /** The model's pipeline, opened on first use and shared by every request thread. */
    private Pipeline pipeline(String id) {
        ModelSpec spec = models.get(id);
        if (spec == null) {
            throw new ApiError(404, "unknown model '" + id + "'; the models served are " + String.join(", ", models.keySet()));
        }
        return pipelines.computeIfAbsent(id, k -> Pipeline.open(spec));
    }

    private void listModels(Context ctx) {
        List<Map<String, Object>> out = new ArrayList<>();
        boolean first = true;
        for (var e : models.entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.getKey());
            m.put("name", e.getValue().name());
            m.put("input", List.of(e.getValue().preprocessing().height(), e.getValue().preprocessing().width()));
            m.put("classes", e.getValue().labels().lines().stream().map(l -> l.matches("n\\d{8} .*") ? l.substring(10) : l)
                    .toList());
            m.put("default", first);
            first = false;
            out.add(m);
        }
        send(ctx, out);
    }

    private void listMethods(Context ctx) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String id : Methods.ids()) {
            CamMethod m = Methods.byName(id);
            out.add(Map.of("id", m.id(), "name", m.name(), "cost", m.cost()));
        }
        send(ctx, out);
    }

    private void listLayers(Context ctx) {
        Pipeline p = pipeline(ctx.pathParam("id"));
        LayerCatalog catalog = p.explainer().layers();
        String dflt = catalog.defaultLayer().map(LayerCatalog.Layer::tensor).orElse(null);
        List<Map<String, Object>> out = new ArrayList<>();
        for (LayerCatalog.Layer l : catalog.layers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tensor", l.tensor());
            m.put("op", l.opType());
            m.put("shape", l.shape());
            m.put("default", l.tensor().equals(dflt));
            out.add(m);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("kind", p.kind().id());
        answer.put("layers", out);
        send(ctx, answer);
    }

    /** The colour maps' tables (OpenCV's, as the pictures use them): the page colours maps with them. */
    private void colormaps(Context ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Colormap c : Colormap.values()) {
            List<int[]> lut = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                lut.add(c.rgb(i));
            }
            out.put(c.name().toLowerCase(java.util.Locale.ROOT), lut);
        }
        send(ctx, out);
    }

    private void listExamples(Context ctx) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < EXAMPLES.size(); i++) {
            out.add(Map.of("url", "/api/examples/" + i, "name", EXAMPLES.get(i), "shapes", List.of(EXAMPLES.get(i).split("-and-"))));
        }
        send(ctx, out);
    }

    private void example(Context ctx) throws IOException {
        int n;
        try {
            n = Integer.parseInt(ctx.pathParam("n"));
        } catch (NumberFormatException e) {
            throw new ApiError(404, "no example '" + ctx.pathParam("n") + "'");
        }
        if (n < 0 || n >= EXAMPLES.size()) {
            throw new ApiError(404, "no example " + n + " (0.." + (EXAMPLES.size() - 1) + ")");
        }
        try (InputStream in = ViewerServer.class.getResourceAsStream("examples/" + EXAMPLES.get(n) + ".png")) {
            if (in == null) {
                throw new ApiError(404, "example " + EXAMPLES.get(n) + " is missing from this build");
            }
            ctx.contentType("image/png").result(in.readAllBytes());
        }
    }

    private void explain(Context ctx) throws Exception {
        // sized before the multipart parser reads it: a huge upload is refused unread
        long length = ctx.req().getContentLengthLong();
        if (length > limits.maxUploadBytes() + (1 << 20)) {
            if (length <= 8 * limits.maxUploadBytes()) {
                // read (and drop) a moderately large body, so the client is done sending and sees the answer,
                // unless it stops sending for 5 s; a far larger one is answered at once and the connection closed
                org.eclipse.jetty.ee10.servlet.ServletContextRequest.getServletContextRequest(ctx.req())
                        .getConnectionMetaData().getConnection().getEndPoint().setIdleTimeout(5_000);
                try {
                    ctx.req().getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                } catch (IOException stopped) {
                    // it stopped sending: answered all the same
                }
            }
            ctx.header("Connection", "close");
            throw new ApiError(413, "the upload is " + length + " bytes, more than the " + limits.maxUploadBytes()
                    + " allowed");
        }
        String modelId = ctx.formParam("model") != null ? ctx.formParam("model") : models.keySet().iterator().next();
        Pipeline p = pipeline(modelId);
        UploadedFile image = ctx.uploadedFile("image");
        if (image == null) {
            throw new ApiError(400, "no image: send a multipart field 'image' (a PNG, JPEG, ... file)");
        }
        if (image.size() > limits.maxUploadBytes()) {
            throw new ApiError(413, "the image is " + image.size() + " bytes, more than the " + limits.maxUploadBytes() + " allowed");
        }
        byte[] bytes;
        try (InputStream in = image.content()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxUploadBytes() + 1));
        }
        List<CamMethod> methods = Request.methods(ctx.formParams("method").isEmpty() ? Request.DEFAULT_METHODS
                : ctx.formParams("method"));
        if (methods.size() > 8) {
            throw new ApiError(400, "at most 8 methods per request (" + methods.size() + " asked)");
        }
        String box = blankToNull(ctx.formParam("box"));
        boolean allBoxes = "all".equalsIgnoreCase(box);
        Integer boxIndex = null;
        if (box != null && !allBoxes) {
            try {
                boxIndex = Integer.parseInt(box.strip());
            } catch (NumberFormatException ex) {
                throw new ApiError(400, "box '" + box + "' is neither a detection's number nor 'all'");
            }
        }
        if (p.kind().detects() && box == null) {
            boxIndex = 0; // the best detection, unless another (or all) is asked for
        }
        double threshold = 0.25;
        if (blankToNull(ctx.formParam("score_threshold")) != null) {
            try {
                threshold = Double.parseDouble(ctx.formParam("score_threshold").strip());
            } catch (NumberFormatException ex) {
                throw new ApiError(400, "score_threshold '" + ctx.formParam("score_threshold") + "' is not a number (0 to 1)");
            }
        }
        Integer step = null;
        String stepParam = blankToNull(ctx.formParam("step"));
        if (stepParam != null) {
            try {
                step = Integer.parseInt(stepParam.strip());
            } catch (NumberFormatException ex) {
                throw new ApiError(400, "step '" + stepParam + "' is not a step's number (sequence models: 0 to T - 1)");
            }
        }
        String layer = blankToNull(ctx.formParam("layer"));
        Request request = Request.defaults().withMethods(methods).withLayers(layer == null ? List.of() : List.of(layer))
                .withTarget(p.kind().detects() ? null : blankToNull(ctx.formParam("target")))
                .withDetections(threshold, Request.DEFAULT_MAX_DETECTIONS, boxIndex, null).withStep(step)
                .withConvention(ctx.formParam("convention") == null ? PostProcess.SEED : PostProcess.parse(ctx.formParam("convention")))
                .withPictures(true, blankToNull(ctx.formParam("colormap")) == null ? Colormap.JET
                        : Colormap.parse(ctx.formParam("colormap")), false, false);
        Pipeline.Plan plan = p.plan(request); // an unknown layer or class is a 400 before any work is queued
        boolean raw = "true".equalsIgnoreCase(ctx.formParam("raw"));
        boolean metrics = "true".equalsIgnoreCase(ctx.formParam("metrics"));
        String name = image.filename() == null || image.filename().isBlank() ? "the upload" : image.filename();
        send(ctx, runBounded(() -> explainImage(p, modelId, bytes, name, plan, raw, metrics)));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /**
     * Runs a request's work on the pool within the request's budget: a full queue is answered 503
     * at once; work past its budget is stopped (its model runs terminated, later runs refused:
     * {@link org.xgradcam.onnx.OrtSessions#cancel}) and answered 504, so it frees its worker.
     */
    private <T> T runBounded(java.util.concurrent.Callable<T> work) {
        java.util.concurrent.atomic.AtomicReference<Thread> worker = new java.util.concurrent.atomic.AtomicReference<>();
        Future<T> f;
        try {
            f = pool.submit(() -> {
                worker.set(Thread.currentThread());
                try {
                    return work.call();
                } finally {
                    synchronized (worker) {
                        worker.set(null);
                        Thread.interrupted(); // a cancellation that came late stays with this request
                    }
                }
            });
        } catch (RejectedExecutionException full) {
            throw new ApiError(503, "the server is busy (" + limits.queue() + " requests waiting); retry in a few seconds");
        }
        try {
            return f.get(limits.timeoutMs(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException te) {
            f.cancel(false); // not started yet: it never will
            synchronized (worker) {
                Thread w = worker.get();
                if (w != null) {
                    org.xgradcam.onnx.OrtSessions.cancel(w);
                }
            }
            throw new ApiError(504, "the explanation took longer than " + limits.timeoutMs() / 1000 + " s and was stopped;"
                    + " try fewer or cheaper methods");
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new ApiError(503, "the server is stopping");
        } catch (ExecutionException ee) {
            Throwable c = ee.getCause();
            if (c instanceof ApiError a) {
                throw a;
            }
            if (c instanceof XGradCamException x) {
                throw new ApiError(400, x.message(API_WORDS));
            }
            throw new ApiError(500, "internal error: " + c);
        }
    }

    /**
     * The pipeline's result document, as JSON, with what the page draws: the model's input and
     * (for detections) all boxes as PNG, and per explained thing its maps per method (the overlay
     * and the map as grayscale PNG, the low-resolution map on request, the deletion and insertion
     * curves on request for a classifier).
     */
    private Map<String, Object> explainImage(Pipeline p, String modelId, byte[] bytes, String name, Pipeline.Plan plan,
                                             boolean raw, boolean metrics) {
        org.xgradcam.pipeline.Prepared in;
        try {
            // the size in the image's header is checked against the server's cap before any pixel is decoded
            in = p.prepare(bytes, name, false, limits.maxPixels());
        } catch (ImageLoader.TooLarge x) {
            throw new ApiError(413, x.getMessage());
        }
        Result r = p.explain(in, plan);
        Map<String, Object> out = r.toJson();
        out.put("notes", p.notes()); // what the command line says before its first image (the preprocessing guessed)
        out.put("width", in.backdrop().width());
        out.put("height", in.backdrop().height());
        out.put("picture", base64(png(in.backdrop())));
        if (r.overview() != null) {
            out.put("overview", base64(png(r.overview())));
        }
        List<Map<String, Object>> explanations = new ArrayList<>();
        for (Result.Explained ex : r.explained()) {
            Map<String, Object> one = new LinkedHashMap<>();
            if (ex.rank() != null) {
                one.put("rank", ex.rank());
            }
            if (ex.detection() != null) {
                one.put("detection", ex.detection());
            }
            if (ex.classIndex() >= 0) {
                one.put("class_index", ex.classIndex()); // (a sequence's text explained as a whole has none)
            }
            one.put("class", ex.name());
            if (ex.wordNetId() != null) {
                one.put("wnid", ex.wordNetId());
            }
            one.put("score", ex.score());
            if (ex.detection() != null) {
                one.put("picture", base64(png(ex.backdrop())));
            }
            Map<String, Object> maps = new LinkedHashMap<>();
            for (CamMethod m : r.methods()) {
                CamResult cr = ex.explanation().result(m.id());
                Map<String, Object> map = new LinkedHashMap<>();
                map.put("name", m.name());
                map.put("png", base64(png(ex.pictures().get(m.id()).overlay())));
                if (cr.map() != null) {
                    map.put("gray", base64(gray(cr.map().data(), ex.backdrop().width(), ex.backdrop().height())));
                    if (raw) {
                        map.put("lowres", nested(cr.layers().get(0).raw()));
                    }
                }
                if (metrics && cr.map() != null && r.kind() == org.xgradcam.pipeline.ModelKind.CLASSIFIER) {
                    // deletion and insertion games (RISE), 32 steps each, on the class explained
                    // on the engine of this image's own size (a model of free size keeps each image's aspect)
                    int step = Math.max(1, cr.map().size() / 32);
                    var del = p.withExplainer(in.x(), e -> new org.xgradcam.metrics.Faithfulness(e)
                            .deletion(in.x(), cr.map().data(), ex.classIndex(), step));
                    var ins = p.withExplainer(in.x(), e -> new org.xgradcam.metrics.Faithfulness(e)
                            .insertion(in.x(), cr.map().data(), ex.classIndex(), step));
                    map.put("deletion", Map.of("scores", del.scores(), "auc", del.auc()));
                    map.put("insertion", Map.of("scores", ins.scores(), "auc", ins.auc()));
                }
                maps.put(m.id(), map);
            }
            one.put("maps", maps);
            explanations.add(one);
        }
        out.put("explanations", explanations);
        if (metrics) {
            out.put("eq5", r.kind() == org.xgradcam.pipeline.ModelKind.CLASSIFIER && !r.explained().isEmpty()
                    ? p.withExplainer(in.x(), e -> eq5(e, modelId, r.first().explanation(), in.x(),
                            java.util.Arrays.equals(in.x().shape(), p.explainer().inputShape())))
                    : Map.of("note", "the Eq. (5) check and the faithfulness curves are for classifiers"));
        }
        return out;
    }

    /** Sessions with bias gradients per model and layer, for the Eq. (5) check (built once, shared). */
    private final Map<String, org.xgradcam.runtime.GradientSession> eq5Sessions = new ConcurrentHashMap<>();

    /**
     * Eq. (5) of the paper at the layer: class score = sum(A dS/dA) + the bias term, and the
     * residual; only where every path passes through the layer.
     */
    private Map<String, Object> eq5(Explainer e, String modelId, Explanation ex, FloatTensor x, boolean kept) {
        String l = ex.layer();
        if (!e.layers().isCut(l)) {
            return Map.of("note", "a skip connection bypasses " + l + ", where Eq. (5) does not apply");
        }
        java.util.function.Supplier<org.xgradcam.runtime.GradientSession> make = () -> new org.xgradcam.runtime.GradientSession(
                org.xgradcam.autodiff.GradientBuilder.build(e.graph(), e.shapes(),
                        org.xgradcam.autodiff.GradientRequest.of(List.of(l), e.layers().score()).withBiasGradients()),
                org.xgradcam.runtime.RuntimeOptions.cpu());
        if (!kept) {
            // an image of its own size (a model of free size): a session for it alone, not kept
            try (org.xgradcam.runtime.GradientSession once = make.get()) {
                return eq5(once, l, ex, x, e.numClasses());
            }
        }
        return eq5(eq5Sessions.computeIfAbsent(modelId + "\n" + l, k -> make.get()), l, ex, x, e.numClasses());
    }

    private static Map<String, Object> eq5(org.xgradcam.runtime.GradientSession s, String l, Explanation ex, FloatTensor x,
                                           int k) {
        var r = s.run(x, org.xgradcam.runtime.GradientSession.Seed.classes(new int[] {ex.classIndex()}, k));
        float[] seed = new float[k];
        seed[ex.classIndex()] = 1;
        var d = org.xgradcam.metrics.ScoreDecomposition.of(s.model(), r, l, 0, seed);
        return Map.of("layer", l, "score", d.score(), "feature_term", d.featureTerm(), "bias_term", d.biasTerm(),
                "residual", d.residual());
    }

    /** A low-resolution map [h, w] (or [1, h, w]) as nested rows. */
    private static List<List<Float>> nested(FloatTensor t) {
        int w = t.dim(t.rank() - 1);
        int h = t.size() / w;
        List<List<Float>> rows = new ArrayList<>();
        for (int y = 0; y < h; y++) {
            List<Float> row = new ArrayList<>(w);
            for (int xx = 0; xx < w; xx++) {
                row.add(t.data()[y * w + xx]);
            }
            rows.add(row);
        }
        return rows;
    }

    private static String base64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    /** The map (values in [0, 1]) as an 8-bit grayscale PNG: the page colours it and reads values from it. */
    private static byte[] gray(float[] map, int w, int h) {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        byte[] px = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) Math.round(Math.max(0, Math.min(1, map[i])) * 255);
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] png(RgbImage img) {
        return org.xgradcam.image.Pictures.png(img);
    }
}
