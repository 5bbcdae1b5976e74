package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.xgradcam.image.Pictures;
import org.xgradcam.image.RgbImage;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.ModelProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorShapeProto;
import org.xgradcam.onnx.proto.OnnxProto.TypeProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;
import org.xgradcam.scenes.Scenes;
import org.xgradcam.testing.TestGraph;

/**
 * A corpus of bad and hostile inputs, generated here, each run through the command line: broken
 * images of every format, hostile .npy tensors, malformed and unsupported models, out-of-range
 * and malformed arguments, bad boxes files, special files (pipes, devices, links, folders). For
 * each: the exit code; one line on stderr, no stack trace; the message names the input at fault
 * (and for bad numbers the option and its range); nothing left behind in the output folder, no
 * partial file anywhere. A few valid inputs of the same kinds ride along, so that a fix that
 * refuses everything fails too.
 */
class HostileInputsTest {
    private static Path root;
    private static Path good;
    private static Path goodJpg;
    private static Path scenes;
    private static int counter;

    /** One run of the command line and what it must give. */
    record Case(String name, List<String> args, int exit, List<String> says, Path output) {}

    @BeforeAll
    static void setUp() throws Exception {
        root = Files.createTempDirectory("xgradcam-hostile");
        good = root.resolve("good.png");
        Pictures.save(scene(1), good);
        goodJpg = root.resolve("good.jpg");
        Pictures.save(scene(2), goodJpg);
        scenes = root.resolve("scenes");
        Files.createDirectories(scenes);
        Pictures.save(scene(3), scenes.resolve("a.png"));
        Pictures.save(scene(4), scenes.resolve("b.png"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        assertThat(Files.isSymbolicLink(root.resolve("special").resolve("loop-out")))
                .as("a failed run removes nothing it did not create: the user's link stays").isTrue();
        try (Stream<Path> w = Files.walk(root)) {
            List<Path> partial = w.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
            assertThat(partial).as("partial files left anywhere by the corpus").isEmpty();
        }
        try (Stream<Path> w = Files.walk(root)) {
            w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static RgbImage scene(long seed) {
        return Scenes.generate(seed, 1, 96, 1.0).image();
    }

    private static Path file(String name, byte[] content) throws Exception {
        Path p = root.resolve("in" + (counter++)).resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
        return p;
    }

    private static Path freshOutput() {
        return root.resolve("out" + (counter++));
    }

    private static byte[] encode(String format, BufferedImage img) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        if (!ImageIO.write(img, format, o)) {
            throw new IllegalStateException("no writer for " + format);
        }
        return o.toByteArray();
    }

    private static byte[] sceneBytes(String format) throws Exception {
        return encode(format.equals("jpg") ? "jpeg" : format, scene(7).toBufferedImage());
    }

    /** An explain run on one input, expected to fail with exit 1 and a message naming it. */
    private static Case refusedImage(String name, Path image, String... says) {
        Path out = freshOutput();
        List<String> expect = new ArrayList<>(List.of(image.getFileName().toString()));
        expect.addAll(List.of(says));
        return new Case(name, List.of("--image-path", image.toString(), "--output-dir", out.toString(), "--quiet"), 1,
                expect, out);
    }

    private static Case acceptedImage(String name, Path image) {
        Path out = freshOutput();
        return new Case(name, List.of("--image-path", image.toString(), "--output-dir", out.toString(), "--quiet"), 0,
                List.of(), out);
    }

    private static Case explain(String name, int exit, List<String> says, String... args) {
        Path out = freshOutput();
        List<String> all = new ArrayList<>(List.of("--output-dir", out.toString(), "--quiet"));
        all.addAll(List.of(args));
        return new Case(name, all, exit, says, out);
    }

    private static Case command(String name, int exit, List<String> says, String... args) {
        return new Case(name, List.of(args), exit, says, null);
    }

    // ---------------------------------------------------------------- images

    private static List<Case> images() throws Exception {
        List<Case> cases = new ArrayList<>();
        for (String fmt : List.of("jpg", "png", "gif", "bmp", "tiff")) {
            byte[] whole = sceneBytes(fmt);
            cases.add(acceptedImage(fmt + " intact", file("intact." + fmt, whole)));
            for (double f : new double[] {0.0, 0.02, 0.06, 0.1, 0.25, 0.32, 0.5, 0.64, 0.75, 0.9, 0.99}) {
                int n = (int) (whole.length * f);
                cases.add(refusedImage(fmt + " truncated to " + n + " of " + whole.length + " bytes",
                        file("cut" + n + "." + fmt, Arrays.copyOf(whole, n))));
            }
            cases.add(refusedImage(fmt + " missing its last byte", file("lastbyte." + fmt, Arrays.copyOf(whole, whole.length - 1))));
            Random r = new Random(fmt.hashCode());
            for (int size : new int[] {1, 7, 100, 5000}) {
                byte[] noise = new byte[size];
                r.nextBytes(noise);
                cases.add(refusedImage(size + " random bytes named ." + fmt, file("noise" + size + "." + fmt, noise)));
            }
        }
        // corrupt data inside: compressed formats detect it (CRC, entropy coding)
        for (String fmt : List.of("jpg", "png", "gif")) {
            byte[] b = sceneBytes(fmt);
            for (int i = b.length / 2; i < b.length / 2 + 48; i++) {
                b[i] ^= 0x5a;
            }
            cases.add(refusedImage(fmt + " with corrupt data", file("corrupt." + fmt, b)));
        }
        // headers that lie about the size
        byte[] jpg = sceneBytes("jpg");
        int sof = indexOf(jpg, new byte[] {(byte) 0xFF, (byte) 0xC0});
        for (int[] wh : new int[][] {{10000, 10000}, {20000, 20000}, {65535, 65535}, {0, 0}, {1, 65535}}) {
            byte[] b = jpg.clone();
            b[sof + 5] = (byte) (wh[1] >> 8);
            b[sof + 6] = (byte) wh[1];
            b[sof + 7] = (byte) (wh[0] >> 8);
            b[sof + 8] = (byte) wh[0];
            cases.add(refusedImage("jpg whose header claims " + wh[0] + "x" + wh[1], file("claims" + wh[0] + "x" + wh[1] + ".jpg", b)));
        }
        for (int[] wh : new int[][] {{30000, 30000}, {100000, 2}, {0, 96}, {Integer.MAX_VALUE, 1}}) {
            cases.add(refusedImage("png whose header claims " + wh[0] + "x" + wh[1],
                    file("claims" + wh[0] + "x" + wh[1] + ".png", org.xgradcam.testing.Fixtures.pngHeaderClaiming(wh[0], wh[1]))));
        }
        byte[] gif = sceneBytes("gif");
        byte[] bigGif = gif.clone();
        bigGif[6] = (byte) 0xFF;
        bigGif[7] = (byte) 0xFF;
        bigGif[8] = (byte) 0xFF;
        bigGif[9] = (byte) 0xFF;
        // the logical screen is not the image: GIF readers decode the image's own 96x96
        cases.add(acceptedImage("gif whose logical screen claims 65535x65535", file("claims.gif", bigGif)));
        byte[] bmp = sceneBytes("bmp");
        ByteBuffer bb = ByteBuffer.wrap(bmp.clone()).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(18, 100000).putInt(22, 100000);
        cases.add(refusedImage("bmp whose header claims 100000x100000", file("claims.bmp", bb.array())));
        // magic numbers and nothing else; text and archives under image names
        String[][] magic = {{"png", "\u0089PNG\r\n\u001a\n"}, {"gif", "GIF89a"}, {"bmp", "BM"}, {"tiff", "II*\u0000"},
            {"jpg", "\u00ff\u00d8\u00ff"}, {"webp", "RIFF\u0010\u0000\u0000\u0000WEBPVP8 "}};
        for (String[] m : magic) {
            cases.add(refusedImage("only the " + m[0] + " signature", file("magic." + m[0], m[1].getBytes(StandardCharsets.ISO_8859_1))));
        }
        cases.add(refusedImage("empty file", file("empty.jpg", new byte[0]), "empty"));
        cases.add(refusedImage("text named .jpg", file("notes.jpg", "just some text\n".getBytes(StandardCharsets.UTF_8)), "not an image"));
        cases.add(refusedImage("html named .png", file("page.png", "<!DOCTYPE html><html></html>".getBytes(StandardCharsets.UTF_8))));
        cases.add(refusedImage("zip named .jpg", file("archive.jpg", new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0})));
        cases.add(refusedImage("an .onnx model named .png", file("model.png", DemoModel.spec().model().toBytes()), "not an image"));
        // WebP, read by the plugin: the intact fixture, then cut
        Path webpFixture = Path.of("src/test/resources/images/halves.webp");
        if (Files.exists(webpFixture)) {
            byte[] webp = Files.readAllBytes(webpFixture);
            cases.add(acceptedImage("webp intact", file("intact.webp", webp)));
            for (double f : new double[] {0.05, 0.3, 0.6, 0.95}) {
                int n = (int) (webp.length * f);
                cases.add(refusedImage("webp truncated to " + n + " bytes", file("cut" + n + ".webp", Arrays.copyOf(webp, n))));
            }
        }
        // valid but unusual: must be explained
        cases.add(acceptedImage("1x1 png", png(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "tiny.png")));
        cases.add(acceptedImage("2000x8 png", png(new BufferedImage(2000, 8, BufferedImage.TYPE_INT_RGB), "wide.png")));
        cases.add(acceptedImage("grey png", png(grey(scene(9).toBufferedImage()), "grey.png")));
        cases.add(acceptedImage("16-bit grey png", png(new BufferedImage(40, 30, BufferedImage.TYPE_USHORT_GRAY), "g16.png")));
        BufferedImage alpha = new BufferedImage(50, 50, BufferedImage.TYPE_INT_ARGB);
        cases.add(acceptedImage("png with alpha", png(alpha, "alpha.png")));
        cases.add(acceptedImage("palette gif padded after its trailer", file("padded.gif", concat(gif, new byte[16]))));
        cases.add(acceptedImage("jpg with junk after its end", file("junk.jpg", concat(jpg, "trailing".getBytes(StandardCharsets.UTF_8)))));
        return cases;
    }

    private static BufferedImage grey(BufferedImage src) {
        BufferedImage g = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        g.getGraphics().drawImage(src, 0, 0, null);
        return g;
    }

    private static Path png(BufferedImage img, String name) throws Exception {
        return file(name, encode("png", img));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int indexOf(byte[] b, byte[] what) {
        for (int i = 0; i + what.length <= b.length; i++) {
            if (Arrays.equals(Arrays.copyOfRange(b, i, i + what.length), what)) {
                return i;
            }
        }
        throw new IllegalStateException("marker not found");
    }

    // ---------------------------------------------------------------- special files

    private static List<Case> specialFiles() throws Exception {
        List<Case> cases = new ArrayList<>();
        Path dir = root.resolve("special");
        Files.createDirectories(dir.resolve("folder.jpg"));
        cases.add(refusedImage("a folder named .jpg", dir.resolve("folder.jpg"), "folder"));
        Path fifo = dir.resolve("pipe.jpg");
        boolean fifos = mkfifo(fifo);
        if (fifos) {
            cases.add(refusedImage("a named pipe as image", fifo, "not a regular file"));
            cases.add(explain("a named pipe as model", 1, List.of("pipe.jpg", "not a regular file"), "--image-path",
                    good.toString(), "--model", fifo.toString()));
            cases.add(explain("a named pipe as tensor", 1, List.of("pipe.jpg", "not a regular file"), "--input-tensor",
                    fifo.toString()));
            cases.add(command("a named pipe as boxes", 1, List.of("pipe.jpg", "not a regular file"), "evaluate", "--images",
                    scenes.toString(), "--boxes", fifo.toString(), "--output-dir", freshOutput().toString(), "--quiet"));
        }
        for (String dev : List.of("/dev/zero", "/dev/urandom", "/dev/null")) {
            if (Files.exists(Path.of(dev))) {
                Path out = freshOutput();
                cases.add(new Case(dev + " as image", List.of("--image-path", dev, "--output-dir", out.toString()), 1,
                        List.of(dev, "not a regular file"), out));
                cases.add(explain(dev + " as model", 1, List.of(dev, "not a regular file"), "--image-path", good.toString(),
                        "--model", dev));
                cases.add(explain(dev + " as tensor", 1, List.of(dev, "not a regular file"), "--input-tensor", dev));
            }
        }
        Path dangling = dir.resolve("gone.jpg");
        Files.createSymbolicLink(dangling, dir.resolve("nothing-here.jpg"));
        cases.add(refusedImage("a dangling symbolic link", dangling, "symbolic link"));
        Path loop = dir.resolve("loop.jpg");
        Files.createSymbolicLink(loop, loop);
        cases.add(refusedImage("a symbolic link loop", loop, "symbolic link"));
        cases.add(explain("a symbolic link loop as model", 1, List.of("loop.jpg", "symbolic link"), "--image-path",
                good.toString(), "--model", loop.toString()));
        Path loopOut = dir.resolve("loop-out");
        Files.createSymbolicLink(loopOut, loopOut);
        cases.add(new Case("--output-dir a symbolic link loop (kept: the run did not make it)", List.of("--image-path",
                good.toString(), "--output-dir", loopOut.toString()), 1, List.of("loop-out", "symbolic link"), null));
        Path link = dir.resolve("link.png");
        Files.createSymbolicLink(link, good);
        cases.add(acceptedImage("a symbolic link to a good image", link));
        cases.add(explain("missing image", 1, List.of("nope.jpg", "not found"), "--image-path", dir.resolve("nope.jpg").toString()));
        cases.add(explain("empty image path", 1, List.of("empty"), "--image-path", ""));
        Path emptyFolder = Files.createDirectories(dir.resolve("nothing"));
        cases.add(explain("empty folder", 1, List.of("nothing", "holds no images"), "--image-path", emptyFolder.toString()));
        Path textsOnly = Files.createDirectories(dir.resolve("texts"));
        Files.writeString(textsOnly.resolve("readme.txt"), "no images here");
        cases.add(explain("folder without images", 1, List.of("texts", "holds no images"), "--image-path", textsOnly.toString()));
        return cases;
    }

    private static boolean mkfifo(Path p) {
        try {
            return new ProcessBuilder("mkfifo", p.toString()).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- tensors

    private static byte[] npy(String descr, String shape, byte[] data, String headerOverride) {
        String h = headerOverride != null ? headerOverride
                : "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int pad = (64 - (10 + h.length() + 1) % 64) % 64;
        h = h + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length())
                .put(h.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    private static byte[] floats(int n, float first) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(i == 0 ? first : 0.1f);
        }
        return b.array();
    }

    private static Case tensor(String name, byte[] content, int exit, String... says) throws Exception {
        Path t = file(name.replaceAll("[^a-z0-9]+", "_") + ".npy", content);
        Path out = freshOutput();
        List<String> expect = new ArrayList<>(List.of(says));
        return new Case("tensor: " + name, List.of("--input-tensor", t.toString(), "--output-dir", out.toString()), exit,
                expect, out);
    }

    private static List<Case> tensors() throws Exception {
        List<Case> cases = new ArrayList<>();
        int n = 3 * 96 * 96;
        String shape = "(1, 3, 96, 96)";
        cases.add(tensor("valid float32", npy("<f4", shape, floats(n, 0.5f), null), 0));
        byte[] f8 = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN).array();
        cases.add(tensor("valid float64", npy("<f8", shape, f8, null), 0));
        byte[] be = ByteBuffer.allocate(4 * n).order(ByteOrder.BIG_ENDIAN).array();
        cases.add(tensor("valid big-endian float32", npy(">f4", shape, be, null), 0));
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            cases.add(tensor("holding " + bad, npy("<f4", shape, floats(n, bad), null), 1, "input holds", "finite"));
        }
        byte[] lateNan = floats(n, 0.5f);
        ByteBuffer.wrap(lateNan).order(ByteOrder.LITTLE_ENDIAN).putFloat(4 * (n - 1), Float.NaN);
        cases.add(tensor("NaN in its last value", npy("<f4", shape, lateNan, null), 1, "NaN"));
        byte[] good = npy("<f4", shape, floats(n, 0.5f), null);
        for (int cut : new int[] {0, 3, 6, 9, 11, 40, 70, 128, good.length / 2, good.length - 1}) {
            cases.add(tensor("truncated to " + cut + " bytes", Arrays.copyOf(good, cut), 1));
        }
        String[] shapes = {"(-1, 3, 96, 96)", "(1, 3, abc, 96)", "(100000, 100000, 1000)", "(99999999999, 3)",
            "(1, 3, 96, 96", "1, 3, 96, 96", "(1.5, 3, 96, 96)", "(1, 3, 0x60, 96)", "()", "(0, 3, 96, 96)"};
        for (String s : shapes) {
            cases.add(tensor("shape " + s, npy("<f4", s, floats(n, 0.5f), null), 1));
        }
        for (String d : new String[] {"", "<i8", "|u1", "<f2", "<c8", "|b1", "O", "<U5", "f4"}) {
            cases.add(tensor("dtype '" + d + "'", npy(d, shape, floats(n, 0.5f), null), 1));
        }
        cases.add(tensor("fortran order (a transposed array numpy saved as it is)", npy(null, null, floats(n, 0.5f),
                "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3, 96, 96), }"), 0));
        cases.add(tensor("header not a dict", npy(null, null, floats(n, 0.5f), "garbage garbage"), 1, "malformed"));
        byte[] hugeHeader = good.clone();
        hugeHeader[8] = (byte) 0xFF;
        hugeHeader[9] = (byte) 0xFF;
        cases.add(tensor("header length beyond the file", Arrays.copyOf(hugeHeader, 200), 1));
        byte[] v9 = good.clone();
        v9[6] = 9;
        cases.add(tensor("format version 9", v9, 1, "version"));
        byte[] v2 = new byte[good.length + 2];
        System.arraycopy(good, 0, v2, 0, 8);
        v2[6] = 2;
        int hl = Short.toUnsignedInt(ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getShort(8));
        ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(8, hl);
        System.arraycopy(good, 10, v2, 12, good.length - 10);
        cases.add(tensor("valid format version 2", v2, 0));
        cases.add(tensor("not npy at all", "hello".getBytes(StandardCharsets.UTF_8), 1, "not a NumPy"));
        cases.add(tensor("wrong spatial size", npy("<f4", "(1, 3, 50, 50)", floats(3 * 50 * 50, 0.5f), null), 1, "shape"));
        cases.add(tensor("wrong channels", npy("<f4", "(1, 4, 96, 96)", floats(4 * 96 * 96, 0.5f), null), 1));
        // one image without its batch axis is taken as it is; of another size it is not
        cases.add(tensor("rank 3 (one image, no batch axis)", npy("<f4", "(3, 96, 96)", floats(n, 0.5f), null), 0));
        cases.add(tensor("rank 3 of another size", npy("<f4", "(3, 96, 95)", floats(3 * 96 * 95, 0.5f), null), 1, "shape"));
        cases.add(tensor("rank 1", npy("<f4", "(27648,)", floats(n, 0.5f), null), 1));
        cases.add(tensor("batch of 2", npy("<f4", "(2, 3, 96, 96)", floats(2 * n, 0.5f), null), 1));
        cases.add(tensor("data shorter than its shape", npy("<f4", shape, floats(100, 0.5f), null), 1, "truncated"));
        cases.add(tensor("a plausible size whose shape claims 1.2 billion values", npy("<f4", "(1, 3, 20000, 20000)",
                floats(n, 0.5f), null), 1, "truncated", "[1, 3, 20000, 20000]"));
        cases.add(tensor("values of 1e30 (finite: explained)", npy("<f4", shape, floats(n, 1e30f), null), 0));
        return cases;
    }

    // ---------------------------------------------------------------- models

    private static Case model(String name, OnnxModel m, int exit, String... says) throws Exception {
        return modelFile(name, file(name.replaceAll("[^a-z0-9]+", "_") + ".onnx", m.toBytes()), exit, says);
    }

    private static Case modelFile(String name, Path p, int exit, String... says) {
        Path out = freshOutput();
        return new Case("model: " + name, List.of("--image-path", good.toString(), "--model", p.toString(),
                "--output-dir", out.toString(), "--quiet"), exit, List.of(says), out);
    }

    /** input [N, 3, s, s] -> Conv 3x3 -> Relu -> GlobalAveragePool -> Flatten -> Gemm(4). */
    private static TestGraph classifier(long opset, long size, String[] tail) {
        TestGraph g = new TestGraph(opset);
        Random w = new Random(3);
        String x = g.input("input", 1, 3, size, size);
        String f = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(w, 0.3f, 6, 3, 3, 3), g.random(w, 0.1f, 6)),
                Attributes.ofInts("pads", 1, 1, 1, 1))));
        tail[0] = g.node("Gemm", List.of(g.node("Flatten", List.of(g.node("GlobalAveragePool", List.of(f)))),
                g.random(w, 0.5f, 4, 6), g.random(w, 0.1f, 4)), Attributes.ofInt("transB", 1));
        tail[1] = f;
        return g;
    }

    private static OnnxModel classifier(long opset, long size) {
        String[] t = new String[2];
        return classifier(opset, size, t).build(t[0]);
    }

    private static OnnxModel withInput(OnnxModel m, ValueInfoProto input) {
        GraphProto g = m.proto().getGraph().toBuilder().setInput(0, input).build();
        return new OnnxModel(m.proto().toBuilder().setGraph(g).build(), null, "t");
    }

    private static ValueInfoProto input(String name, int elem, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elem).setShape(s))).build();
    }

    private static List<Case> models() throws Exception {
        List<Case> cases = new ArrayList<>();
        OnnxModel ok = classifier(13, 32);
        cases.add(model("a small valid classifier", ok, 0));
        cases.add(model("opset 17 classifier", classifier(17, 32), 0));
        ValueInfoProto noShape = ValueInfoProto.newBuilder().setName("input").setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))).build();
        cases.add(model("input with no shape at all (224 assumed)", withInput(classifier(13, 224), noShape), 0));
        cases.add(model("input declaring 100000x100000", withInput(ok, input("input", 1, 1, 3, 100000, 100000)), 1,
                "100000"));
        cases.add(model("input declaring 20000x20000", withInput(ok, input("input", 1, 1, 3, 20000, 20000)), 1, "20000"));
        cases.add(model("int64 input", withInput(ok, input("input", 7, 1, 3, 32, 32)), 1, "float"));
        cases.add(model("rank-2 input", withInput(ok, input("input", 1, 1, 3072)), 1));
        cases.add(model("rank-5 input", withInput(ok, input("input", 1, 1, 1, 3, 32, 32)), 1));
        ModelProto noGraph = ok.proto().toBuilder().clearGraph().build();
        cases.add(modelFile("no graph", file("nograph.onnx", noGraph.toByteArray()), 1, "no graph"));
        cases.add(modelFile("opset 99", file("opset99.onnx", ok.proto().toBuilder().setOpsetImport(0,
                ok.proto().getOpsetImport(0).toBuilder().setVersion(99)).build().toByteArray()), 1, "operator set 99"));
        cases.add(modelFile("opset 3", file("opset3.onnx", ok.proto().toBuilder().setOpsetImport(0,
                ok.proto().getOpsetImport(0).toBuilder().setVersion(3)).build().toByteArray()), 1, "operator set 3"));
        cases.add(modelFile("no opset import", file("noopset.onnx", ok.proto().toBuilder().clearOpsetImport().build()
                .toByteArray()), 1, "operator set"));
        GraphProto twoInputs = ok.proto().getGraph().toBuilder().addInput(input("extra", 1, 1, 3)).build();
        cases.add(modelFile("two inputs", file("twoinputs.onnx", ok.proto().toBuilder().setGraph(twoInputs).build()
                .toByteArray()), 1, "2 inputs"));
        GraphProto noOutputs = ok.proto().getGraph().toBuilder().clearOutput().build();
        cases.add(modelFile("no outputs", file("nooutputs.onnx", ok.proto().toBuilder().setGraph(noOutputs).build()
                .toByteArray()), 1));
        // a score that is not [N, classes]
        String[] t = new String[2];
        TestGraph g = classifier(13, 32, t);
        cases.add(model("score of rank 3 (a raw detection head)", g.build(g.node("Unsqueeze", List.of(t[0], g.ints(2)))), 1,
                "detection head"));
        t = new String[2];
        g = classifier(13, 32, t);
        cases.add(model("no feature map (Flatten first)", flatOnly(), 1, "feature map"));
        cases.add(model("control flow on the way to the score", withIf(), 1, "If"));
        cases.add(model("an If whose branch holds the head (reading the feature map by name)", headInsideIf(), 1,
                "control flow", "If node 'the_if'"));
        cases.add(model("a Loop of 10^12 trips on the path", loopOnThePath(1_000_000_000_000L), 1, "Loop node",
                "1000000000000", "bounded"));
        cases.add(model("a Loop of 3 trips before the head (explained at the map after it)", loopOnThePath(3), 0));
        t = new String[2];
        g = classifier(13, 32, t);
        String nanW = g.constant(new float[] {Float.NaN, 0, 0, 0}, 4);
        cases.add(model("weights holding NaN", g.build(g.node("Add", List.of(t[0], nanW))), 1, "non-finite"));
        // an op without a gradient rule between layer and score
        t = new String[2];
        g = classifier(13, 32, t);
        cases.add(model("zero-gradient op after the layer", g.build(g.node("Round", List.of(t[0]))), 1, "Round"));
        t = new String[2];
        g = classifier(13, 32, t);
        cases.add(model("an op without a gradient rule after the layer", g.build(g.node("Hardmax", List.of(t[0]))), 1,
                "Hardmax"));
        TestGraph mid = new TestGraph(13);
        Random mw = new Random(8);
        String mx = mid.input("input", 1, 3, 32, 32);
        String early = mid.node("Relu", List.of(mid.node("Conv", List.of(mx, mid.random(mw, 0.3f, 6, 3, 3, 3),
                mid.random(mw, 0.1f, 6)), Attributes.ofInts("pads", 1, 1, 1, 1))));
        String late = mid.node("Conv", List.of(mid.node("Sin", List.of(early)), mid.random(mw, 0.3f, 6, 6, 3, 3),
                mid.random(mw, 0.1f, 6)), Attributes.ofInts("pads", 1, 1, 1, 1));
        String head = mid.node("Gemm", List.of(mid.node("Flatten", List.of(mid.node("GlobalAveragePool", List.of(
                mid.node("Relu", List.of(late)))))), mid.random(mw, 0.5f, 4, 6), mid.random(mw, 0.1f, 4)),
                Attributes.ofInt("transB", 1));
        Path midModel = file("sin.onnx", mid.build(head).toBytes());
        Path outMid = freshOutput();
        cases.add(new Case("model: an op without a rule before the score names the nearest layer after it",
                List.of("--image-path", good.toString(), "--model", midModel.toString(), "--layer", early, "--output-dir",
                        outMid.toString()), 1, List.of("Sin", "nearest layer", "--layer sin_"), outMid));
        Path outEigen = freshOutput();
        cases.add(new Case("model: a gradient-free method before an op without a gradient rule still runs",
                List.of("--image-path", good.toString(), "--model", midModel.toString(), "--layer", early, "--method",
                        "eigencam,scorecam", "--save-raw", "--output-dir", outEigen.toString()), 0, List.of(), outEigen));
        t = new String[2];
        g = classifier(13, 32, t);
        String gap = g.node("GlobalAveragePool", List.of(t[1]));
        String s = g.node("Gemm", List.of(g.node("Flatten", List.of(gap)), g.random(new Random(1), 0.5f, 4, 6),
                g.random(new Random(2), 0.1f, 4)), Attributes.ofInt("transB", 1));
        Path onePixel = file("gapmodel.onnx", g.build(s).toBytes());
        Path out1 = freshOutput();
        cases.add(new Case("model: --layer at a 1x1 map", List.of("--image-path", good.toString(), "--model",
                onePixel.toString(), "--layer", gap, "--output-dir", out1.toString()), 1, List.of("1x1", gap), out1));
        Path out2 = freshOutput();
        cases.add(new Case("model: --layer by torch module name that matches nothing", List.of("--image-path",
                good.toString(), "--model", onePixel.toString(), "--layer", "layer4", "--output-dir", out2.toString()), 1,
                List.of("layer4"), out2));
        byte[] demo = DemoModel.spec().model().toBytes();
        for (double f : new double[] {0.0, 0.001, 0.01, 0.1, 0.5, 0.9, 0.999}) {
            int n = (int) (demo.length * f);
            cases.add(modelFile("demo model truncated to " + n + " bytes", file("cut" + n + ".onnx", Arrays.copyOf(demo, n)), 1));
        }
        Random r = new Random(11);
        for (int size : new int[] {1, 64, 4096, 100000}) {
            byte[] noise = new byte[size];
            r.nextBytes(noise);
            cases.add(modelFile(size + " random bytes", file("noise" + size + ".onnx", noise), 1));
        }
        cases.add(modelFile("a text file", file("text.onnx", "not a model".getBytes(StandardCharsets.UTF_8)), 1));
        cases.add(modelFile("an image", good, 1));
        Path folder = Files.createDirectories(root.resolve("modelfolder.onnx"));
        cases.add(modelFile("a folder", folder, 1, "folder"));
        cases.add(modelFile("a missing file", root.resolve("missing.onnx"), 1, "missing.onnx"));
        cases.add(explain("an empty --model", 1, List.of("--model"), "--image-path", good.toString(), "--model", ""));
        cases.add(explain("a blank --model", 1, List.of("--model"), "--image-path", good.toString(), "--model", "   "));
        cases.add(explain("an unknown model name", 1, List.of("vgg17", "unknown model"), "--image-path", good.toString(),
                "--model", "vgg17"));
        return cases;
    }

    private static OnnxModel flatOnly() {
        TestGraph g = new TestGraph(13);
        Random w = new Random(4);
        String x = g.input("input", 1, 3, 16, 16);
        String y = g.node("Gemm", List.of(g.node("Flatten", List.of(x)), g.random(w, 0.1f, 4, 768), g.random(w, 0.1f, 4)),
                Attributes.ofInt("transB", 1));
        return g.build(y);
    }

    /** The classifier's logits passed through an If whose branches return them unchanged or negated. */
    private static OnnxModel withIf() {
        String[] t = new String[2];
        TestGraph g = classifier(13, 32, t);
        String cond = g.node("Greater", List.of(g.node("ReduceSum", List.of(t[0]), Attributes.ofInt("keepdims", 0)),
                g.constant(new float[] {0f})));
        OnnxModel base = g.build(t[0]);
        GraphProto.Builder then = GraphProto.newBuilder().setName("then")
                .addNode(org.xgradcam.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("Identity").addInput(t[0]).addOutput("then_out"))
                .addOutput(ValueInfoProto.newBuilder().setName("then_out").setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))));
        GraphProto.Builder els = GraphProto.newBuilder().setName("else")
                .addNode(org.xgradcam.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("Neg").addInput(t[0]).addOutput("else_out"))
                .addOutput(ValueInfoProto.newBuilder().setName("else_out").setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))));
        var ifNode = org.xgradcam.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("If").setName("the_if").addInput(cond)
                .addOutput("scores")
                .addAttribute(org.xgradcam.onnx.proto.OnnxProto.AttributeProto.newBuilder().setName("then_branch")
                        .setType(org.xgradcam.onnx.proto.OnnxProto.AttributeProto.AttributeType.GRAPH).setG(then))
                .addAttribute(org.xgradcam.onnx.proto.OnnxProto.AttributeProto.newBuilder().setName("else_branch")
                        .setType(org.xgradcam.onnx.proto.OnnxProto.AttributeProto.AttributeType.GRAPH).setG(els));
        GraphProto graph = base.proto().getGraph().toBuilder().addNode(ifNode).setOutput(0, ValueInfoProto.newBuilder()
                .setName("scores").setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))))
                .build();
        return new OnnxModel(base.proto().toBuilder().setGraph(graph).build(), null, "if");
    }

    private static org.xgradcam.onnx.proto.OnnxProto.AttributeProto graphAttribute(String name, GraphProto.Builder g) {
        return org.xgradcam.onnx.proto.OnnxProto.AttributeProto.newBuilder().setName(name)
                .setType(org.xgradcam.onnx.proto.OnnxProto.AttributeProto.AttributeType.GRAPH).setG(g).build();
    }

    private static ValueInfoProto floatValue(String name) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(1))).build();
    }

    /**
     * The head (pooling, Flatten, Gemm) inside both branches of an If on a constant condition:
     * the branches read the feature map by name, so the If's only listed input is the condition.
     */
    private static OnnxModel headInsideIf() {
        String[] t = new String[2];
        TestGraph g = classifier(13, 32, t);
        OnnxModel base = g.build(t[1]);
        GraphProto main = base.proto().getGraph();
        String gemm = main.getNode(main.getNodeCount() - 1).getOutput(0);
        GraphProto.Builder branch = GraphProto.newBuilder().setName("head");
        // the nodes after the feature map, moved into the branch
        List<org.xgradcam.onnx.proto.OnnxProto.NodeProto> nodes = new ArrayList<>(main.getNodeList());
        int firstHead = 0;
        while (!nodes.get(firstHead).getOpType().equals("GlobalAveragePool")) {
            firstHead++;
        }
        for (int i = firstHead; i < nodes.size(); i++) {
            branch.addNode(nodes.get(i));
        }
        branch.addOutput(floatValue(gemm));
        GraphProto.Builder graph = main.toBuilder().clearNode().clearOutput();
        for (int i = 0; i < firstHead; i++) {
            graph.addNode(nodes.get(i));
        }
        graph.addInitializer(org.xgradcam.onnx.TensorProtos.ofLongs("always", new long[] {1}).toBuilder()
                .setDataType(org.xgradcam.onnx.proto.OnnxProto.TensorProto.DataType.BOOL_VALUE)
                .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[] {1})));
        graph.addNode(org.xgradcam.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("If").setName("the_if")
                .addInput("always").addOutput("scores")
                .addAttribute(graphAttribute("then_branch", branch.clone().setName("then")))
                .addAttribute(graphAttribute("else_branch", branch.clone().setName("else"))));
        graph.addOutput(floatValue("scores"));
        return new OnnxModel(base.proto().toBuilder().setGraph(graph).build(), null, "if");
    }

    /** The feature map carried through a Loop of {@code trips} iterations (its body passes it on) before the head. */
    private static OnnxModel loopOnThePath(long trips) {
        TestGraph g = new TestGraph(13);
        Random w = new Random(5);
        String x = g.input("input", 1, 3, 32, 32);
        String f = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(w, 0.3f, 6, 3, 3, 3), g.random(w, 0.1f, 6)),
                Attributes.ofInts("pads", 1, 1, 1, 1))));
        String m = g.intsShaped(new long[] {trips});
        OnnxModel base = g.build(f);
        GraphProto.Builder body = GraphProto.newBuilder().setName("body")
                .addInput(ValueInfoProto.newBuilder().setName("iter").setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(7).setShape(TensorShapeProto.getDefaultInstance()))))
                .addInput(ValueInfoProto.newBuilder().setName("cond_in").setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(9).setShape(TensorShapeProto.getDefaultInstance()))))
                .addInput(floatValue("v_in"))
                .addNode(org.xgradcam.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("Identity").addInput("cond_in")
                        .addOutput("cond_out"))
                .addNode(org.xgradcam.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("Identity").addInput("v_in")
                        .addOutput("v_out"))
                .addOutput(ValueInfoProto.newBuilder().setName("cond_out").setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(9))))
                .addOutput(floatValue("v_out"));
        GraphProto.Builder graph = base.proto().getGraph().toBuilder().clearOutput();
        graph.addInitializer(org.xgradcam.onnx.TensorProtos.ofLongs("go_on", new long[] {1}).toBuilder()
                .setDataType(org.xgradcam.onnx.proto.OnnxProto.TensorProto.DataType.BOOL_VALUE)
                .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[] {1})));
        graph.addNode(org.xgradcam.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("Loop").setName("the_loop")
                .addInput(m).addInput("go_on").addInput(f).addOutput("looped").addAttribute(graphAttribute("body", body)));
        Random hw = new Random(6);
        float[] weights = new float[24];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) hw.nextGaussian() * 0.5f;
        }
        String hwName = "head_weights";
        graph.addInitializer(org.xgradcam.onnx.TensorProtos.ofFloats(hwName, weights, 4, 6));
        graph.addNode(org.xgradcam.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("GlobalAveragePool")
                .addInput("looped").addOutput("pooled"));
        graph.addNode(org.xgradcam.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("Flatten").addInput("pooled")
                .addOutput("flat"));
        graph.addNode(org.xgradcam.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("Gemm").addInput("flat")
                .addInput(hwName).addOutput("scores").addAttribute(Attributes.ofInt("transB", 1)));
        graph.addOutput(floatValue("scores"));
        return new OnnxModel(base.proto().toBuilder().setGraph(graph).build(), null, "loop");
    }

    // ---------------------------------------------------------------- arguments

    private static List<Case> arguments() throws Exception {
        List<Case> cases = new ArrayList<>();
        String img = good.toString();
        // numbers out of range or malformed, for every numeric option of every command
        String[][] explainNumbers = {{"--threads", "-1"}, {"--threads", "100000"}, {"--threads", "257"},
            {"--batch-size", "0"}, {"--batch-size", "-5"}, {"--batch-size", "100000"}, {"--batch", "0"}};
        for (String[] o : explainNumbers) {
            cases.add(explain(o[0] + " " + o[1], 1, List.of(o[0], "between"), "--image-path", img, o[0], o[1]));
        }
        for (String[] o : new String[][] {{"--threads", "abc"}, {"--threads", "1.5"}, {"--threads", ""},
            {"--batch-size", "NaN"}, {"--batch-size", "1e3"}}) {
            cases.add(explain(o[0] + " '" + o[1] + "'", 2, List.of(o[0]), "--image-path", img, o[0], o[1]));
        }
        cases.add(explain("--target-index 'abc'", 1, List.of("'abc'", "neither a class index nor a class name", "0..5"),
                "--image-path", img, "--target-index", "abc"));
        cases.add(explain("--target-index 'c'", 1, List.of("'c'", "0 circle, 4 cross"), "--image-path", img, "--target-index", "c"));
        for (String idx : new String[] {"-1", "6", "1000", "2147483647", "99999999999", "+7", "-0000000000000000000001"}) {
            cases.add(explain("--target-index " + idx, 1, List.of("class index", "out of range"), "--image-path", img,
                    "--target-index", idx));
        }
        for (String opt : new String[] {"--mean", "--std"}) {
            for (String v : new String[] {"nan,0,0", "NaN,NaN,NaN", "1e999,0,0", "-1e999,1,1", "inf,1,1", "Infinity,1,1",
                "1,2", "1,2,3,4", "", "a,b,c", "1;2;3", "0.5,,0.5", "1e39,1,1"}) {
                cases.add(explain(opt + " '" + v + "'", 1, List.of(opt), "--image-path", img, opt, v));
            }
        }
        cases.add(explain("--std 0,1,1", 1, List.of("--std", "0"), "--image-path", img, "--std", "0,1,1"));
        cases.add(explain("--std 0,0,0", 1, List.of("--std"), "--image-path", img, "--std", "0,0,0"));
        cases.add(explain("--std -0,1,1", 1, List.of("--std"), "--image-path", img, "--std", "-0,1,1"));
        String[][] words = {{"--colormap", "rainbow"}, {"--overlay", "multiply"}, {"--postprocess", "torch"},
            {"--resize", "stretch"}, {"--interpolation", "cubic"}, {"--scale", "0-2"}, {"--method", "gradcam3"},
            {"--methods", "gradcam,,xgradcam"}, {"--method", ""}, {"--layer", "no_such_layer"}, {"--layer", ""},
            {"--colormap", ""}};
        for (String[] o : words) {
            cases.add(explain(o[0] + " '" + o[1] + "'", 1, List.of(), "--image-path", img, o[0], o[1]));
        }
        cases.add(explain("--image-path with --input-tensor", 1, List.of("either"), "--image-path", img, "--input-tensor",
                img));
        for (String k : new String[] {"0", "-1", "7", "1001"}) {
            cases.add(explain("--top-k " + k, 1, List.of("top-k"), "--image-path", img, "--top-k", k));
        }
        cases.add(explain("--top-k with --target-index", 1, List.of("either"), "--image-path", img, "--top-k", "2",
                "--target-index", "1"));
        cases.add(explain("no input at all", 1, List.of("no image given")));
        cases.add(explain("an unknown option", 2, List.of("--frobnicate"), "--image-path", img, "--frobnicate"));
        cases.add(explain("an option without its value", 2, List.of("--target-index"), "--image-path", img, "--target-index"));
        cases.add(explain("a misspelt option", 2, List.of("--imagepath"), "--imagepath", img));
        Path aFile = file("plain.txt", "x".getBytes(StandardCharsets.UTF_8));
        cases.add(new Case("--output-dir is a file", List.of("--image-path", img, "--output-dir", aFile.toString()), 1,
                List.of("not a folder"), null));
        cases.add(new Case("--output-dir below a file", List.of("--image-path", img, "--output-dir",
                aFile.resolve("sub").toString()), 1, List.of("not a folder"), null));
        for (String cmd : List.of("layers", "methods", "proof", "models", "bench", "evaluate", "help")) {
            cases.add(command(cmd + " --help", 0, List.of(), cmd, "--help"));
        }
        cases.add(command("--version", 0, List.of(), "--version"));
        cases.add(command("unknown subcommand option", 2, List.of("--nope"), "layers", "--nope"));
        for (String[] o : new String[][] {{"--iterations", "0"}, {"--iterations", "-5"}, {"--iterations", "1000000"},
            {"--warmup", "-1"}, {"--batch", "0"}, {"--batch-size", "-3"}, {"--batch", "100000"}, {"--threads", "-2"}}) {
            cases.add(command("bench " + o[0] + " " + o[1], 1, List.of(o[0].equals("--batch") ? "--batch-size" : o[0],
                    "between"), "bench", o[0], o[1]));
        }
        cases.add(command("bench --method unknown", 1, List.of("unknown method"), "bench", "--method", "nope"));
        String dir = scenes.toString();
        for (String[] o : new String[][] {{"--steps", "0"}, {"--steps", "-5"}, {"--steps", "1000000000"},
            {"--threshold", "2"}, {"--threshold", "-1"}, {"--threshold", "NaN"}, {"--threshold", "Infinity"},
            {"--limit", "-1"}, {"--threads", "-1"}}) {
            Path out = freshOutput();
            cases.add(new Case("evaluate " + o[0] + " " + o[1], List.of("evaluate", "--images", dir, o[0], o[1],
                    "--output-dir", out.toString(), "--quiet"), 1, List.of(o[0], "between"), out));
        }
        for (String[] o : new String[][] {{"--metrics", "nope"}, {"--methods", "nope"}, {"--mean", "nan,0,0"},
            {"--std", "0,0,0"}, {"--layer", "nope"}}) {
            Path out = freshOutput();
            cases.add(new Case("evaluate " + o[0] + " " + o[1], List.of("evaluate", "--images", dir, o[0], o[1],
                    "--output-dir", out.toString(), "--quiet"), 1, List.of(), out));
        }
        Path out = freshOutput();
        cases.add(new Case("evaluate an empty folder", List.of("evaluate", "--images",
                Files.createDirectories(root.resolve("emptyeval")).toString(), "--output-dir", out.toString()), 1,
                List.of("holds no images"), out));
        cases.add(command("proof --target-index -1", 1, List.of("class index -1", "out of range"), "proof", "--image-path", img,
                "--target-index", "-1"));
        cases.add(command("proof --target-index 99", 1, List.of("out of range"), "proof", "--image-path", img,
                "--target-index", "99"));
        cases.add(command("proof of a missing image", 1, List.of("not found"), "proof", "--image-path",
                root.resolve("none.png").toString()));
        cases.add(command("models fetch nothing", 1, List.of("unknown model"), "models", "fetch", "nothing"));
        cases.add(command("models bogus", 1, List.of("usage"), "models", "bogus"));
        return cases;
    }

    // ---------------------------------------------------------------- boxes

    private static Case boxes(String name, String csv, int exit, String... says) throws Exception {
        Path f = file("boxes.csv", csv.getBytes(StandardCharsets.UTF_8));
        Path out = freshOutput();
        return new Case("boxes: " + name, List.of("evaluate", "--images", scenes.toString(), "--boxes", f.toString(),
                "--metrics", "pointing", "--methods", "gradcam", "--output-dir", out.toString(), "--quiet"), exit,
                List.of(says), out);
    }

    private static List<Case> boxes() throws Exception {
        List<Case> cases = new ArrayList<>();
        String head = "file,class,x0,y0,x1,y1\n";
        cases.add(boxes("valid", head + "a.png,0,10,10,50,50\n", 0));
        cases.add(boxes("valid with a byte-order mark", "\uFEFF" + head + "a.png,0,10,10,50,50\n", 0));
        cases.add(boxes("valid without header, CRLF", "a.png,0,10,10,50,50\r\nb.png,1,0,0,20,20\r\n", 0));
        cases.add(boxes("valid decimals", head + "a.png,0,10.5,10,50.25,50\n", 0));
        // boxes that give nothing to measure: named, never an empty report
        cases.add(boxes("empty file", "", 1, "holds no boxes", "empty"));
        cases.add(boxes("only a header", head, 1, "holds no boxes"));
        cases.add(boxes("another header spelling only", "image,label,xmin,ymin,xmax,ymax\n", 1, "holds no boxes"));
        cases.add(boxes("another header, then boxes", "image,label,xmin,ymin,xmax,ymax\na.png,0,10,10,50,50\n", 0));
        cases.add(boxes("boxes for no image of the folder", head + "nothere.png,0,10,10,50,50\n", 1, "names an image",
                "nothere.png"));
        cases.add(boxes("boxes for one of two images (a note, then measured)", head + "b.png,1,0,0,20,20\n", 0));
        Path emptyVoc = Files.createDirectories(root.resolve("voc" + (counter++)));
        Files.writeString(emptyVoc.resolve("a.xml"), "<annotation><filename>a.png</filename></annotation>");
        Path emptyVocOut = freshOutput();
        cases.add(new Case("boxes: VOC files without objects", List.of("evaluate", "--images", scenes.toString(), "--boxes",
                emptyVoc.toString(), "--metrics", "pointing", "--methods", "gradcam", "--output-dir", emptyVocOut.toString(),
                "--quiet"), 1, List.of("holds no boxes", "<object>"), emptyVocOut));
        Path garbledVoc = Files.createDirectories(root.resolve("voc" + (counter++)));
        Files.writeString(garbledVoc.resolve("a.xml"), "this is not XML at all");
        Path garbledVocOut = freshOutput();
        cases.add(new Case("boxes: a malformed VOC file", List.of("evaluate", "--images", scenes.toString(), "--boxes",
                garbledVoc.toString(), "--metrics", "pointing", "--methods", "gradcam", "--output-dir", garbledVocOut.toString(),
                "--quiet"), 1, List.of("holds no boxes"), garbledVocOut));
        String[][] bad = {{"non-numeric", "a.png,0,ten,10,50,50"}, {"NaN", "a.png,0,NaN,10,50,50"},
            {"Infinity", "a.png,0,10,10,Infinity,50"}, {"1e300", "a.png,0,10,10,1e300,50"}, {"x0 > x1", "a.png,0,60,10,50,50"},
            {"y0 > y1", "a.png,0,10,60,50,50"}, {"zero width", "a.png,0,10,10,10,50"}, {"five fields", "a.png,0,10,10,50"},
            {"seven fields", "a.png,0,10,10,50,50,1"}, {"unknown class", "a.png,unicorn,10,10,50,50"},
            {"class -1", "a.png,-1,10,10,50,50"}, {"class out of range", "a.png,99,10,10,50,50"},
            {"empty coordinate", "a.png,0,,10,50,50"}, {"hex coordinate", "a.png,0,0x10,10,50,50"}};
        for (String[] b : bad) {
            cases.add(boxes(b[0], head + b[1] + "\n", 1, "boxes.csv", "line 2"));
        }
        Path voc = Files.createDirectories(root.resolve("voc" + (counter++)));
        Files.writeString(voc.resolve("a.xml"), "<annotation><object><name>0</name><bndbox><xmin>NaN</xmin><ymin>1</ymin>"
                + "<xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>");
        Path out = freshOutput();
        cases.add(new Case("boxes: VOC with NaN", List.of("evaluate", "--images", scenes.toString(), "--boxes", voc.toString(),
                "--metrics", "pointing", "--methods", "gradcam", "--output-dir", out.toString(), "--quiet"), 1,
                List.of("a.xml", "NaN"), out));
        Path voc2 = Files.createDirectories(root.resolve("voc" + (counter++)));
        Files.writeString(voc2.resolve("a.xml"), "<annotation><object><name>0</name><bndbox><xmin>1</xmin>"
                + "</bndbox></object></annotation>");
        out = freshOutput();
        cases.add(new Case("boxes: VOC missing a tag", List.of("evaluate", "--images", scenes.toString(), "--boxes",
                voc2.toString(), "--metrics", "pointing", "--methods", "gradcam", "--output-dir", out.toString(), "--quiet"), 1,
                List.of("a.xml", "ymin"), out));
        out = freshOutput();
        cases.add(new Case("boxes: missing file", List.of("evaluate", "--images", scenes.toString(), "--boxes",
                root.resolve("nope.csv").toString(), "--output-dir", out.toString(), "--quiet"), 1, List.of("nope.csv"), out));
        return cases;
    }

    // ---------------------------------------------------------------- the runs

    @TestFactory
    Stream<DynamicTest> corpus() throws Exception {
        List<Case> all = new ArrayList<>();
        all.addAll(images());
        all.addAll(specialFiles());
        all.addAll(tensors());
        all.addAll(models());
        all.addAll(arguments());
        all.addAll(boxes());
        assertThat(all.size()).as("corpus size").isGreaterThanOrEqualTo(300);
        return all.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(Case c) throws Exception {
        boolean existed = c.output() != null && Files.exists(c.output());
        CliRunner.Result r = CliRunner.run(c.args().toArray(String[]::new));
        String err = r.err();
        String desc = c.name() + ": " + c.args() + "\nstderr: " + err + "\nstdout: " + r.out();
        assertThat(r.exit()).as(desc).isEqualTo(c.exit());
        assertThat(err).as(desc).doesNotContain("\tat ").doesNotContain("Exception in thread").doesNotContain("internal error");
        if (c.exit() == 0) {
            assertThat(err).as(desc).doesNotContain("error:");
            return;
        }
        List<String> lines = err.strip().lines().filter(l -> !l.startsWith("xgradcam: note:")).toList();
        if (Boolean.getBoolean("xgradcam.corpus.print")) {
            System.out.println("corpus | " + c.name() + " | " + err.strip());
        }
        assertThat(lines).as(desc).hasSize(1);
        assertThat(lines.get(0)).as(desc).startsWith("xgradcam: error: ");
        String lower = lines.get(0).toLowerCase(Locale.ROOT);
        for (String s : c.says()) {
            assertThat(lower).as(desc).contains(s.toLowerCase(Locale.ROOT));
        }
        if (c.output() != null) {
            if (!existed) {
                assertThat(c.output()).as("output folder of a failed run: " + desc).doesNotExist();
            } else {
                try (Stream<Path> s = Files.list(c.output())) {
                    assertThat(s.toList()).as("files left by a failed run: " + desc).isEmpty();
                }
            }
        }
    }
}
