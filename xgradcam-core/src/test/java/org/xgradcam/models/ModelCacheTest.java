package org.xgradcam.models;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.XGradCamException;
import org.xgradcam.image.Preprocessing;

/** The downloader against a local HTTP server on 127.0.0.1. */
class ModelCacheTest {
    @TempDir
    Path tmp;

    private HttpServer server;
    private final byte[] payload = new byte[300_000];
    private final AtomicInteger cutOnce = new AtomicInteger();
    private String base;

    @BeforeEach
    void start() throws Exception {
        new Random(5).nextBytes(payload);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/model.onnx", ex -> {
            String range = ex.getRequestHeaders().getFirst("Range");
            int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-.*", "$1"));
            int to = payload.length;
            boolean cut = range == null && cutOnce.getAndDecrement() > 0;
            // an interrupted transfer: the body ends after 100 kB (chunked, so the server may stop early)
            ex.sendResponseHeaders(range == null ? 200 : 206, cut ? 0 : to - from);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(payload, from, cut ? 100_000 : to - from);
            }
            ex.close();
        });
        server.createContext("/moved", ex -> {
            ex.getResponseHeaders().add("Location", "/model.onnx");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private Catalogue.Entry entry(String sha) {
        return new Catalogue.Entry("test", "test.onnx", base + "/model.onnx", payload.length, sha,
                Preprocessing.seed(), "imagenet", "");
    }

    private String sha() throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload));
    }

    @Test
    void goodFileThroughARedirect() throws Exception {
        ModelCache c = new ModelCache(tmp, ModelCache.DownloadProgress.SILENT);
        Path p = c.fetch(entry(sha()), base + "/moved");
        assertThat(Files.readAllBytes(p)).isEqualTo(payload);
        assertThat(c.isCached(entry(sha()))).isTrue();
        assertThat(tmp.resolve("test.onnx.part")).doesNotExist();
    }

    @Test
    void wrongChecksumLeavesNothing() {
        ModelCache c = new ModelCache(tmp, ModelCache.DownloadProgress.SILENT);
        assertThatThrownBy(() -> c.fetch(entry("00".repeat(32)))).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("corrupt").hasMessageContaining("sha256");
        assertThat(tmp.resolve("test.onnx")).doesNotExist();
        assertThat(tmp.resolve("test.onnx.part")).doesNotExist();
    }

    @Test
    void aHandPlacedFileIsCheckedAgainstTheCatalogue() throws Exception {
        ModelCache c = new ModelCache(tmp, ModelCache.DownloadProgress.SILENT);
        byte[] wrong = payload.clone();
        wrong[1000] ^= 1;
        Files.write(tmp.resolve("test.onnx"), wrong);
        assertThatThrownBy(() -> c.fetch(entry(sha()))).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("not the catalogue's").hasMessageContaining(sha()).hasMessageContaining("ModelSpec.ofFile");
        assertThat(tmp.resolve("test.onnx")).as("a user's file is not deleted").exists();
        Files.write(tmp.resolve("test.onnx"), payload);
        assertThat(c.fetch(entry(sha()))).isEqualTo(tmp.resolve("test.onnx"));
        assertThat(tmp.resolve("test.onnx.verified")).exists();
        // once verified, the stamp spares hashing; a changed file is hashed again
        Files.write(tmp.resolve("test.onnx"), wrong);
        Files.setLastModifiedTime(tmp.resolve("test.onnx"), java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        assertThatThrownBy(() -> c.fetch(entry(sha()))).hasMessageContaining("not the catalogue's");
    }

    @Test
    void interruptedTransferResumes() throws Exception {
        cutOnce.set(1);
        ModelCache c = new ModelCache(tmp, ModelCache.DownloadProgress.SILENT);
        Catalogue.Entry e = entry(sha());
        assertThatThrownBy(() -> c.fetch(e)).isInstanceOf(XGradCamException.class).hasMessageContaining("resume");
        assertThat(Files.size(tmp.resolve("test.onnx.part"))).isEqualTo(100_000);
        assertThat(tmp.resolve("test.onnx")).doesNotExist();
        Path p = c.fetch(e);
        assertThat(Files.readAllBytes(p)).isEqualTo(payload);
    }

    @Test
    void notFoundSaysWhatToFetchAndWhere() {
        ModelCache c = new ModelCache(tmp, ModelCache.DownloadProgress.SILENT);
        Catalogue.Entry e = entry("ab".repeat(32));
        assertThatThrownBy(() -> c.fetch(e, base + "/missing.onnx")).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("HTTP 404").hasMessageContaining(tmp.resolve("test.onnx").toString())
                .hasMessageContaining("curl -L -o");
    }

    @Test
    void offlineSaysWhatToFetchAndWhere() {
        ModelCache c = new ModelCache(tmp, ModelCache.DownloadProgress.SILENT);
        Catalogue.Entry e = entry("ab".repeat(32));
        // a port nobody listens on: connection refused, as offline
        assertThatThrownBy(() -> c.fetch(e, "http://127.0.0.1:1/model.onnx")).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("Offline?").hasMessageContaining("ModelSpec.ofFile");
    }

    @Test
    void catalogueHasTheZooModels() {
        assertThat(Catalogue.entries()).extracting(Catalogue.Entry::name)
                .contains("vgg16", "resnet50", "mobilenetv2", "squeezenet", "efficientnet-lite4");
        var lite4 = Catalogue.find("efficientnet-lite4").orElseThrow().preprocessing();
        assertThat(lite4.nhwc()).isTrue();
        // the zoo's sample code: cv2 INTER_LINEAR, (x - 127) / 128
        assertThat(lite4.interpolation()).isEqualTo(org.xgradcam.image.Preprocessing.Interpolation.OPENCV);
        assertThat(lite4.scale()).isEqualTo(org.xgradcam.image.Preprocessing.Scale.BYTE);
        assertThat(lite4.mean()).containsExactly(127f, 127f, 127f);
        assertThat(lite4.std()).containsExactly(128f, 128f, 128f);
        var vgg = Catalogue.find("vgg16").orElseThrow().preprocessing();
        assertThat(vgg.interpolation()).isEqualTo(org.xgradcam.image.Preprocessing.Interpolation.PIL);
        assertThat(vgg.resize()).isEqualTo(org.xgradcam.image.Preprocessing.ResizeMode.CENTER_CROP);
        assertThat(vgg.shorterSide()).isEqualTo(256);
        var deit = Catalogue.find("deit-tiny").orElseThrow();
        assertThat(deit.bytes()).isEqualTo(22966973L);
        assertThat(deit.sha256()).hasSize(64);
        assertThat(deit.preprocessing().shorterSide()).isEqualTo(256);
        assertThat(deit.preprocessing().width()).isEqualTo(224);
    }
}
