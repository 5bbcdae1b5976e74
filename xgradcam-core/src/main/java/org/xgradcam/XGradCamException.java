package org.xgradcam;

import java.util.function.Function;

/**
 * The one exception type users of the library see for bad input: a broken or unsupported model, an
 * unknown layer or class, a wrong input shape. Its message names the problem and the way out, so a
 * command-line front end can print it as a single line. Where the way out depends on where the
 * user stands (a command-line option, an API request, a library call), the message carries an
 * {@link Advice} instead of one front end's words: {@link #getMessage()} gives the library's,
 * {@link #message(Function)} a front end's own.
 */
public class XGradCamException extends RuntimeException {
    /** A way out that each front end words its own way; the text here is the library's. */
    public enum Advice {
        LAYERS("LayerCatalog.layers() lists the model's layers"),
        MODELS("give a catalogue name (Catalogue.entries() lists them) or an .onnx file"),
        LABELS("give the model class names (ModelSpec.withLabels)"),
        DAMAGED_IMAGE("ImageLoader.decode(bytes, name, true) accepts it with its warnings"),
        MODEL_FILE("or open the file as it is (ModelSpec.ofFile)");

        private final String library;

        Advice(String library) {
            this.library = library;
        }

        public String library() {
            return library;
        }
    }

    private final String bare;
    private final Advice advice;

    public XGradCamException(String message) {
        this(message, (Advice) null);
    }

    public XGradCamException(String message, Throwable cause) {
        super(message, cause);
        this.bare = message;
        this.advice = null;
    }

    public XGradCamException(String message, Advice advice) {
        super(advice == null ? message : message + "; " + advice.library());
        this.bare = message;
        this.advice = advice;
    }

    public XGradCamException(String message, Advice advice, Throwable cause) {
        super(advice == null ? message : message + "; " + advice.library(), cause);
        this.bare = message;
        this.advice = advice;
    }

    /** The way out this message leaves to the front end, if any. */
    public Advice advice() {
        return advice;
    }

    /** The message with the way out in a front end's words ({@code words} may give null: the library's). */
    public String message(Function<Advice, String> words) {
        if (advice == null) {
            return getMessage();
        }
        String w = words.apply(advice);
        return bare + "; " + (w != null ? w : advice.library());
    }
}
