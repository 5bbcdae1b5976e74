package org.xgradcam.validation;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;

/**
 * Names the real cause of an I/O failure (a full disk, a file-size limit, a read-only file
 * system, a permission) instead of blaming the file being read or written.
 */
public final class IoErrors {
    private IoErrors() {}

    public static String describe(IOException e) {
        String m = e instanceof FileSystemException fs ? (fs.getReason() != null ? fs.getReason()
                : e.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT)
                + ": " + fs.getFile()) : e.getMessage();
        String lower = m == null ? "" : m.toLowerCase(Locale.ROOT);
        if (lower.contains("no space left")) {
            return "the disk is full (no space left on device); free some space or write elsewhere";
        }
        if (lower.contains("file too large")) {
            return "the file-size limit was reached (file too large; see ulimit -f)";
        }
        if (lower.contains("read-only file system")) {
            return "the file system is read-only; write elsewhere";
        }
        if (lower.contains("disk quota")) {
            return "the disk quota is exhausted; free some space or write elsewhere";
        }
        if (e instanceof AccessDeniedException || lower.contains("permission denied")) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or folder: " + e.getMessage();
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** Whether the failure is the machine's (disk, limits), not the data's. */
    public static boolean isEnvironmental(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException io) {
                String d = describe(io);
                if (d.startsWith("the disk") || d.startsWith("the file-size") || d.startsWith("the file system")) {
                    return true;
                }
            }
        }
        return false;
    }
}
