package org.xgradcam.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.proto.OnnxProto.StringStringEntryProto;
import org.xgradcam.onnx.proto.OnnxProto.TensorProto;
import org.xgradcam.validation.IoErrors;

/**
 * Weights a model keeps in files beside it (the format's way past protobuf's 2 GB). A model file
 * is untrusted input, so this is the one place such a file is located, checked and read: its
 * name must be relative, without "..", and lead (after every symbolic link is resolved) to a
 * regular file inside the model's folder, other than the model itself, holding the bytes the
 * tensor's shape promises. Anything else is refused by name before a byte is read. The bytes are
 * mapped read-only where they lie: nothing is copied to, linked from or created in another folder.
 */
public final class ExternalData {
    private ExternalData() {}

    /** A checked region of a data file: the file (links resolved), where the tensor starts, and its length in bytes. */
    public record Region(String tensor, String location, Path file, long offset, long length) {}

    /** Whether the tensor's values live in an external file. */
    public static boolean isExternal(TensorProto t) {
        return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
    }

    /**
     * Locates and checks a tensor's external data. {@code modelDir} is the folder of the model file
     * as given (null for a model read from bytes); {@code modelFile} the model file itself (may be null).
     */
    public static Region locate(TensorProto t, Path modelDir, Path modelFile, String source) {
        String location = null;
        String offsetText = "0";
        String lengthText = null;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offsetText = e.getValue();
                case "length" -> lengthText = e.getValue();
                default -> { } // "checksum" and future keys: not needed to read the bytes
            }
        }
        String what = "tensor '" + t.getName() + "' of " + source;
        if (location == null || location.isEmpty()) {
            throw new XGradCamException(what + " is stored in an external data file but names none; re-export the model");
        }
        if (modelDir == null) {
            throw new XGradCamException(what + " is stored in external data file '" + location + "', which a model given"
                    + " as bytes cannot reach; load the model from its file, with its data files beside it");
        }
        Path relative = relativeLocation(location, what);
        long offset = number(offsetText, "offset", what);
        long expected = byteSize(t, what);
        if (lengthText != null && number(lengthText, "length", what) != expected && expected >= 0) {
            throw new XGradCamException(what + " says its external data is " + lengthText + " bytes long, but its shape "
                    + java.util.Arrays.toString(TensorProtos.dims(t)) + " needs " + expected + "; re-export the model");
        }
        long length = expected >= 0 ? expected : lengthText != null ? number(lengthText, "length", what) : -1;
        Path file = modelDir.resolve(relative);
        Path real;
        Path folder;
        try {
            folder = modelDir.toRealPath();
            real = file.toRealPath();
        } catch (IOException e) {
            if (Files.isSymbolicLink(file)) {
                throw new XGradCamException(what + " is stored in " + file + ", a symbolic link that leads nowhere (a missing"
                        + " target or a loop); put the data file itself next to the model");
            }
            throw new XGradCamException("external data file " + file + " of " + what + " is missing or unreadable ("
                    + IoErrors.describe(e) + "); keep the model's data files next to the .onnx file", e);
        }
        Path modelsOwnFolder = modelFile == null ? null : realParent(modelFile);
        if (!real.startsWith(folder) && (modelsOwnFolder == null || !real.startsWith(modelsOwnFolder))) {
            throw new XGradCamException(what + " names external data '" + location + "', which leads to " + real
                    + ", outside the model's folder " + folder + "; xgradcam reads weights only from files inside the"
                    + " model's folder (copy the data file there)");
        }
        if (!Files.isRegularFile(real)) {
            throw new XGradCamException(what + " names external data '" + location + "', which is not a regular file (a"
                    + " folder, pipe or device); put the data file itself next to the model");
        }
        try {
            if (modelFile != null && Files.isSameFile(real, modelFile)) {
                throw new XGradCamException(what + " names the model file itself as its external data ('" + location
                        + "'); the file is malformed: re-export the model");
            }
            long size = Files.size(real);
            if (offset > size || (length >= 0 && length > size - offset)) {
                throw new XGradCamException(what + " needs bytes " + offset + " to " + (offset + Math.max(length, 0))
                        + " of external data file " + real + ", which has " + size + "; the data file is truncated or does"
                        + " not belong to this model");
            }
            if (length < 0) {
                length = size - offset;
            }
        } catch (IOException e) {
            throw new XGradCamException("cannot read external data file " + real + " of " + what + ": "
                    + IoErrors.describe(e), e);
        }
        return new Region(t.getName(), location, real, offset, length);
    }

    private static Path realParent(Path modelFile) {
        try {
            Path p = modelFile.toRealPath().getParent();
            return p;
        } catch (IOException e) {
            return null;
        }
    }

    /** The location as a relative path of plain names: absolute paths, "..", and odd separators are refused. */
    private static Path relativeLocation(String location, String what) {
        String why = null;
        if (location.indexOf('\0') >= 0) {
            why = "holds a NUL character";
        } else if (location.startsWith("/") || location.startsWith("\\") || location.matches("^[A-Za-z]:.*")) {
            why = "is an absolute path";
        } else {
            for (String part : location.split("[/\\\\]")) {
                if (part.equals("..")) {
                    why = "climbs out of the model's folder with '..'";
                    break;
                }
            }
        }
        Path p = null;
        if (why == null) {
            try {
                p = Path.of(location).normalize();
                if (p.isAbsolute() || p.toString().isEmpty()) {
                    why = "is not a file name inside the model's folder";
                }
            } catch (java.nio.file.InvalidPathException e) {
                why = "is not a valid file name";
            }
        }
        if (why != null) {
            throw new XGradCamException(what + " names external data '" + location + "', which " + why + "; external data"
                    + " must be a file inside the model's folder, named relative to it");
        }
        return p;
    }

    private static long number(String text, String key, String what) {
        try {
            long v = Long.parseLong(text.strip());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new XGradCamException(what + " has external data " + key + " '" + text + "', not a byte count; re-export the model");
    }

    /** The bytes a tensor of this type and shape holds, or -1 for types of no fixed width (strings). */
    static long byteSize(TensorProto t, String what) {
        int width = elementBytes(t.getDataType());
        if (width <= 0) {
            return -1;
        }
        long n = 1;
        for (long d : TensorProtos.dims(t)) {
            if (d < 0) {
                throw new XGradCamException(what + " has a negative dimension " + d + "; re-export the model");
            }
            if (d != 0 && n > Long.MAX_VALUE / width / d) {
                throw new XGradCamException(what + " has shape " + java.util.Arrays.toString(TensorProtos.dims(t))
                        + ", too large to be a weight");
            }
            n *= d;
        }
        return n * width;
    }

    /** The width in bytes of one element of an ONNX data type; 0 for types without one. */
    public static int elementBytes(int dataType) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(dataType);
        if (t == null) {
            return 0;
        }
        return switch (t) {
            case DOUBLE, INT64, UINT64, COMPLEX64 -> 8;
            case FLOAT, INT32, UINT32 -> 4;
            case FLOAT16, BFLOAT16, INT16, UINT16 -> 2;
            case INT8, UINT8, BOOL -> 1;
            case COMPLEX128 -> 16;
            default -> 0;
        };
    }

    /** Checks every external tensor of a model (at load, before anything runs). */
    static void checkAll(Iterable<TensorProto> tensors, Path modelDir, Path modelFile, String source) {
        for (TensorProto t : tensors) {
            if (isExternal(t)) {
                locate(t, modelDir, modelFile, source);
            }
        }
    }

    /**
     * Maps checked regions read-only, one mapping per data file where the file fits one (2 GB),
     * else one per tensor. The buffers stay valid after the returned maps are dropped.
     */
    static final class Mapper {
        private final Map<Path, ByteBuffer> whole = new HashMap<>();

        ByteBuffer map(Region r) {
            if (r.length() > Integer.MAX_VALUE - 8) {
                throw new XGradCamException("tensor '" + r.tensor() + "' holds " + r.length() + " bytes in one piece, more"
                        + " than xgradcam reads as one weight (2 GB)");
            }
            try {
                ByteBuffer file = whole.get(r.file());
                if (file == null) {
                    try (FileChannel ch = FileChannel.open(r.file())) {
                        if (ch.size() <= Integer.MAX_VALUE) {
                            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
                            whole.put(r.file(), file);
                        } else {
                            return ch.map(FileChannel.MapMode.READ_ONLY, r.offset(), r.length()).order(ByteOrder.LITTLE_ENDIAN);
                        }
                    }
                }
                return file.slice((int) r.offset(), (int) r.length()).order(ByteOrder.LITTLE_ENDIAN);
            } catch (IOException e) {
                throw new XGradCamException("cannot read external data file " + r.file() + " of tensor '" + r.tensor() + "': "
                        + IoErrors.describe(e), e);
            }
        }
    }

    /** The tensor's bytes, copied onto the heap (for the small tensors read as numbers). */
    static ByteBuffer read(Region r) {
        if (r.length() > Integer.MAX_VALUE - 8) {
            throw new XGradCamException("tensor '" + r.tensor() + "' is too large to read as numbers (" + r.length() + " bytes)");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) r.length());
        try (FileChannel ch = FileChannel.open(r.file())) {
            while (buf.hasRemaining()) {
                if (ch.read(buf, r.offset() + buf.position()) < 0) {
                    throw new XGradCamException("external data file " + r.file() + " of tensor '" + r.tensor()
                            + "' ended early; the data file is truncated");
                }
            }
        } catch (IOException e) {
            throw new XGradCamException("cannot read external data file " + r.file() + " of tensor '" + r.tensor() + "': "
                    + IoErrors.describe(e), e);
        }
        return buf.flip().order(ByteOrder.LITTLE_ENDIAN);
    }
}
