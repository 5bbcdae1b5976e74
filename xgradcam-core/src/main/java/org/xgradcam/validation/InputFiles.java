package org.xgradcam.validation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.xgradcam.XGradCamException;

/**
 * Files given by a user: only a regular file is read (a folder, a named pipe that would block
 * forever, /dev/zero or a dangling link is refused by name), and its size is checked against a
 * ceiling and against free memory before a byte is read.
 */
public final class InputFiles {
    private InputFiles() {}

    /** Returns the size of {@code file} after checking that it is a readable regular file. */
    public static long requireRegularFile(Path file, String what) {
        if (file.toString().isEmpty()) {
            throw new XGradCamException(what + " path is empty; give a file");
        }
        if (!Files.exists(file)) {
            if (Files.isSymbolicLink(file)) {
                throw new XGradCamException(what + " " + file + " is a symbolic link that leads nowhere (a missing target"
                        + " or a loop); give the file itself");
            }
            throw new XGradCamException(what + " not found: " + file);
        }
        if (Files.isDirectory(file)) {
            throw new XGradCamException(what + " " + file + " is a folder, not a file");
        }
        if (!Files.isRegularFile(file)) {
            throw new XGradCamException(what + " " + file + " is not a regular file (a pipe, device or socket);"
                    + " give a file on disk");
        }
        if (!Files.isReadable(file)) {
            throw new XGradCamException("cannot read " + what + " " + file + ": permission denied");
        }
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new XGradCamException("cannot read " + what + " " + file + ": " + IoErrors.describe(e), e);
        }
    }

    /** The whole file, at most {@code maxBytes} long, after the checks above and a memory check. */
    public static byte[] read(Path file, String what, long maxBytes) {
        long size = requireRegularFile(file, what);
        if (size > maxBytes) {
            throw new XGradCamException(what + " " + file + " is " + Memory.mb(size) + ", more than the " + Memory.mb(maxBytes)
                    + " xgradcam reads; is it the right file?");
        }
        Memory.require(size, "reading " + what + " " + file);
        try (InputStream in = Files.newInputStream(file)) {
            // read at most one byte more than the size: a file that grows while read is still bounded
            byte[] b = in.readNBytes((int) Math.min(maxBytes + 1, size + 1));
            if (b.length > maxBytes) {
                throw new XGradCamException(what + " " + file + " grew past " + Memory.mb(maxBytes) + " while being read");
            }
            return b;
        } catch (NoSuchFileException e) {
            throw new XGradCamException(what + " not found: " + file);
        } catch (AccessDeniedException e) {
            throw new XGradCamException("cannot read " + what + " " + file + ": permission denied");
        } catch (IOException e) {
            throw new XGradCamException("cannot read " + what + " " + file + ": " + IoErrors.describe(e), e);
        }
    }
}
