package org.xgradcam.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.xgradcam.XGradCamException;
import org.xgradcam.validation.IoErrors;

/**
 * The policy of every run over several images (explain and evaluate): each image is tried on
 * its own; one that fails is reported in one line and the run goes on; at the end a summary
 * says how many were done and which failed, and the exit code is non-zero if any did. Only a
 * fault of the machine (a full disk, a file-size limit) stops the run, since every later image
 * would fail the same way.
 */
final class FolderRun {
    /** The exit code of a run in which some inputs failed. */
    static final int SOME_FAILED = 5;

    /** The work for one input. */
    interface Work {
        void run(InputImages.Item item) throws Exception;
    }

    private final PrintStream err;
    private final List<String> failed = new ArrayList<>();
    private int done;

    FolderRun(PrintStream err) {
        this.err = err;
    }

    /** Runs the work on one item (its last stage); false if it failed (and was reported). */
    synchronized boolean attempt(InputImages.Item item, Work work, Progress progress) {
        try {
            work.run(item);
            done++;
            return true;
        } catch (XGradCamException e) {
            if (IoErrors.isEnvironmental(e)) {
                throw e;
            }
            report(item, progress, Words.of(e));
        } catch (java.nio.file.InvalidPathException e) {
            report(item, progress, org.xgradcam.validation.PathNames.unusable(e.getInput()));
        } catch (OutOfMemoryError e) {
            report(item, progress, "out of memory (the heap limit is " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MB; give Java more with java -Xmx8g -jar ...)");
        } catch (Exception e) {
            report(item, progress, "internal error: " + e + " (please report it)");
        }
        return false;
    }

    private void report(InputImages.Item item, Progress progress, String message) {
        progress.done();
        String path = item.path().toString();
        String m = message == null ? "failed" : message.replace('\n', ' ');
        err.println("xgradcam: error: " + (m.contains(path) ? m : path + ": " + m));
        failed.add(path);
        onFailure.accept(path, m);
    }

    private java.util.function.BiConsumer<String, String> onFailure = (path, message) -> {};

    /** Also tells {@code f} of each image that failed (path, message), after the error line. */
    void onFailure(java.util.function.BiConsumer<String, String> f) {
        onFailure = f;
    }

    List<String> failed() {
        return failed;
    }

    int done() {
        return done;
    }

    /** Prints the summary line and returns the exit code. */
    int finish(String verb) {
        return finish(verb, null);
    }

    /**
     * Prints the summary line and returns the exit code; {@code where} (" into DIR ..."), when
     * given, is said of a run in which nothing failed too, so every folder run ends with a line.
     */
    int finish(String verb, String where) {
        int total = done + failed.size();
        if (failed.isEmpty()) {
            if (where != null) {
                err.println("xgradcam: " + verb + " " + done + " image" + (done == 1 ? "" : "s") + where);
            }
            return 0;
        }
        err.println("xgradcam: " + verb + " " + done + " of " + total + " images; " + failed.size() + " failed: "
                + String.join(", ", failed.size() > 10 ? failed.subList(0, 10) : failed) + (failed.size() > 10 ? ", ..." : ""));
        return SOME_FAILED;
    }
}
