package org.xgradcam.image;

import org.xgradcam.XGradCamException;
import org.xgradcam.validation.Check;

/**
 * A user's changes to a model's preprocessing, as text, with the option names every front end
 * gives them (--preprocessing original|torchvision, --resize direct|crop, --interpolation
 * opencv|pil, --scale 0-1|0-255|-1-1, --mean R,G,B, --std R,G,B, --bgr): one parser and one check
 * for the command line, Spark and a model's own metadata. A preset replaces the whole preprocessing
 * (keeping the model's input size and layout); the other fields then change one thing each. Null
 * fields leave the model's preprocessing as it is.
 */
public record PreprocessingOverrides(String preset, String size, String resize, String interpolation, String scale,
                                     String mean, String std, boolean bgr) implements java.io.Serializable {
    /** The named presets: the original tool's, and torchvision's evaluation transform. */
    public static final java.util.List<String> PRESETS = java.util.List.of("original", "torchvision");

    /**
     * The metadata keys a model may carry its preprocessing under (docs/export.md): a preset, then
     * changes, with the values the options take ("xgradcam.channels" is rgb or bgr).
     */
    public static final String KEY_PRESET = "xgradcam.preprocessing";
    public static final java.util.List<String> KEYS = java.util.List.of(KEY_PRESET, "xgradcam.resize",
            "xgradcam.interpolation", "xgradcam.scale", "xgradcam.mean", "xgradcam.std", "xgradcam.channels");

    public static PreprocessingOverrides none() {
        return new PreprocessingOverrides(null, null, null, null, null, null, null, false);
    }

    /** Whether any change is asked for. */
    public boolean isEmpty() {
        return preset == null && size == null && resize == null && interpolation == null && scale == null && mean == null
                && std == null && !bgr;
    }

    /**
     * A preset at the model's input size and layout: "original" (XGrad-CAM.py's: OpenCV bilinear
     * straight to the input size, [0, 1], ImageNet mean and std), "torchvision" (shorter side to
     * 256/224 of the input, centre crop, Pillow's bilinear, [0, 1], ImageNet mean and std; for a
     * model of clips, torchvision's video transform: Kinetics mean and std, a tensor's bilinear).
     * A clip's frames and channels stay the model's.
     */
    public static Preprocessing preset(String name, Preprocessing model) {
        Preprocessing original = Preprocessing.seed().withSize(model.width(), model.height()).withNhwc(model.nhwc())
                .withFrames(model.frames()).withChannels(model.channels());
        return switch (name) {
            case "original" -> original;
            case "torchvision" -> model.isClip()
                    ? Preprocessing.torchvisionVideo(Math.min(model.width(), model.height()), model.frames())
                            .withSize(model.width(), model.height()).withNhwc(model.nhwc()).withChannels(model.channels())
                    : original.withResize(Preprocessing.ResizeMode.CENTER_CROP).withInterpolation(Preprocessing.Interpolation.PIL)
                            .withTorchvisionCrop(true);
            default -> throw new XGradCamException("unknown preprocessing preset '" + name + "'; use "
                    + String.join(" or ", PRESETS));
        };
    }

    /** The preset with the overrides applied; every value checked. */
    public Preprocessing apply(Preprocessing preset) {
        Preprocessing p = this.preset != null ? preset(this.preset, preset) : preset;
        if (size != null) {
            int[] hw = size(size);
            p = p.withSize(hw[1], hw[0]);
        }
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

    /**
     * The preprocessing a model carries in its metadata (the KEYS), or none; a value that cannot
     * be read is an error naming the key, so a model never runs on a preprocessing it did not ask for.
     */
    public static java.util.Optional<PreprocessingOverrides> fromMetadata(org.xgradcam.onnx.proto.OnnxProto.ModelProto m,
                                                                           String model) {
        java.util.Map<String, String> v = new java.util.HashMap<>();
        for (var e : m.getMetadataPropsList()) {
            String key = e.getKey().strip().toLowerCase(java.util.Locale.ROOT);
            if (KEYS.contains(key)) {
                v.put(key, e.getValue().strip());
            }
        }
        if (v.isEmpty()) {
            return java.util.Optional.empty();
        }
        String channels = v.get("xgradcam.channels");
        if (channels != null && !channels.equals("rgb") && !channels.equals("bgr")) {
            throw new XGradCamException(model + ": its metadata says xgradcam.channels = '" + channels + "'; the value must be"
                    + " rgb or bgr (docs/export.md)", XGradCamException.Advice.MODEL_FILE);
        }
        PreprocessingOverrides o = new PreprocessingOverrides(v.get(KEY_PRESET), null, v.get("xgradcam.resize"),
                v.get("xgradcam.interpolation"), v.get("xgradcam.scale"), v.get("xgradcam.mean"), v.get("xgradcam.std"),
                "bgr".equals(channels));
        try {
            o.validate();
        } catch (XGradCamException e) {
            throw new XGradCamException(model + ": its preprocessing metadata cannot be used: " + e.getMessage()
                    .replace("--preprocessing", "xgradcam.preprocessing").replace("--", "xgradcam.")
                    + " (the keys are in docs/export.md; the command line's options override them)", e);
        }
        return java.util.Optional.of(o);
    }

    /**
     * HxW (or one number for a square) as height and width, each 8 to Preprocessing.MAX_SIDE: the
     * input size of a model whose height and width are free.
     */
    static int[] size(String text) {
        String[] parts = text.strip().toLowerCase(java.util.Locale.ROOT).split("x", -1);
        if (parts.length < 1 || parts.length > 2) {
            throw new XGradCamException("--input-size takes HxW (e.g. 480x640) or one number, not '" + text + "'");
        }
        int[] hw = new int[2];
        for (int i = 0; i < 2; i++) {
            String v = parts[Math.min(i, parts.length - 1)].strip();
            try {
                hw[i] = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new XGradCamException("--input-size takes HxW (e.g. 480x640) or one number, not '" + text + "'");
            }
            Check.range("--input-size", hw[i], 8, Preprocessing.MAX_SIDE);
        }
        return hw;
    }

    /** Whether the size is decided here (an input size, a resize mode or a preset), not left to each image. */
    public boolean fixesTheSize() {
        return size != null || resize != null || preset != null;
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
