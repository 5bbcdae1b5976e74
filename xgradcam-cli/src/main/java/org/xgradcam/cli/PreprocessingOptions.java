package org.xgradcam.cli;

import org.xgradcam.image.Preprocessing;
import org.xgradcam.image.PreprocessingOverrides;
import picocli.CommandLine.Option;

/** How images become model inputs, overriding the model's preset: shared by every command that reads images. */
public class PreprocessingOptions {
    @Option(names = "--preprocessing", paramLabel = "original|torchvision",
            description = "A preset replacing the model's preprocessing: original (XGrad-CAM.py's: direct resize, OpenCV bilinear)"
                    + " or torchvision (shorter side, centre crop, PIL bilinear); both [0, 1] with ImageNet mean/std; the options"
                    + " below change it further.")
    String preset;

    @Option(names = "--input-size", paramLabel = "HxW",
            description = "The model's input height and width, for models whose size is free (default: each image at its own"
                    + " aspect ratio, rounded to the model's stride).")
    String size;

    @Option(names = "--resize", paramLabel = "direct|crop", description = "Resize mode: direct (the original's) or crop (shorter side, centre crop).")
    String resize;

    @Option(names = "--interpolation", paramLabel = "opencv|pil|tensor",
            description = "Bilinear resize of the image: opencv (the original's cv2.resize), pil (torchvision's, antialiased) or "
                    + "tensor (torchvision's on video frames); default: the model's preset (opencv for the demo and model files, "
                    + "pil for the catalogue, tensor for video models).")
    String interpolation;

    @Option(names = "--mean", paramLabel = "R,G,B", description = "Per-channel mean to subtract (after scaling).")
    String mean;

    @Option(names = "--std", paramLabel = "R,G,B", description = "Per-channel standard deviation to divide by (non-zero).")
    String std;

    @Option(names = "--scale", paramLabel = "0-1|0-255|-1-1", description = "Pixel value range before mean/std.")
    String scale;

    @Option(names = "--bgr", description = "Feed channels in BGR order.")
    boolean bgr;

    /** What the options ask for, for the core to apply and check. */
    PreprocessingOverrides overrides() {
        return new PreprocessingOverrides(preset, size, resize, interpolation, scale, mean, std, bgr);
    }

    /** The preset with the options given applied; every value checked. */
    Preprocessing apply(Preprocessing preset) {
        return overrides().apply(preset);
    }

    /** Checks the values before any model is loaded. */
    void validate() {
        overrides().validate();
    }
}
