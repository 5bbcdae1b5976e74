package org.xgradcam.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.xgradcam.XGradCamException;
import org.xgradcam.io.AtomicFiles;

/**
 * The output folder of a command: checked writable before any work (a clear error instead of a
 * failure after minutes of computing) but created only when the first file is written, so a
 * run that fails or is killed before that leaves no empty folder behind. The files of one
 * image are written as a group: if one of them cannot be written, those already written are
 * removed again, so no image ends up with half its outputs.
 */
final class OutputFolder {
    private OutputFolder() {}

    /** Checks that dir exists as a writable folder, or could be created; creates nothing. */
    static void check(Path dir) {
        if (dir.toString().isBlank()) {
            throw new XGradCamException("--output-dir is empty; give a folder (. for the current one)");
        }
        Path abs = dir.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        String way = "; choose another with --output-dir";
        if (existing == null) {
            throw new XGradCamException("cannot write to output directory " + dir + ": no part of its path exists" + way);
        }
        if (!Files.isDirectory(existing)) {
            throw new XGradCamException("cannot write to output directory " + dir + ": " + existing
                    + " exists and is not a folder" + way);
        }
        if (!Files.isWritable(existing)) {
            throw new XGradCamException("cannot write to output directory " + dir + ": " + existing + " is not writable"
                    + " (permission denied)" + way);
        }
        try {
            if (Files.getFileStore(existing).getUsableSpace() == 0) {
                throw new XGradCamException("cannot write to output directory " + dir + ": the disk is full" + way);
            }
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            // the space cannot be asked for: writing will tell
        }
    }

    /** Files for one image, written together into one folder. */
    static final class Group {
        private final List<Path> written = new ArrayList<>();
        private final Path dir;
        private final Path firstCreated;

        Group(Path dir) {
            this.dir = dir.toAbsolutePath().normalize();
            Path top = null;
            for (Path p = this.dir; p != null && !Files.exists(p); p = p.getParent()) {
                top = p;
            }
            this.firstCreated = top;
        }

        /** Writes one file with the writer (which writes atomically); remembers it for a rollback. */
        void write(Path file, Consumer<Path> writer) {
            writer.accept(file);
            written.add(file);
        }

        void write(Path file, byte[] content) {
            write(file, p -> AtomicFiles.write(p, content));
        }

        /** Removes what this group wrote (after a failure), and the folders it created, if left empty. */
        void rollback() {
            for (Path p : written) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: the failure itself is reported
                }
            }
            written.clear();
            if (firstCreated == null) {
                return;
            }
            for (Path p = dir; p != null && p.startsWith(firstCreated); p = p.getParent()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException | SecurityException e) {
                    return; // not empty: keep it and everything above
                }
            }
        }
    }
}
