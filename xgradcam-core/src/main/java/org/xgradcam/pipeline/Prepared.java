package org.xgradcam.pipeline;

import java.util.List;
import org.xgradcam.image.RgbImage;
import org.xgradcam.tensor.FloatTensor;

/**
 * An image ready for the model: its name, the tensor the model takes (one row), the picture the
 * maps are drawn over (the preprocessed image, at the model's input size), the image as decoded
 * (null for a tensor given as it is), the decoder's warnings, when its preparation started
 * (for the timings), and the preprocessing it got (its own size, for a model of free size).
 */
public record Prepared(String name, FloatTensor x, RgbImage backdrop, RgbImage original, List<String> warnings,
                       long startNanos, org.xgradcam.image.Preprocessing preprocessing) {
    public Prepared {
        warnings = List.copyOf(warnings == null ? List.of() : warnings);
    }
}
