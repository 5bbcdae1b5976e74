package org.xgradcam.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** Scratch folders in the temporary folder: removed whole, as far as possible. */
public final class ScratchFolders {
    private ScratchFolders() {}

    /** Deletes the folder and everything in it; what cannot be deleted stays for the OS to clean. */
    public static void delete(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a scratch folder in the temp dir: the OS cleans what we could not
        }
    }
}
