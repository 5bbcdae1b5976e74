package org.xgradcam.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.xgradcam.XGradCamException;
import org.xgradcam.validation.IoErrors;

/**
 * The images of a run: files named on the command line, and the image files of folders named
 * (not recursive; hidden files skipped). Nothing is opened here: an entry that turns out not to
 * be a readable image (a sub-folder called x.jpg, a pipe, a dangling link) fails on its own
 * when its turn comes, without stopping the others. Every input gets its own output folder:
 * its file name without the extension, or with it ("cat_png") when two inputs share a stem, and
 * a counter when even that is taken (the same name in two folders).
 */
final class InputImages {
    static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff");

    /** One input and the name of its output folder. */
    record Item(Path path, String outputName) {}

    private final List<Item> items;
    private final boolean batch;

    private InputImages(List<Item> items, boolean batch) {
        this.items = items;
        this.batch = batch;
    }

    List<Item> items() {
        return items;
    }

    /** Several inputs (or a folder): each gets its own output folder and a failure does not stop the others. */
    boolean isBatch() {
        return batch;
    }

    static boolean looksLikeImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return !n.startsWith(".") && EXTENSIONS.stream().anyMatch(n::endsWith);
    }

    static InputImages collect(List<Path> given) {
        List<Path> files = new ArrayList<>();
        boolean folder = false;
        for (Path p : given) {
            if (p.toString().isEmpty()) {
                throw new XGradCamException("an image path is empty; give a file or a folder");
            }
            if (Files.isDirectory(p)) {
                folder = true;
                List<Path> listed = list(p);
                if (listed.isEmpty() && given.size() == 1) {
                    throw new XGradCamException("folder " + p + " holds no images (looked for " + String.join(", ", EXTENSIONS)
                            + "); give an image file or a folder of images");
                }
                files.addAll(listed);
            } else {
                files.add(p);
            }
        }
        // the same file named twice (directly, or also through its folder) is explained once
        java.util.Set<Path> seen = new java.util.HashSet<>();
        files = files.stream().filter(f -> seen.add(f.toAbsolutePath().normalize())).toList();
        if (files.isEmpty()) {
            throw new XGradCamException("the folders given hold no images (looked for " + String.join(", ", EXTENSIONS) + ")");
        }
        return new InputImages(name(files), folder || files.size() > 1);
    }

    /**
     * The inputs of a model of clips: each path given is one clip (an animated GIF or other image
     * file, a .npy tensor, or a folder of frames), never the frames one by one.
     */
    static InputImages clips(List<Path> given) {
        List<Path> files = new ArrayList<>();
        java.util.Set<Path> seen = new java.util.HashSet<>();
        for (Path p : given) {
            if (p.toString().isEmpty()) {
                throw new XGradCamException("a clip path is empty; give a GIF, a .npy file or a folder of frames");
            }
            if (Files.isDirectory(p) && list(p).isEmpty()) {
                throw new XGradCamException("folder " + p + " holds no frames (looked for " + String.join(", ", EXTENSIONS)
                        + "); a model of clips takes a folder of frames, an animated GIF or a .npy file");
            }
            if (seen.add(p.toAbsolutePath().normalize())) {
                files.add(p);
            }
        }
        return new InputImages(name(files), files.size() > 1);
    }

    /** The frames of a clip folder: its image files in name order. */
    static List<Path> framesOf(Path dir) {
        List<Path> frames = list(dir);
        if (frames.size() > org.xgradcam.video.Frames.MAX_FRAMES) {
            throw new XGradCamException("folder " + dir + " holds " + frames.size() + " frames, more than the "
                    + org.xgradcam.video.Frames.MAX_FRAMES + " xgradcam reads as one clip");
        }
        return frames;
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(InputImages::looksLikeImage).sorted().toList();
        } catch (AccessDeniedException e) {
            throw new XGradCamException("cannot list folder " + dir + ": permission denied");
        } catch (IOException | RuntimeException e) {
            String why = e instanceof IOException io ? IoErrors.describe(io) : String.valueOf(e.getMessage());
            throw new XGradCamException("cannot list folder " + dir + ": " + why, e);
        }
    }

    /** Output folder names, unique among the inputs (and stable: they depend on the list only). */
    static List<Item> name(List<Path> files) {
        Map<String, Integer> stems = new HashMap<>();
        for (Path f : files) {
            stems.merge(stem(f), 1, Integer::sum);
        }
        Map<String, Integer> used = new LinkedHashMap<>();
        List<Item> out = new ArrayList<>();
        for (Path f : files) {
            String base = stems.get(stem(f)) > 1 ? safe(f.getFileName().toString()).replace('.', '_') : stem(f);
            int n = used.merge(base, 1, Integer::sum);
            out.add(new Item(f, n == 1 ? base : base + "-" + n));
        }
        return out;
    }

    static String stem(Path p) {
        String n = safe(p.getFileName() == null ? p.toString() : p.getFileName().toString());
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** A file name usable as a folder name on any system: no separators, no control characters. */
    private static String safe(String name) {
        String s = name.replaceAll("[\\p{Cntrl}/\\\\:*?\"<>|]", "_");
        return s.isBlank() || s.equals(".") || s.equals("..") ? "image" : s;
    }
}
