package org.xgradcam.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xgradcam.models.ModelSpec;

/**
 * The viewer against hostile clients, over raw sockets on 127.0.0.1 only: foreign Host and
 * Origin headers, slow clients by the hundred, work past its budget, more requests than the
 * queue holds, pixel bombs, impossible lengths, unknown paths. Every loop is bounded in count and
 * in time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ViewerHostileClientTest {
    static final ObjectMapper JSON = new ObjectMapper();
    ViewerServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private ViewerServer start(ViewerServer.Limits limits) {
        server = ViewerServer.start(Map.of("shapes", ModelSpec.demo()), limits.withPort(0));
        return server;
    }

    /** An HTTP answer read off a socket. */
    record Answer(int status, Map<String, String> headers, String body, long millis) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    /** Sends raw bytes and reads the whole answer (the request asks the server to close). */
    private Answer raw(byte[] request) throws IOException {
        long t0 = System.nanoTime();
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            byte[] all = s.getInputStream().readAllBytes();
            return parse(all, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    private static Answer parse(byte[] all, long millis) {
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return new Answer(-1, Map.of(), text, millis);
        }
        String[] lines = text.substring(0, end).split("\r\n");
        Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, c).strip(), lines[i].substring(c + 1).strip());
        }
        return new Answer(Integer.parseInt(lines[0].split(" ")[1]), headers,
                new String(all, end + 4, all.length - end - 4, StandardCharsets.UTF_8), millis);
    }

    private Answer get(String path, String... headers) throws IOException {
        StringBuilder r = new StringBuilder("GET " + path + " HTTP/1.1\r\n");
        boolean host = false;
        for (String h : headers) {
            r.append(h).append("\r\n");
            host |= h.toLowerCase().startsWith("host:");
        }
        if (!host) {
            r.append("Host: 127.0.0.1:").append(server.port()).append("\r\n");
        }
        r.append("Connection: close\r\n\r\n");
        return raw(r.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A multipart explain request with the image and fields, and extra headers. */
    private Answer explain(byte[] image, List<String> headers, String... fields) throws IOException {
        return raw(explainRequest(image, headers, fields));
    }

    private byte[] explainRequest(byte[] image, List<String> headers, String... fields) throws IOException {
        String boundary = "----hostile" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < fields.length; i += 2) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + fields[i] + "\"\r\n\r\n" + fields[i + 1]
                    + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(image);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder r = new StringBuilder("POST /api/explain HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n");
        for (String h : headers) {
            r.append(h).append("\r\n");
        }
        r.append("Content-Type: multipart/form-data; boundary=").append(boundary).append("\r\nContent-Length: ")
                .append(body.size()).append("\r\nConnection: close\r\n\r\n");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(r.toString().getBytes(StandardCharsets.ISO_8859_1));
        all.write(body.toByteArray());
        return all.toByteArray();
    }

    private static byte[] scene() throws IOException {
        return Files.readAllBytes(Path.of("..", "examples", "star-and-circle.png"));
    }

    private static void refusedWithJson(Answer a, int status, String says) throws IOException {
        assertThat(a.status()).as(a.body()).isEqualTo(status);
        assertThat(a.headers().get("Content-Type")).startsWith("application/json");
        assertThat(a.json().get("error").asText()).contains(says);
    }

    @Test
    void foreignHostsAndOriginsAreRefusedOwnAndAllowedOnesServed() throws Exception {
        start(ViewerServer.Limits.defaults().withAllowed(Set.of("viewer.lan"), Set.of("https://proxy.example")));
        // DNS rebinding: a foreign name pointed at 127.0.0.1
        refusedWithJson(get("/api/models", "Host: evil.example"), 403, "--allow-host evil.example");
        refusedWithJson(get("/", "Host: evil.example:" + server.port()), 403, "Host");
        refusedWithJson(get("/api/models", "Host: 127.0.0.1.evil.example"), 403, "Host");
        assertThat(get("/api/models", "Host: localhost:" + server.port()).status()).isEqualTo(200);
        assertThat(get("/api/models", "Host: [::1]:" + server.port()).status()).isEqualTo(200);
        assertThat(get("/api/models", "Host: viewer.lan:" + server.port()).status()).isEqualTo(200);
        // cross-site requests: a foreign Origin on the model-running request and on reads
        refusedWithJson(explain(scene(), List.of("Origin: http://evil.example")), 403, "--allow-origin http://evil.example");
        refusedWithJson(explain(scene(), List.of("Origin: null")), 403, "Origin");
        refusedWithJson(get("/api/models", "Origin: http://127.0.0.1:1"), 403, "Origin");
        refusedWithJson(get("/api/examples/0", "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors"), 403, "other web pages");
        // the page's own origin, an allowed one, and a link followed from elsewhere
        assertThat(explain(scene(), List.of("Origin: http://127.0.0.1:" + server.port())).status()).isEqualTo(200);
        assertThat(explain(scene(), List.of("Origin: https://proxy.example")).status()).isEqualTo(200);
        assertThat(get("/", "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate").status()).isEqualTo(200);
        // no CORS grant anywhere, security headers everywhere
        Answer preflight = raw(("OPTIONS /api/explain HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nOrigin: "
                + "http://127.0.0.1:" + server.port() + "\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        for (Answer a : List.of(get("/"), get("/app.js"), get("/api/models"), preflight,
                get("/api/models", "Host: evil.example"))) {
            assertThat(a.headers().keySet()).noneMatch(h -> h.toLowerCase().startsWith("access-control-"));
            assertThat(a.headers().get("Content-Security-Policy")).contains("script-src 'self'").contains("frame-ancestors 'none'")
                    .doesNotContain("unsafe-inline");
            assertThat(a.headers().get("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(a.headers().get("X-Frame-Options")).isEqualTo("DENY");
        }
        // the page holds no inline script for the policy to allow
        assertThat(get("/").body()).doesNotContainPattern("<script>|<script [^>]*>[^<]|\\son[a-z]+=");
    }

    @Test
    void unknownPathsAndWrongMethodsAreJson() throws Exception {
        start(ViewerServer.Limits.defaults());
        refusedWithJson(get("/api/nothing"), 404, "GET /api/nothing");
        refusedWithJson(get("/nothing.html"), 404, "nothing.html");
        refusedWithJson(get("/api/explain"), 405, "GET");
        refusedWithJson(raw(("DELETE /api/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1)), 405, "DELETE");
    }

    /** A PNG of one 1-bit row claiming w x h pixels: its header lies, its data is a few bytes. */
    static byte[] pngClaiming(int w, int h) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0)
                .put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ihdr.array());
        java.util.zip.Deflater d = new java.util.zip.Deflater();
        d.setInput(new byte[4096]);
        d.finish();
        byte[] z = new byte[8192];
        int n = d.deflate(z);
        chunk(out, "IDAT", java.util.Arrays.copyOf(z, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    @Test
    void pixelBombsAndImpossibleLengthsAreRefusedAtOnce() throws Exception {
        start(ViewerServer.Limits.defaults());
        for (int[] wh : new int[][] {{10_000, 10_000}, {50_000, 1_000}, {30_000, 30_000}}) {
            Answer a = explain(pngClaiming(wh[0], wh[1]), List.of());
            refusedWithJson(a, 413, wh[0] + "x" + wh[1]);
            assertThat(a.json().get("error").asText()).contains("25 megapixels").doesNotContain("MB");
            assertThat(a.millis()).as("refused from the header, not decoded").isLessThan(3_000);
        }
        // a length no upload may have, with 100 bytes sent: answered at once, not after a timeout
        Answer huge = raw(("POST /api/explain HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                + "Content-Length: 2147483648\r\n\r\n" + "x".repeat(100)).getBytes(StandardCharsets.ISO_8859_1));
        refusedWithJson(huge, 413, "2147483648 bytes");
        assertThat(huge.millis()).isLessThan(3_000);
        Answer negative = raw(("POST /api/explain HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999999999\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        assertThat(negative.status()).isBetween(400, 499);
        assertThat(negative.millis()).isLessThan(3_000);
    }

    /** Opens a connection that sends part of a request and then trickles, one piece per period. */
    private static Socket trickler(int port, boolean body) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(200);
        String start = body ? "POST /api/explain HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                + "Content-Length: 100000\r\n\r\n--b\r\n" : "GET /api/models HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        s.getOutputStream().write(start.getBytes(StandardCharsets.ISO_8859_1));
        return s;
    }

    @Test
    void twoHundredSlowClientsDoNotStarveANormalRequest() throws Exception {
        start(ViewerServer.Limits.defaults().withConnections(256, 2_000, 30_000, 32 << 10));
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                slow.add(trickler(server.port(), i % 2 == 0)); // half trickle their headers, half their bodies
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
            int rounds = 0;
            while (System.nanoTime() < deadline && rounds++ < 12) {
                for (int i = 0; i < slow.size(); i++) {
                    try {
                        slow.get(i).getOutputStream().write((i % 2 == 0 ? "a" : "X-Slow: 1\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    } catch (IOException closed) {
                        // the server dropped it: as it should, eventually
                    }
                }
                if (rounds == 2) {
                    // while they trickle: a normal request is answered within seconds
                    Answer models = get("/api/models");
                    assertThat(models.status()).isEqualTo(200);
                    assertThat(models.millis()).isLessThan(5_000);
                    Answer explained = explain(scene(), List.of());
                    assertThat(explained.status()).as(explained.body()).isEqualTo(200);
                    assertThat(explained.millis()).isLessThan(10_000);
                }
                Thread.sleep(1_000);
            }
            // and none of them is served for ever: the headers' deadline and the minimum upload rate close them
            int open = 0;
            for (Socket s : slow) {
                open += stillOpen(s) ? 1 : 0;
            }
            assertThat(open).as("slow connections still open after 12 s").isZero();
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    /** Whether the server still holds a connection open (it has not closed its side). */
    private static boolean stillOpen(Socket s) {
        try {
            InputStream in = s.getInputStream();
            while (true) {
                int b = in.read(); // the server's answer (408) or the end
                if (b < 0) {
                    return false;
                }
                in.skip(in.available());
            }
        } catch (SocketTimeoutException stillWaiting) {
            return true;
        } catch (IOException reset) {
            return false;
        }
    }

    @Test
    void workPastItsBudgetIsStoppedAndFreesItsWorker() throws Exception {
        start(ViewerServer.Limits.defaults().withQueue(1, 4).withTimeout(400));
        byte[] scene = scene();
        // many forward passes: far over the budget
        Answer slow = explain(scene, List.of(), "method", "sscam,iscam,scorecam,ablationcam");
        refusedWithJson(slow, 504, "stopped");
        assertThat(slow.millis()).isLessThan(3_000);
        // the one worker is free again at once: a cheap request is answered well within its budget
        Answer cheap = explain(scene, List.of(), "method", "gradcam");
        assertThat(cheap.status()).as(cheap.body()).isEqualTo(200);
        assertThat(cheap.millis()).isLessThan(2_000);
    }

    @Test
    void aFullQueueShedsLoadWithA503AtOnce() throws Exception {
        start(ViewerServer.Limits.defaults().withQueue(1, 1).withTimeout(30_000));
        byte[] request = explainRequest(scene(), List.of(), "method", "sscam");
        ExecutorService clients = Executors.newFixedThreadPool(12);
        try {
            List<Future<Answer>> answers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                answers.add(clients.submit(() -> raw(request)));
            }
            int shed = 0;
            for (Future<Answer> f : answers) {
                Answer a = f.get(60, TimeUnit.SECONDS);
                if (a.status() == 503) {
                    shed++;
                    assertThat(a.headers().get("Retry-After")).isNotNull();
                    assertThat(a.millis()).as("shed at once").isLessThan(2_000);
                    assertThat(a.json().get("error").asText()).contains("busy");
                } else {
                    assertThat(a.status()).as(a.body()).isEqualTo(200);
                }
            }
            assertThat(shed).as("requests beyond the worker and its queue of one").isGreaterThanOrEqualTo(8);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void connectionsPerClientAreCapped() throws Exception {
        start(ViewerServer.Limits.defaults().withConnections(8, 5_000, 30_000, 32 << 10));
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                held.add(trickler(server.port(), false));
            }
            Thread.sleep(200);
            try (Socket ninth = new Socket("127.0.0.1", server.port())) {
                ninth.setSoTimeout(3_000);
                OutputStream o = ninth.getOutputStream();
                o.write(("GET /api/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                assertThat(ninth.getInputStream().read()).as("the ninth connection is closed unanswered").isEqualTo(-1);
            } catch (IOException reset) {
                // closed before the request was written: refused as well
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        Thread.sleep(300);
        assertThat(get("/api/models").status()).as("served again once the others left").isEqualTo(200);
    }
}
