package org.xgradcam.image;

import org.xgradcam.XGradCamException;
import org.xgradcam.validation.Check;

/**
 * A user's changes to a model's preprocessing, as text, with the option names every front end
 * gives them (--resize direct|crop, --interpolation opencv|pil, --scale 0-1|0-255|-1-1,
 * --mean R,G,B, --std R,G,B, --bgr): one parser and one check for the command line and Spark.
 * Null fields leave the model's preset as it is.
 */
public record PreprocessingOverrides(String resize, String interpolation, String scale, String mean, String std, boolean bgr)
        implements java.io.Serializable {
    public static PreprocessingOverrides none() {
        return new PreprocessingOverrides(null, null, null, null, null, false);
    }

    /** The preset with the overrides applied; every value checked. */
    public Preprocessing apply(Preprocessing preset) {
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
    public void validate() {
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
}
