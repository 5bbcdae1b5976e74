package org.xgradcam.cli;

import java.io.PrintStream;

/** A one-line progress bar on stderr, redrawn at most 10 times a second; silent when disabled. */
public final class Progress implements org.xgradcam.models.ModelCache.DownloadProgress {
    private final PrintStream out;
    private final boolean enabled;
    private long lastDraw;
    private boolean drawn;

    public Progress(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    public static Progress silent() {
        return new Progress(System.err, false);
    }

    @Override
    public void update(String label, long done, long total) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        int width = 30;
        double f = total > 0 ? Math.min(1, (double) done / total) : 0;
        int filled = (int) Math.round(f * width);
        String count = total > 1 << 20 ? String.format("%.1f/%.1f MB", done / 1e6, total / 1e6) : done + "/" + total;
        out.print("\r" + label + " [" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
                + String.format("%3d%% ", Math.round(100 * f)) + count + "   ");
        out.flush();
        drawn = true;
    }

    @Override
    public void done() {
        if (enabled && drawn) {
            out.println();
            drawn = false;
        }
    }
}
