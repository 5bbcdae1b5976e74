package org.xgradcam.cli;

import org.xgradcam.XGradCamException;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.validation.Check;
import picocli.CommandLine.Option;

/** How images become model inputs, overriding the model's preset: shared by every command that reads images. */
public class PreprocessingOptions {
    @Option(names = "--resize", paramLabel = "direct|crop", description = "Resize mode: direct (the original's) or crop (shorter side, centre crop).")
    String resize;

    @Option(names = "--interpolation", paramLabel = "opencv|pil",
            description = "Bilinear resize of the image: opencv (the original's cv2.resize) or pil (torchvision's, antialiased); "
                    + "default: the model's preset (opencv for the demo and .onnx files, pil for the catalogue).")
    String interpolation;

    @Option(names = "--mean", paramLabel = "R,G,B", description = "Per-channel mean to subtract (after scaling).")
    String mean;

    @Option(names = "--std", paramLabel = "R,G,B", description = "Per-channel standard deviation to divide by (non-zero).")
    String std;

    @Option(names = "--scale", paramLabel = "0-1|0-255|-1-1", description = "Pixel value range before mean/std.")
    String scale;

    @Option(names = "--bgr", description = "Feed channels in BGR order.")
    boolean bgr;

    /** The preset with the options given applied; every value checked. */
    Preprocessing apply(Preprocessing preset) {
        Preprocessing p = preset;
        if (resize != null) {
            p = p.withResize(switch (resize) {
                case "direct" -> Preprocessing.ResizeMode.DIRECT;
                case "crop" -> Preprocessing.ResizeMode.CENTER_CROP;
                default -> throw new XGradCamException("unknown resize mode '" + resize + "' for --resize; use direct or crop");
            });
        }
        if (interpolation != null) {
            p = p.withInterpolation(Preprocessing.Interpolation.parse(interpolation));
        }
        if (scale != null) {
            p = p.withScale(Preprocessing.Scale.parse(scale));
        }
        if (mean != null || std != null) {
            float[] m = mean != null ? Check.finite("--mean", triple(mean, "--mean")) : p.mean();
            float[] s = std != null ? Check.finiteNonZero("--std", triple(std, "--std")) : p.std();
            p = p.withMeanStd(m, s);
        }
        if (bgr) {
            p = p.withBgr(true);
        }
        return p;
    }

    /** Checks the values before any model is loaded. */
    void validate() {
        apply(Preprocessing.seed());
    }

    static float[] triple(String csv, String option) {
        String[] parts = csv.split(",", -1);
        if (parts.length != 3) {
            throw new XGradCamException(option + " needs three numbers (R,G,B), e.g. 0.485,0.456,0.406; got '" + csv + "'");
        }
        float[] v = new float[3];
        for (int i = 0; i < 3; i++) {
            double d = Check.parseFinite(option, parts[i]);
            if (Math.abs(d) > Float.MAX_VALUE) {
                throw new XGradCamException(option + " must hold float32 numbers, got '" + parts[i].strip() + "'");
            }
            v[i] = (float) d;
        }
        return v;
    }

    /** The preprocessing as a JSON-ready description. */
    static java.util.Map<String, Object> describe(Preprocessing p) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("width", p.width());
        m.put("height", p.height());
        m.put("resize", p.resize() == Preprocessing.ResizeMode.DIRECT ? "direct" : "crop");
        if (p.resize() == Preprocessing.ResizeMode.CENTER_CROP) {
            m.put("shorter_side", p.shorterSide());
        }
        m.put("interpolation", p.interpolation().name().toLowerCase(java.util.Locale.ROOT));
        m.put("scale", switch (p.scale()) {
            case UNIT -> "0-1";
            case BYTE -> "0-255";
            case SYMMETRIC -> "-1-1";
        });
        m.put("mean", java.util.List.of(p.mean()[0], p.mean()[1], p.mean()[2]));
        m.put("std", java.util.List.of(p.std()[0], p.std()[1], p.std()[2]));
        m.put("channels", p.bgr() ? "bgr" : "rgb");
        m.put("layout", p.nhwc() ? "nhwc" : "nchw");
        return m;
    }
}
