package org.xgradcam.validation;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.xgradcam.XGradCamException;

/**
 * File names Java cannot use under the current locale: it encodes names in the locale's
 * character set (sun.jnu.encoding), so under LANG=C a name with é or 中 cannot be opened or
 * made. Such a name is refused with the way out, never as an internal error.
 */
public final class PathNames {
    private PathNames() {}

    /** The message for a name this JVM cannot turn into a path. */
    public static String unusable(String name) {
        String charset = System.getProperty("sun.jnu.encoding", "?");
        return "file name '" + name + "' cannot be used: Java reads file names in this locale's character set (" + charset
                + ") and it cannot hold that name; run with a UTF-8 locale, e.g. LANG=C.UTF-8 java -jar xgradcam.jar ...";
    }

    /** A path from a user's string, or a clear refusal. */
    public static Path of(String name) {
        try {
            return Path.of(name);
        } catch (InvalidPathException e) {
            throw new XGradCamException(unusable(e.getInput()));
        }
    }
}
