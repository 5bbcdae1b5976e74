package org.xgradcam.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.xgradcam.XGradCamException;

/**
 * The output folder of a command: checked writable before any work (a clear error instead of a
 * failure after minutes of computing), and removed again if the run fails before writing into it.
 */
final class OutputFolder {
    private OutputFolder() {}

    /** Creates the folder (and its parents) if needed; returns the topmost one created, or null. */
    static Path ensureWritable(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path created = null;
        for (Path p = abs; p != null && !Files.exists(p); p = p.getParent()) {
            created = p;
        }
        try {
            Files.createDirectories(abs);
            Path probe = Files.createTempFile(abs, ".xgradcam", ".probe");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            removeEmptyFolders(abs, created);
            throw new XGradCamException("cannot write to output directory " + dir + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); choose another with --output-dir");
        }
        return created;
    }

    /** Deletes dir and its parents up to top (those this run created), as long as they are empty. */
    static void removeEmptyFolders(Path dir, Path top) {
        if (top == null) {
            return;
        }
        for (Path p = dir.toAbsolutePath().normalize(); p != null && p.startsWith(top); p = p.getParent()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException | SecurityException e) {
                return; // not empty (or not ours to delete): keep it and everything above
            }
        }
    }
}
