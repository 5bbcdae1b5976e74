package org.xgradcam;

/**
 * The one exception type users of the library see for bad input: a broken or unsupported model, an
 * unknown layer or class, a wrong input shape. Its message names the problem and the way out, so a
 * command-line front end can print it as a single line.
 */
public class XGradCamException extends RuntimeException {
    public XGradCamException(String message) {
        super(message);
    }

    public XGradCamException(String message, Throwable cause) {
        super(message, cause);
    }
}
