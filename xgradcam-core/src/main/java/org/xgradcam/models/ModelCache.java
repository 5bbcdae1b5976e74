package org.xgradcam.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.xgradcam.XGradCamException;
import org.xgradcam.io.AtomicFiles;
import org.xgradcam.validation.InputFiles;
import org.xgradcam.validation.IoErrors;

/**
 * Where downloaded models live ($XGRADCAM_CACHE, else ~/.cache/xgradcam) and how they get
 * there: into NAME.part, resumed with an HTTP Range request after an interruption, checked
 * against the catalogue's SHA-256, then moved into place atomically. A file placed there by hand
 * is checked against the same digest before first use.
 */
public final class ModelCache {
    /** Where a download reports how far it is (a progress bar, or nothing). */
    public interface DownloadProgress {
        void update(String label, long done, long total);

        void done();

        DownloadProgress SILENT = new DownloadProgress() {
            @Override
            public void update(String label, long done, long total) {
                // nothing to show
            }

            @Override
            public void done() {
                // nothing to show
            }
        };
    }

    private final Path dir;
    private final DownloadProgress progress;

    /** The default cache ($XGRADCAM_CACHE, else ~/.cache/xgradcam), silent. */
    public ModelCache() {
        this(defaultDir(), DownloadProgress.SILENT);
    }

    public ModelCache(Path dir, DownloadProgress progress) {
        this.dir = dir;
        this.progress = progress;
    }

    public static Path defaultDir() {
        return org.xgradcam.runtime.NativeLibraries.cacheDir();
    }

    public Path dir() {
        return dir;
    }

    public Path pathOf(Catalogue.Entry e) {
        return dir.resolve(e.file());
    }

    public boolean isCached(Catalogue.Entry e) {
        return Files.isRegularFile(pathOf(e));
    }

    /**
     * A file in place was verified when it arrived; one placed by hand (as the offline message
     * suggests) is checked against the catalogue's SHA-256 on first use. A stamp beside it
     * (NAME.verified: size, modification time and digest) spares hashing it again on every run.
     */
    private void verifyInPlace(Catalogue.Entry e, Path target) {
        Path stamp = dir.resolve(e.file() + ".verified");
        String expected;
        try {
            expected = Files.size(target) + " " + Files.getLastModifiedTime(target).toMillis() + " " + e.sha256();
            if (Files.isRegularFile(stamp) && Files.readString(stamp).strip().equals(expected)) {
                return;
            }
        } catch (IOException ex) {
            throw new XGradCamException("cannot read the cached model " + target + ": " + IoErrors.describe(ex), ex);
        }
        String sha = sha256(target);
        if (!sha.equalsIgnoreCase(e.sha256())) {
            throw new XGradCamException("the cached model " + target + " is not the catalogue's " + e.name() + ": sha256 "
                    + sha + ", expected " + e.sha256() + " (" + e.bytes() + " bytes). Delete it and run again to download it",
                    XGradCamException.Advice.MODEL_FILE);
        }
        stamp(e, target);
    }

    /** Records that the file in place has the catalogue's digest. */
    private void stamp(Catalogue.Entry e, Path target) {
        try {
            String line = Files.size(target) + " " + Files.getLastModifiedTime(target).toMillis() + " " + e.sha256();
            AtomicFiles.write(dir.resolve(e.file() + ".verified"), line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException | XGradCamException ignored) {
            // a read-only cache: verified again next time
        }
    }

    /** The model's file, downloaded first if needed. */
    public Path fetch(Catalogue.Entry e) {
        return fetch(e, e.url());
    }

    /** As {@link #fetch(Catalogue.Entry)}, from another address (a mirror, or a test server). */
    public Path fetch(Catalogue.Entry e, String url) {
        Path target = pathOf(e);
        if (Files.isRegularFile(target)) {
            verifyInPlace(e, target);
            return target;
        }
        if (Files.exists(target) || Files.isSymbolicLink(target)) {
            InputFiles.requireRegularFile(target, "cached model");
        }
        Path part = dir.resolve(e.file() + ".part");
        try {
            Files.createDirectories(dir);
        } catch (IOException ex) {
            throw new XGradCamException("cannot create the model cache " + dir + ": " + ex.getMessage()
                    + " (set XGRADCAM_CACHE to a writable folder)", ex);
        }
        try {
            download(url, part, e);
        } catch (IOException ex) {
            throw new XGradCamException("cannot download " + e.name() + " from " + url + " (" + ex.getMessage() + ")."
                    + " Offline? Fetch it by hand and put it at " + target + ", e.g. curl -L -o '" + target + "' '" + url
                    + "' (" + e.bytes() + " bytes, sha256 " + e.sha256() + ")", XGradCamException.Advice.MODEL_FILE, ex);
        }
        String sha = sha256(part);
        if (!sha.equalsIgnoreCase(e.sha256())) {
            try {
                Files.deleteIfExists(part);
            } catch (IOException ignored) {
                // the next attempt starts over anyway
            }
            throw new XGradCamException("the download of " + e.name() + " is corrupt: sha256 " + sha + ", expected "
                    + e.sha256() + "; it was deleted, run the command again");
        }
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            stamp(e, target);
        } catch (IOException ex) {
            throw new XGradCamException("cannot move the download into " + target + ": " + ex.getMessage(), ex);
        }
        return target;
    }

    private void download(String url, Path part, Catalogue.Entry e) throws IOException {
        for (int redirects = 0; redirects < 10; redirects++) {
            long have = Files.exists(part) ? Files.size(part) : 0;
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setInstanceFollowRedirects(false);
            c.setConnectTimeout(15_000);
            c.setReadTimeout(60_000);
            if (have > 0) {
                c.setRequestProperty("Range", "bytes=" + have + "-");
            }
            int code = c.getResponseCode();
            if (code / 100 == 3) {
                String loc = c.getHeaderField("Location");
                c.disconnect();
                if (loc == null) {
                    throw new IOException("HTTP " + code + " without a Location");
                }
                url = URI.create(url).resolve(loc).toString();
                continue;
            }
            boolean resume = code == 206;
            if (code != 200 && !resume) {
                c.disconnect();
                throw new IOException("HTTP " + code + (code == 404 ? " (not found)" : ""));
            }
            long start = resume ? have : 0;
            long total = e.bytes() > 0 ? e.bytes() : start + c.getContentLengthLong();
            try (InputStream in = c.getInputStream();
                 OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         resume ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[1 << 16];
                long done = start;
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    done += n;
                    progress.update("downloading " + e.name(), done, total);
                }
                progress.done();
                if (e.bytes() > 0 && done < e.bytes()) {
                    throw new IOException("the connection closed after " + done + " of " + e.bytes()
                            + " bytes; run the command again to resume");
                }
            } finally {
                c.disconnect();
            }
            return;
        }
        throw new IOException("too many redirects");
    }

    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | NoSuchAlgorithmException ex) {
            throw new XGradCamException("cannot checksum " + file + ": " + ex.getMessage(), ex);
        }
    }
}
