package org.xgradcam.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, redrawn at most 10 times a second, with the time left
 * (extrapolated from the rate so far) while it runs and the time taken when it ends; silent when
 * disabled.
 */
public final class Progress implements org.xgradcam.models.ModelCache.DownloadProgress {
    private final PrintStream out;
    private final boolean enabled;
    private final java.util.function.LongSupplier clock;
    private long lastDraw;
    private boolean drawn;
    private String startedLabel;
    private long started;

    public Progress(PrintStream out, boolean enabled) {
        this(out, enabled, System::nanoTime);
    }

    /** Work that is often quick: no bar unless it is still going after {@code delayNanos}. */
    static Progress afterDelay(PrintStream out, boolean enabled, long delayNanos) {
        return afterDelay(out, enabled, delayNanos, System::nanoTime);
    }

    /** With a clock in nanoseconds (tests). */
    static Progress afterDelay(PrintStream out, boolean enabled, long delayNanos, java.util.function.LongSupplier clock) {
        Progress p = new Progress(out, enabled, clock);
        p.delayNanos = delayNanos;
        return p;
    }

    private long delayNanos;
    private long firstSeen = Long.MIN_VALUE;

    /** With a clock in nanoseconds (tests). */
    Progress(PrintStream out, boolean enabled, java.util.function.LongSupplier clock) {
        this.out = out;
        this.enabled = enabled;
        this.clock = clock;
        this.lastDraw = Long.MIN_VALUE / 2;
    }

    public static Progress silent() {
        return new Progress(System.err, false);
    }

    @Override
    public void update(String label, long done, long total) {
        if (!enabled) {
            return;
        }
        long now = clock.getAsLong();
        if (firstSeen == Long.MIN_VALUE) {
            firstSeen = now;
        }
        if (now - firstSeen < delayNanos) {
            return; // quick work draws nothing
        }
        if (!label.equals(startedLabel)) {
            startedLabel = label; // a new bar: its rate counts from here
            started = now;
        }
        if (done < total && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        int width = 30;
        double f = total > 0 ? Math.min(1, (double) done / total) : 0;
        int filled = (int) Math.round(f * width);
        String count = total > 1 << 20 ? String.format("%.1f/%.1f MB", done / 1e6, total / 1e6) : done + "/" + total;
        out.print("\r" + label + " [" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
                + String.format("%3d%% ", Math.round(100 * f)) + count + timing(now - started, done, total) + "   ");
        out.flush();
        drawn = true;
    }

    /** " ETA 1m05s" while running (once something is done), " in 12s" at the end. */
    private static String timing(long elapsedNanos, long done, long total) {
        if (total > 0 && done >= total) {
            return " in " + duration(elapsedNanos / 1e9);
        }
        if (done <= 0 || total <= 0 || elapsedNanos < 500_000_000L) {
            return ""; // too early for a rate worth extrapolating
        }
        return " ETA " + duration(elapsedNanos / 1e9 * (total - done) / done);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        return s < 3600 ? String.format("%dm%02ds", s / 60, s % 60) : String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
    }

    @Override
    public void done() {
        startedLabel = null;
        firstSeen = Long.MIN_VALUE;
        if (enabled && drawn) {
            out.println();
            drawn = false;
        }
    }
}
