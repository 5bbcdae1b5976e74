package org.xgradcam.validation;

import java.util.Locale;
import org.xgradcam.XGradCamException;

/**
 * Checks on numbers. {@code what} names the value as the caller's user knows it (an option such as
 * "--threads", or a parameter such as "batch size"), so the message points at what to change.
 */
public final class Check {
    private Check() {}

    /** value within [min, max]. */
    public static int range(String what, int value, int min, int max) {
        if (value < min || value > max) {
            throw new XGradCamException(what + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    /** value within [min, max]. */
    public static long range(String what, long value, long min, long max) {
        if (value < min || value > max) {
            throw new XGradCamException(what + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    /** A finite value within [min, max]. */
    public static double range(String what, double value, double min, double max) {
        if (!Double.isFinite(value) || value < min || value > max) {
            throw new XGradCamException(what + " must be a number between " + fmt(min) + " and " + fmt(max) + ", got "
                    + fmt(value));
        }
        return value;
    }

    /** Every value finite (no NaN, no infinity). */
    public static float[] finite(String what, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new XGradCamException(what + " holds " + fmt(values[i]) + " at position " + i
                        + "; give finite numbers only");
            }
        }
        return values;
    }

    /** Every value finite and not zero (divisors such as a standard deviation). */
    public static float[] finiteNonZero(String what, float[] values) {
        finite(what, values);
        for (int i = 0; i < values.length; i++) {
            if (values[i] == 0) {
                throw new XGradCamException(what + " holds 0 at position " + i + "; it divides, so give non-zero numbers");
            }
        }
        return values;
    }

    /**
     * Strict number parsing for user text: "nan", "inf", "1e999" (which overflows to infinity)
     * and trailing garbage are refused with the option's name.
     */
    public static double parseFinite(String what, String text) {
        double v;
        try {
            v = Double.parseDouble(text.strip());
        } catch (NumberFormatException | NullPointerException e) {
            throw new XGradCamException(what + " must be a number, got '" + text + "'");
        }
        if (!Double.isFinite(v)) {
            throw new XGradCamException(what + " must be a finite number, got '" + text + "'");
        }
        return v;
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "Infinity" : "-Infinity";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.6g", v);
    }
}
