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
import org.xgradcam.validation.InputFiles;
import org.xgradcam.validation.IoErrors;
import org.xgradcam.validation.Memory;
import org.xgradcam.tensor.FloatTensor;

/** NumPy .npy files (format 1.0/2.0): float32/float64 read as float32, float32 written. */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** The largest .npy file read: 4 GiB (far above any input tensor). */
    public static final long MAX_FILE_BYTES = 4L << 30;

    private static final Pattern DIM = Pattern.compile("\\s*(\\d{1,12})\\s*");

    public static FloatTensor read(Path file) {
        long size = InputFiles.requireRegularFile(file, ".npy file");
        if (size > MAX_FILE_BYTES) {
            throw new XGradCamException(".npy file " + file + " is larger than 4 GiB; is it the right file?");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), size);
        } catch (IOException e) {
            throw new XGradCamException("cannot read " + file + ": " + IoErrors.describe(e), e);
        }
    }

    /**
     * Reads an array, checking the header before anything is allocated: magic, version, header
     * length, dtype, order and shape (non-negative integers whose product fits in memory), then
     * that the data is as long as the header promises.
     */
    public static FloatTensor read(InputStream in, String source) throws IOException {
        return read(in, source, -1);
    }

    /** As {@link #read(InputStream, String)}, for a stream of {@code size} bytes (-1: unknown). */
    static FloatTensor read(InputStream in, String source, long size) throws IOException {
        byte[] preamble = in.readNBytes(12);
        for (int i = 0; i < MAGIC.length; i++) {
            if (preamble.length < 10 || preamble[i] != MAGIC[i]) {
                throw new XGradCamException(source + " is not a NumPy .npy file (save it with numpy.save)");
            }
        }
        int major = preamble[6];
        if (major < 1 || major > 3) {
            throw new XGradCamException(source + " is .npy format version " + major + "; xgradcam reads versions 1 to 3");
        }
        ByteBuffer b = ByteBuffer.wrap(preamble).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : preamble.length < 12 ? -1 : Integer.toUnsignedLong(b.getInt(8));
        if (headerLen < 0 || headerLen > 1 << 20) {
            throw new XGradCamException(source + " has a malformed .npy header (its length field says " + headerLen
                    + " bytes); save it again with numpy.save");
        }
        int offset = major == 1 ? 10 : 12;
        byte[] headerBytes = new byte[(int) headerLen];
        int have = preamble.length - offset;
        if (have > 0) {
            System.arraycopy(preamble, offset, headerBytes, 0, (int) Math.min(have, headerLen));
        }
        byte[] afterHeader = have > headerLen ? java.util.Arrays.copyOfRange(preamble, offset + (int) headerLen, preamble.length) : new byte[0];
        if (have < headerLen) {
            byte[] rest = in.readNBytes((int) headerLen - have);
            System.arraycopy(rest, 0, headerBytes, have, rest.length);
            if (rest.length < headerLen - have) {
                throw new XGradCamException(source + " is truncated inside its .npy header; save it again with numpy.save");
            }
        }
        String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher o = ORDER.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) {
            throw new XGradCamException(source + " has a malformed .npy header (" + printable(header)
                    + "); save it again with numpy.save");
        }
        boolean fortran = o.group(1).equals("True");
        List<Long> dims = new ArrayList<>();
        String[] parts = s.group(1).split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isBlank() && (i == parts.length - 1 || parts.length == 1)) {
                continue; // "(3,)" and "()"
            }
            Matcher m = DIM.matcher(parts[i]);
            if (!m.matches()) {
                throw new XGradCamException(source + " has a malformed .npy shape (" + printable(s.group(1))
                        + "): dimensions must be non-negative integers");
            }
            dims.add(Long.parseLong(m.group(1)));
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        String descr = d.group(1);
        int itemSize = switch (descr.isEmpty() ? "" : descr.substring(1)) {
            case "f4" -> 4;
            case "f8" -> 8;
            default -> 0;
        };
        if (itemSize == 0 || "<>=|".indexOf(descr.charAt(0)) < 0) {
            throw new XGradCamException(source + " holds '" + printable(descr) + "' values; xgradcam reads float32"
                    + " (numpy.float32) or float64 arrays");
        }
        long n;
        try {
            n = FloatTensor.numel(shape);
            Math.multiplyExact(n, itemSize);
        } catch (ArithmeticException e) {
            n = Long.MAX_VALUE;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new XGradCamException(source + " claims shape " + java.util.Arrays.toString(shape)
                    + ", more values than xgradcam holds in one array (2^31)");
        }
        long bytes = n * itemSize;
        long dataStart = offset + headerLen;
        if (size >= 0 && size - dataStart < bytes) {
            // the file is shorter than its shape says: truncated, whatever memory its shape would need
            throw new XGradCamException(source + " is truncated: its header promises " + bytes + " bytes of data (shape "
                    + java.util.Arrays.toString(shape) + "), it has " + Math.max(0, size - dataStart));
        }
        Memory.require(bytes + 4 * n, "reading " + source + " (shape " + java.util.Arrays.toString(shape) + ")");
        byte[] raw = new byte[(int) bytes];
        int pre = Math.min(afterHeader.length, raw.length);
        System.arraycopy(afterHeader, 0, raw, 0, pre);
        int got = pre + in.readNBytes(raw, pre, raw.length - pre);
        if (got < bytes) {
            throw new XGradCamException(source + " is truncated: its header promises " + bytes + " bytes of data, it has "
                    + got);
        }
        ByteBuffer data = ByteBuffer.wrap(raw).order(descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[(int) n];
        if (itemSize == 4) {
            data.asFloatBuffer().get(out);
        } else {
            var db = data.asDoubleBuffer();
            for (int i = 0; i < n; i++) {
                out[i] = (float) db.get(i);
            }
        }
        return new FloatTensor(shape, fortran ? toRowMajor(out, shape) : out);
    }

    /** Column-major (Fortran-ordered, as numpy saves a transposed view) values in row-major order. */
    private static float[] toRowMajor(float[] colMajor, long[] shape) {
        int rank = shape.length;
        if (rank < 2) {
            return colMajor;
        }
        long[] colStride = new long[rank];
        long st = 1;
        for (int a = 0; a < rank; a++) {
            colStride[a] = st;
            st *= shape[a];
        }
        float[] out = new float[colMajor.length];
        int[] idx = new int[rank];
        for (int i = 0; i < out.length; i++) {
            long src = 0;
            for (int a = 0; a < rank; a++) {
                src += idx[a] * colStride[a];
            }
            out[i] = colMajor[(int) src];
            for (int a = rank - 1; a >= 0; a--) {
                if (++idx[a] < shape[a]) {
                    break;
                }
                idx[a] = 0;
            }
        }
        return out;
    }

    /** Header text safe to print on one line. */
    private static String printable(String s) {
        String t = s.strip().replaceAll("[^\\x20-\\x7e]", "?");
        return t.length() > 80 ? t.substring(0, 80) + "..." : t;
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
