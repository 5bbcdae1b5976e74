package org.xgradcam.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Structure checks the decoders skip: some of them return a whole-looking picture from a file
 * that lost its end, or from corrupt chunks. The container of each format says how long it
 * should be, or how it must end: PNG chunks with their CRCs up to IEND, GIF's trailer, the sizes
 * in BMP and WebP headers. (JPEG's decoder reports a missing end marker itself.)
 */
final class ImageIntegrity {
    private ImageIntegrity() {}

    /** What is wrong with the file's structure, in the decoders' words ("truncated", "corrupt"); empty if nothing. */
    static List<String> problems(byte[] b) {
        List<String> out = new ArrayList<>();
        if (startsWith(b, new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'})) {
            png(b, out);
        } else if (startsWith(b, "GIF8".getBytes(StandardCharsets.ISO_8859_1))) {
            int end = b.length;
            while (end > 0 && b[end - 1] == 0) {
                end--; // some writers pad after the trailer
            }
            if (end == 0 || b[end - 1] != 0x3B) {
                out.add("Truncated GIF: the file ends before its trailer");
            }
        } else if (b.length >= 14 && b[0] == 'B' && b[1] == 'M') {
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            long size = Integer.toUnsignedLong(bb.getInt(2));
            long offset = Integer.toUnsignedLong(bb.getInt(10));
            if (size > b.length || offset > b.length) {
                out.add("Truncated BMP: its header promises " + Math.max(size, offset) + " bytes, the file has " + b.length);
            }
        } else if (b.length >= 12 && startsWith(b, "RIFF".getBytes(StandardCharsets.ISO_8859_1))
                && new String(b, 8, 4, StandardCharsets.ISO_8859_1).equals("WEBP")) {
            long size = Integer.toUnsignedLong(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(4)) + 8;
            if (size > b.length) {
                out.add("Truncated WebP: its header promises " + size + " bytes, the file has " + b.length);
            }
        }
        return out;
    }

    /** Walks the chunks: each whole, each CRC right, IEND reached. */
    private static void png(byte[] b, List<String> out) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
        int pos = 8;
        while (pos + 12 <= b.length) {
            long len = Integer.toUnsignedLong(bb.getInt(pos));
            String type = new String(b, pos + 4, 4, StandardCharsets.ISO_8859_1);
            if (pos + 12 + len > b.length) {
                out.add("Truncated PNG: the file ends inside its " + printable(type) + " chunk");
                return;
            }
            CRC32 crc = new CRC32();
            crc.update(b, pos + 4, (int) (4 + len));
            long stored = Integer.toUnsignedLong(bb.getInt(pos + 8 + (int) len));
            if (crc.getValue() != stored) {
                out.add("Corrupt PNG: chunk " + printable(type) + " has a bad CRC");
                return;
            }
            if (type.equals("IEND")) {
                return;
            }
            pos += 12 + (int) len;
        }
        out.add("Truncated PNG: the file ends before its IEND chunk");
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
