package org.xgradcam.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.tensor.FloatTensor;

/** The JSON API on a free loopback port: listings, explanations equal to the library's, hostile requests, load. */
class ViewerServerTest {
    static ViewerServer server;
    static HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static byte[] scene;

    @BeforeAll
    static void start() throws Exception {
        server = ViewerServer.start(Map.of("shapes", ModelSpec.demo()),
                ViewerServer.Limits.defaults().withPort(0).withMaxUpload(2L << 20).withQueue(2, 64));
        scene = Files.readAllBytes(Path.of("..", "examples", "star-and-circle.png"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A multipart POST: fields, then the image as a file part (null: none). */
    static HttpResponse<String> post(byte[] image, String... fields) throws Exception {
        return post(server, image, fields);
    }

    /** The same, to a given server. */
    static HttpResponse<String> post(ViewerServer server, byte[] image, String... fields) throws Exception {
        String boundary = "----xgradcam" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < fields.length; i += 2) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + fields[i] + "\"\r\n\r\n" + fields[i + 1]
                    + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        if (image != null) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"scene.png\"\r\n"
                    + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.write(image);
            body.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/explain")).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void listings() throws Exception {
        JsonNode models = JSON.readTree(get("/api/models").body());
        assertThat(models.get(0).get("id").asText()).isEqualTo("shapes");
        assertThat(JSON.readTree(get("/api/methods").body()).findValuesAsText("id")).contains("xgradcam", "gradcam", "scorecam");
        JsonNode layers = JSON.readTree(get("/api/models/shapes/layers").body());
        assertThat(layers.findValues("default").stream().filter(JsonNode::asBoolean).count()).isEqualTo(1);
        assertThat(JSON.readTree(get("/api/examples").body())).hasSize(4);
        JsonNode maps = JSON.readTree(get("/api/colormaps").body());
        assertThat(maps.get("jet")).hasSize(256);
        assertThat(maps.get("jet").get(0).toString()).isEqualTo("[0,0,128]"); // OpenCV's JET starts dark blue
        assertThat(get("/api/examples/0").headers().firstValue("content-type").orElse("")).startsWith("image/png");
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<script src=\"/app.js\">");
        assertThat(get("/app.js").statusCode()).isEqualTo(200);
    }

    @Test
    void explanationsEqualTheLibrarys() throws Exception {
        HttpResponse<String> r = post(scene, "model", "shapes", "method", "xgradcam", "method", "gradcam", "raw", "true");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        ModelSpec spec = ModelSpec.demo();
        try (Explainer e = Explainer.open(spec, Explainer.Options.defaults())) {
            FloatTensor x = spec.preprocessing().toTensor(spec.preprocessing().fit(ImageLoader.decode(scene, "scene")));
            Explanation ex = e.explain(x, Explainer.Request.of(Methods.byName("xgradcam"), Methods.byName("gradcam"))).get(0);
            assertThat(body.get("class_index").asInt()).isEqualTo(ex.classIndex());
            assertThat(body.get("class").asText()).isEqualTo(spec.labels().name(ex.classIndex()));
            assertThat(body.get("score").asDouble()).isEqualTo(ex.score());
            for (String m : List.of("xgradcam", "gradcam")) {
                JsonNode map = body.get("explanations").get(0).get("maps").get(m);
                assertThat(ImageLoader.decode(Base64.getDecoder().decode(map.get("png").asText()), "png").width()).isEqualTo(96);
                float[] low = ex.result(m).layers().get(0).raw().data();
                List<Float> got = new ArrayList<>();
                map.get("lowres").forEach(row -> row.forEach(v -> got.add(v.floatValue())));
                assertThat(got).hasSize(low.length);
                for (int i = 0; i < low.length; i++) {
                    assertThat(got.get(i)).isEqualTo(low[i]);
                }
            }
        }
        // another class, by index
        JsonNode circle = JSON.readTree(post(scene, "target", "0").body());
        assertThat(circle.get("class_index").asInt()).isZero();
        assertThat(circle.get("explanations").get(0).get("maps").fieldNames()).toIterable().containsExactly("gradcam", "xgradcam");
        // and by name, as every front end takes a class
        assertThat(JSON.readTree(post(scene, "target", "circle").body()).get("class_index").asInt()).isZero();
    }

    @Test
    void metricsOnRequest() throws Exception {
        JsonNode body = JSON.readTree(post(scene, "method", "xgradcam", "metrics", "true").body());
        JsonNode eq5 = body.get("eq5");
        assertThat(eq5.get("score").asDouble()).isEqualTo(body.get("score").asDouble(), org.assertj.core.data.Offset.offset(1e-4));
        assertThat(Math.abs(eq5.get("residual").asDouble())).isLessThan(1e-3 * Math.abs(eq5.get("score").asDouble()) + 1e-4);
        JsonNode maps = body.get("explanations").get(0).get("maps");
        JsonNode deletion = maps.get("xgradcam").get("deletion");
        assertThat(deletion.get("scores").size()).isGreaterThan(30);
        assertThat(deletion.get("auc").asDouble()).isBetween(0.0, 1.0);
        assertThat(maps.get("xgradcam").get("insertion").get("auc").asDouble())
                .isGreaterThan(deletion.get("auc").asDouble()); // the map finds the star: inserting it first helps most
    }

    @Test
    void hostileRequestsAreFourHundredsWithAnError() throws Exception {
        record Bad(int status, HttpResponse<String> response) {}
        List<Bad> bad = List.of(
                new Bad(400, post("garbage bytes, not an image".getBytes(StandardCharsets.UTF_8))),
                new Bad(400, post(null, "model", "shapes")),
                new Bad(404, post(scene, "model", "../../../etc/passwd")),
                new Bad(404, post(scene, "model", "/etc/passwd")),
                new Bad(400, post(scene, "method", "nosuchcam")),
                new Bad(400, post(scene, "target", "99")),
                new Bad(400, post(scene, "target", "one")),
                new Bad(400, post(scene, "layer", "no/such/layer")),
                new Bad(413, post(new byte[4 << 20])),
                new Bad(413, post(new byte[(2 << 20) + 1000])),
                new Bad(404, get("/api/models/../../etc/passwd/layers")),
                new Bad(404, get("/api/nothing")));
        for (Bad b : bad) {
            assertThat(b.response().statusCode()).as(b.response().body()).isEqualTo(b.status());
            if (b.response().body().startsWith("{")) {
                assertThat(JSON.readTree(b.response().body()).get("error").asText()).isNotBlank();
            }
        }
        // still answering correctly afterwards
        assertThat(post(scene).statusCode()).isEqualTo(200);
    }

    @Test
    void fiftyConcurrentRequestsAllAnswerTheSame() throws Exception {
        String reference = JSON.readTree(post(scene).body()).get("explanations").get(0).get("maps").get("xgradcam").get("gray")
                .asText();
        long before = usedHeap();
        ExecutorService clients = Executors.newFixedThreadPool(50);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                answers.add(clients.submit(() -> post(scene)));
            }
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(JSON.readTree(r.body()).get("explanations").get(0).get("maps").get("xgradcam").get("gray").asText())
                        .isEqualTo(reference);
            }
        } finally {
            clients.shutdownNow();
        }
        // memory stays bounded: what the requests held is released once they are answered
        assertThat(usedHeap() - before).as("heap kept after 50 requests").isLessThan(64L << 20);
    }

    private static long usedHeap() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }
}
