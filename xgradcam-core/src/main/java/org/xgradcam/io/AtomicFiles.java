package org.xgradcam.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.xgradcam.XGradCamException;

/** Writes files whole or not at all: a temporary sibling is written, then moved into place. */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static void write(Path file, byte[] content) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + file.getFileName(), ".part");
            Files.write(tmp, content);
            try {
                // temporary files are private (0600); the result is an ordinary file (0644)
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: its defaults apply
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AccessDeniedException e) {
            throw new XGradCamException("cannot write " + file + ": permission denied (choose a writable output directory)", e);
        } catch (IOException e) {
            throw new XGradCamException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // nothing left to clean that we can reach
                }
            }
        }
    }
}
