package org.xgradcam.cli;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Writes maps, lists, strings, numbers and booleans as JSON (all xgradcam's summaries need). */
final class Json {
    private Json() {}

    /** JSON text written as it is (a summary kept from an earlier run). */
    record Raw(String json) {}

    static String write(Object o) {
        StringBuilder sb = new StringBuilder();
        write(sb, o, 0);
        return sb.toString();
    }

    /**
     * The same JSON on one line (for JSON lines output): strings escape their newlines, so every
     * line break in the written text is layout and goes, with the indentation after it.
     */
    static String line(Object o) {
        return write(o).replaceAll("\n *", "");
    }

    private static void write(StringBuilder sb, Object o, int indent) {
        if (o == null) {
            sb.append("null");
        } else if (o instanceof Raw r) {
            sb.append(r.json());
        } else if (o instanceof String s) {
            sb.append('"');
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        } else if (o instanceof Double d) {
            sb.append(Double.isFinite(d) ? d.toString() : "null");
        } else if (o instanceof Float f) {
            sb.append(Float.isFinite(f) ? f.toString() : "null");
        } else if (o instanceof Number || o instanceof Boolean) {
            sb.append(o);
        } else if (o instanceof Map<?, ?> m) {
            sb.append("{");
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                sb.append('\n').append("  ".repeat(indent + 1));
                write(sb, String.valueOf(e.getKey()), indent + 1);
                sb.append(": ");
                write(sb, e.getValue(), indent + 1);
                if (it.hasNext()) {
                    sb.append(',');
                }
            }
            sb.append('\n').append("  ".repeat(indent)).append('}');
        } else if (o instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                write(sb, l.get(i), indent + 1);
                if (i + 1 < l.size()) {
                    sb.append(", ");
                }
            }
            sb.append(']');
        } else {
            write(sb, o.toString(), indent);
        }
    }
}
