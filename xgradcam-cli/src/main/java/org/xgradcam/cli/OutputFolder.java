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
 * run that fails or is killed before that leaves no empty folder behind. A failed run removes
 * only what it created itself: a path that was there before, even a link leading nowhere, is
 * never removed. The files of one
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
        while (existing != null && !present(existing)) {
            existing = existing.getParent();
        }
        String way = "; choose another with --output-dir";
        if (existing != null && Files.isSymbolicLink(existing) && !Files.exists(existing)) {
            throw new XGradCamException("cannot write to output directory " + dir + ": " + existing + " is a symbolic link"
                    + " that leads nowhere (a loop or a missing target)" + way);
        }
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

    /**
     * Whether something is at the path, a link included even where it leads nowhere: such a path
     * is the user's, never taken for one this run creates (and removes again after a failure).
     */
    static boolean present(Path p) {
        return Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    /** Files for one image, written together into one folder. */
    static final class Group {
        private final List<Path> written = new ArrayList<>();
        private final Path dir;
        private final Path firstCreated;

        Group(Path dir) {
            this.dir = dir.toAbsolutePath().normalize();
            Path top = null;
            for (Path p = this.dir; p != null && !present(p); p = p.getParent()) {
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
