package org.xgradcam.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xgradcam.XGradCamException;
import org.xgradcam.tensor.FloatTensor;

/** NumPy .npy files (format 1.0/2.0): float32/float64 read as float32, float32 written. */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Npy() {}

    public static FloatTensor read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new XGradCamException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static FloatTensor read(InputStream in, String source) throws IOException {
        byte[] all = in.readAllBytes();
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < MAGIC.length; i++) {
            if (all.length < 10 || all[i] != MAGIC[i]) {
                throw new XGradCamException(source + " is not a NumPy .npy file (save it with numpy.save)");
            }
        }
        int major = all[6];
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
        int offset = major == 1 ? 10 : 12;
        String header = new String(all, offset, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher o = ORDER.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) {
            throw new XGradCamException(source + " has a malformed .npy header: " + header.trim());
        }
        if (o.group(1).equals("True")) {
            throw new XGradCamException(source + " is in Fortran order; save a C-ordered array (numpy.ascontiguousarray)");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            if (!part.isBlank()) {
                dims.add(Long.parseLong(part.trim()));
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        int n = Math.toIntExact(FloatTensor.numel(shape));
        ByteBuffer data = ByteBuffer.wrap(all, offset + headerLen, all.length - offset - headerLen);
        String descr = d.group(1);
        data.order(descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[n];
        switch (descr.substring(1)) {
            case "f4" -> checkedSize(data, 4L * n, source).asFloatBuffer().get(out);
            case "f8" -> {
                var db = checkedSize(data, 8L * n, source).asDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = (float) db.get(i);
                }
            }
            default -> throw new XGradCamException(source + " holds " + descr + " values; xgradcam reads float32"
                    + " (numpy.float32) or float64 arrays");
        }
        return new FloatTensor(shape, out);
    }

    private static ByteBuffer checkedSize(ByteBuffer data, long bytes, String source) {
        if (data.remaining() < bytes) {
            throw new XGradCamException(source + " is truncated: its header promises " + bytes + " bytes of data, it has "
                    + data.remaining());
        }
        return data.slice().order(data.order());
    }

    /** Writes float32 C-ordered data, atomically (a temporary file moved into place). */
    public static void write(Path file, FloatTensor t) {
        StringBuilder shape = new StringBuilder();
        for (long d : t.shape()) {
            shape.append(d).append(", ");
        }
        String dims = t.rank() == 1 ? shape.toString().trim() : shape.length() > 0 ? shape.substring(0, shape.length() - 2) : "";
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        int total = MAGIC.length + 4 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.write(1);
        out.write(0);
        out.write(header.length() & 0xff);
        out.write((header.length() >> 8) & 0xff);
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        ByteBuffer data = ByteBuffer.allocate(4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(t.data());
        out.writeBytes(data.array());
        AtomicFiles.write(file, out.toByteArray());
    }
}
