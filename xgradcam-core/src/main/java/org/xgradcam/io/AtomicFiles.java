package org.xgradcam.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.DirectoryStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xgradcam.XGradCamException;
import org.xgradcam.validation.IoErrors;

/**
 * Writes files whole or not at all: a temporary sibling (".NAME.PID.*.part") is written, then
 * moved into place. The temporaries in flight are removed by a shutdown hook when the process is
 * interrupted or terminated; one left by a killed process (SIGKILL runs no hook) is swept by the
 * next write of the same file, since the process its name records no longer runs.
 */
public final class AtomicFiles {
    private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();

    private static final Object LOCK = new Object();
    private static boolean shuttingDown;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (LOCK) {
                shuttingDown = true; // no temporary is created after this, so every one is in IN_FLIGHT
            }
            for (Path p : IN_FLIGHT) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // exiting anyway
                }
            }
        }, "xgradcam-partial-files"));
    }

    private static final long PID = ProcessHandle.current().pid();

    private AtomicFiles() {}

    public static void write(Path file, byte[] content) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            sweep(dir, file.getFileName().toString());
            synchronized (LOCK) {
                if (shuttingDown) {
                    throw new XGradCamException("cannot write " + file + ": the process is exiting");
                }
                tmp = Files.createTempFile(dir, "." + file.getFileName() + "." + PID + ".", ".part");
                IN_FLIGHT.add(tmp);
            }
            // no CREATE: if the exit hook removed the temporary meanwhile, this fails instead of making it again
            Files.write(tmp, content, java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
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
            throw new XGradCamException("cannot write " + file + ": " + IoErrors.describe(e), e);
        } finally {
            if (tmp != null) {
                IN_FLIGHT.remove(tmp);
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // nothing left to clean that we can reach
                }
            }
        }
    }

    /** Removes temporaries of this file left by a process that no longer runs (a killed run). */
    private static void sweep(Path dir, String name) {
        String prefix = "." + name + ".";
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> {
            String n = p.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(".part");
        })) {
            for (Path p : s) {
                String rest = p.getFileName().toString().substring(prefix.length());
                int dot = rest.indexOf('.');
                long pid;
                try {
                    pid = Long.parseLong(dot < 0 ? rest : rest.substring(0, dot));
                } catch (NumberFormatException e) {
                    continue; // not one of ours
                }
                boolean alive = pid == PID ? IN_FLIGHT.contains(p) : ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // nothing to sweep, or not ours to sweep
        }
    }
}
