package org.xgradcam.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;
import org.xgradcam.tensor.FloatTensor;

/** Test data: committed fixtures, and the shared folder of real models (which may be absent). */
public final class Fixtures {
    private Fixtures() {}

    public static Path resource(String relative) {
        try {
            return Paths.get(Fixtures.class.getResource("/" + relative).toURI());
        } catch (Exception e) {
            throw new IllegalStateException("missing test resource " + relative, e);
        }
    }

    /** A fixture folder's layers.tsv: per row {index, module path, ONNX tensor}, in the file's order. */
    public static java.util.List<String[]> layers(Path dir) throws java.io.IOException {
        return Files.readAllLines(dir.resolve("layers.tsv")).stream().map(l -> l.split("\t")).toList();
    }

    /** ../shared next to the project root; the calling test is skipped when it is absent. */
    public static Path shared(String relative) {
        Path root = Paths.get("").toAbsolutePath();
        for (Path p = root; p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared");
            if (Files.isDirectory(candidate.resolve("models")) && !candidate.equals(root.resolve("shared"))) {
                Path f = candidate.resolve(relative);
                Assumptions.assumeTrue(Files.exists(f), "shared data " + f + " is absent");
                return f;
            }
        }
        Assumptions.assumeTrue(false, "../shared (real models and photos) is absent: skipping");
        return null;
    }

    /** A PNG whose header claims w x h pixels, with nothing behind it (a decompression bomb's shape). */
    public static byte[] pngHeaderClaiming(int w, int h) {
        try {
            java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
            png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
            byte[] ihdr = java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2)
                    .put((byte) 0).put((byte) 0).put((byte) 0).array();
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            crc.update(ihdr);
            png.write(java.nio.ByteBuffer.allocate(4).putInt(13).array());
            png.write("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            png.write(ihdr);
            png.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
            return png.toByteArray();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** max |a - b| / max |b|: relative to the reference's scale, so tiny entries don't dominate. */
    public static double relativeError(FloatTensor actual, FloatTensor reference) {
        assertThat(actual.shape()).as("shape").isEqualTo(reference.shape());
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < actual.size(); i++) {
            maxDiff = Math.max(maxDiff, Math.abs(actual.data()[i] - reference.data()[i]));
            maxRef = Math.max(maxRef, Math.abs(reference.data()[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
