package org.xgradcam.validation;

import java.util.Locale;
import org.xgradcam.XGradCamException;

/**
 * Sizes an allocation against the Java heap before it is made, so that a large file or a header
 * promising a huge array is refused with a message instead of an OutOfMemoryError.
 */
public final class Memory {
    private Memory() {}

    /** Heap the JVM can still give, in bytes. */
    public static long available() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /** Refuses when {@code bytes} more would not fit in the heap (after one collection). */
    public static void require(long bytes, String forWhat) {
        if (bytes <= available()) {
            return;
        }
        System.gc(); // what looks used may be garbage: ask once before refusing
        if (bytes > available()) {
            throw new XGradCamException(forWhat + " needs about " + mb(bytes) + " of memory, but only " + mb(available())
                    + " are free (the heap limit is " + mb(Runtime.getRuntime().maxMemory()) + "); give Java more, e.g."
                    + " java -Xmx8g -jar ..., or use a smaller input");
        }
    }

    static String mb(long bytes) {
        return bytes < 10L << 20 ? String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0)
                : String.format(Locale.ROOT, "%d MB", bytes >> 20);
    }
}
