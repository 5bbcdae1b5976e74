package org.xgradcam.cli;

import java.util.function.Function;
import org.xgradcam.XGradCamException;

/** The way out of an error in a command-line user's words: the options and subcommands that give it. */
final class Words {
    private Words() {}

    static final Function<XGradCamException.Advice, String> CLI = a -> switch (a) {
        case LAYERS -> "list them with 'xgradcam layers' and name one with --layer";
        case MODELS -> "give the path of an .onnx file, or a model name from 'xgradcam models'";
        case LABELS -> "name them with --labels FILE";
        case DAMAGED_IMAGE -> "or pass --allow-damaged to explain it anyway";
        case MODEL_FILE -> "or pass it as --model FILE to use it as it is";
    };

    /** A library error's message, with the way out in these words. */
    static String of(XGradCamException e) {
        return e.message(CLI);
    }
}
