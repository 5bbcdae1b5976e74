package org.xgradcam.image;

import org.xgradcam.XGradCamException;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.validation.Check;

/**
 * How an image becomes a model input: size, resize mode, value scale, mean/std, channel order
 * and layout. {@link #seed()} is XGrad-CAM.py's exact pipeline. A video or volume model takes a
 * clip of {@code frames} images (0 for a still image), each fitted as an image is, stacked as
 * [1, C, T, H, W] (or [1, T, H, W, C] channels-last); {@code channels} is 3 (RGB) or 1 (grey:
 * the mean of R, G and B, scaled and normalised with the first mean and std). A centre crop starts
 * at floor((size - crop) / 2), as the catalogue's recorded inputs were cut, or with
 * {@code torchvisionCrop} at torchvision's round((size - crop) / 2), halves to even (the presets).
 */
public record Preprocessing(int width, int height, ResizeMode resize, int shorterSide, Interpolation interpolation,
                            Scale scale, float[] mean, float[] std, boolean bgr, boolean nhwc, int frames, int channels,
                            boolean torchvisionCrop) {
    /** The largest input side a model may ask for. */
    public static final int MAX_SIDE = 16384;

    public Preprocessing {
        Check.range("input width", width, 1, MAX_SIDE);
        Check.range("input height", height, 1, MAX_SIDE);
        if ((long) width * height > ImageLoader.MAX_PIXELS / 4) {
            throw new XGradCamException("an input of " + width + "x" + height + " pixels is larger than xgradcam handles ("
                    + ImageLoader.MAX_PIXELS / 4_000_000 + " megapixels); use a model with a smaller input");
        }
        if (mean == null || mean.length != 3 || std == null || std.length != 3) {
            throw new XGradCamException("mean and std need three numbers each (R,G,B), e.g. 0.485,0.456,0.406");
        }
        Check.finite("mean", mean);
        Check.finiteNonZero("std", std);
        Check.range("frames", frames, 0, MAX_FRAMES);
        if (channels != 1 && channels != 3) {
            throw new XGradCamException("an input has 1 (grey) or 3 (RGB) channels, not " + channels);
        }
    }

    /** The most frames (or slices) of one clip. */
    public static final int MAX_FRAMES = 1024;

    /** A still image of three channels. */
    public Preprocessing(int width, int height, ResizeMode resize, int shorterSide, Interpolation interpolation,
                         Scale scale, float[] mean, float[] std, boolean bgr, boolean nhwc) {
        this(width, height, resize, shorterSide, interpolation, scale, mean, std, bgr, nhwc, 0, 3, false);
    }

    /** Kinetics-400's mean and std, as torchvision's video models are trained. */
    public static final float[] KINETICS_MEAN = {0.43216f, 0.394666f, 0.37645f};
    public static final float[] KINETICS_STD = {0.22803f, 0.22145f, 0.216989f};

    /**
     * torchvision's video classification transform (r3d_18, mc3_18, r2plus1d_18, s3d): each frame's
     * shorter side to 128 for a crop of 112 (the 256-for-224 rule of images; torchvision resizes to
     * 128x171, the same for Kinetics' 4:3 frames; other aspect ratios keep their shape here), bilinear
     * as a uint8 tensor is resized, centre crop placed as torchvision places it, [0, 1], Kinetics
     * mean/std, [1, 3, T, H, W].
     */
    public static Preprocessing torchvisionVideo(int size, int frames) {
        return new Preprocessing(size, size, ResizeMode.CENTER_CROP, shorterSide(ResizeMode.CENTER_CROP, size, size),
                Interpolation.TENSOR, Scale.UNIT, KINETICS_MEAN, KINETICS_STD, false, false, frames, 3, true);
    }

    /** A clip of this many frames (0: a still image). */
    public Preprocessing withFrames(int t) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, scale, mean, std, bgr, nhwc, t, channels, torchvisionCrop);
    }

    public Preprocessing withChannels(int c) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, scale, mean, std, bgr, nhwc, frames, c, torchvisionCrop);
    }

    /** Whether the model takes clips (video, volumes) rather than still images. */
    public boolean isClip() {
        return frames > 0;
    }

    /** The input shape at batch 1: [1, C, H, W], [1, H, W, C], [1, C, T, H, W] or [1, T, H, W, C]. */
    public long[] inputShape() {
        if (frames > 0) {
            return nhwc ? new long[] {1, frames, height, width, channels} : new long[] {1, channels, frames, height, width};
        }
        return nhwc ? new long[] {1, height, width, channels} : new long[] {1, channels, height, width};
    }


    /** DIRECT: stretch to the size (as the original tool); CENTER_CROP: shorter side, then a centre crop. */
    public enum ResizeMode { DIRECT, CENTER_CROP }

    /**
     * The bilinear resize of 8-bit images: OpenCV's (cv2.resize, as XGrad-CAM.py; no
     * antialiasing), Pillow's (torchvision's Resize on PIL images; antialiased when shrinking), or a
     * uint8 tensor's (torchvision's Resize on video frames: in float, no antialiasing, rounded).
     */
    public enum Interpolation {
        OPENCV, PIL, TENSOR;

        public static Interpolation parse(String s) {
            return switch (s) {
                case "opencv", "cv2" -> OPENCV;
                case "pil", "pillow" -> PIL;
                case "tensor", "torch" -> TENSOR;
                default -> throw new XGradCamException("unknown interpolation '" + s + "'; use opencv, pil or tensor");
            };
        }
    }

    /** Pixel values before mean/std: [0, 1], [0, 255] or [-1, 1]. */
    public enum Scale {
        UNIT, BYTE, SYMMETRIC;

        float apply(int v) {
            return switch (this) {
                case UNIT -> v / 255f;
                case BYTE -> v;
                case SYMMETRIC -> v / 127.5f - 1f;
            };
        }

        public static Scale parse(String s) {
            return switch (s) {
                case "0-1", "[0,1]", "unit" -> UNIT;
                case "0-255", "[0,255]", "byte" -> BYTE;
                case "-1-1", "[-1,1]", "symmetric" -> SYMMETRIC;
                default -> throw new XGradCamException("unknown value scale '" + s + "'; use 0-1, 0-255 or -1-1");
            };
        }
    }

    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /**
     * XGrad-CAM.py: OpenCV bilinear resize of the 8-bit image straight to 224x224, / 255, RGB,
     * ImageNet mean/std, NCHW. (The seed reads BGR and flips it to RGB: the same values.)
     */
    public static Preprocessing seed() {
        return new Preprocessing(224, 224, ResizeMode.DIRECT, 0, Interpolation.OPENCV, Scale.UNIT, IMAGENET_MEAN, IMAGENET_STD, false, false);
    }

    /**
     * torchvision's evaluation transform on PIL images: shorter side to round(256 S / 224) with
     * Pillow's bilinear filter, centre crop S.
     */
    public static Preprocessing imagenet(int size) {
        return new Preprocessing(size, size, ResizeMode.CENTER_CROP, shorterSide(ResizeMode.CENTER_CROP, size, size),
                Interpolation.PIL, Scale.UNIT, IMAGENET_MEAN, IMAGENET_STD, false, false);
    }

    public Preprocessing withSize(int w, int h) {
        return new Preprocessing(w, h, resize, shorterSide(resize, w, h), interpolation, scale, mean, std, bgr, nhwc, frames, channels, torchvisionCrop);
    }

    public Preprocessing withMeanStd(float[] m, float[] s) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, scale, m, s, bgr, nhwc, frames, channels, torchvisionCrop);
    }

    public Preprocessing withScale(Scale s) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, s, mean, std, bgr, nhwc, frames, channels, torchvisionCrop);
    }

    public Preprocessing withBgr(boolean b) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, scale, mean, std, b, nhwc, frames, channels, torchvisionCrop);
    }

    public Preprocessing withNhwc(boolean n) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, scale, mean, std, bgr, n, frames, channels, torchvisionCrop);
    }

    public Preprocessing withInterpolation(Interpolation i) {
        return new Preprocessing(width, height, resize, shorterSide, i, scale, mean, std, bgr, nhwc, frames, channels, torchvisionCrop);
    }

    /** Centre crops placed as torchvision places them (true) or at the floor of the half difference. */
    public Preprocessing withTorchvisionCrop(boolean t) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, scale, mean, std, bgr, nhwc, frames, channels, t);
    }

    public Preprocessing withResize(ResizeMode m) {
        return new Preprocessing(width, height, m, shorterSide(m, width, height),
                interpolation, scale, mean, std, bgr, nhwc, frames, channels, torchvisionCrop);
    }

    /** Before a centre crop of w x h, the shorter side goes to round(256 min(w, h) / 224), as 256 for 224. */
    private static int shorterSide(ResizeMode mode, int w, int h) {
        return mode == ResizeMode.CENTER_CROP ? Math.round(256f * Math.min(w, h) / 224f) : 0;
    }

    /** The image as the model sees it, 8-bit, at the input size (also the backdrop of overlays). */
    public RgbImage fit(RgbImage img) {
        if (resize == ResizeMode.DIRECT) {
            return img.width() == width && img.height() == height ? img : img.resize(width, height, interpolation);
        }
        double s = (double) shorterSide / Math.min(img.width(), img.height());
        int w = Math.max(width, (int) Math.round(img.width() * s));
        int h = Math.max(height, (int) Math.round(img.height() * s));
        RgbImage resized = img.resize(w, h, interpolation);
        return resized.crop(cropOffset(w, width, torchvisionCrop), cropOffset(h, height, torchvisionCrop), width, height);
    }

    /**
     * A centre crop's offset: floor((size - crop) / 2), or as torchvision's center_crop takes it,
     * round((size - crop) / 2) with Python's round, halves to even (a 171-wide frame cropped to
     * 112 starts at 30, not 29).
     */
    static int cropOffset(int size, int crop, boolean torchvision) {
        return torchvision ? (int) Math.rint((size - crop) / 2.0) : (size - crop) / 2;
    }

    /**
     * Where the model's input lies on an image of w x h, in that image's pixels [x0, y0, x1, y1]:
     * all of it after a direct resize, the centre crop's window after a crop (as {@link #fit}
     * cuts it).
     */
    public float[] seenRegion(int w, int h) {
        if (resize == ResizeMode.DIRECT) {
            return new float[] {0, 0, w, h};
        }
        double s = (double) shorterSide / Math.min(w, h);
        int rw = Math.max(width, (int) Math.round(w * s));
        int rh = Math.max(height, (int) Math.round(h * s));
        double sx = (double) rw / w;
        double sy = (double) rh / h;
        int ox = cropOffset(rw, width, torchvisionCrop);
        int oy = cropOffset(rh, height, torchvisionCrop);
        return new float[] {(float) (ox / sx), (float) (oy / sy), (float) ((ox + width) / sx), (float) ((oy + height) / sy)};
    }

    /** A fitted image to a [1, C, H, W] (or [1, H, W, C]) tensor. */
    public FloatTensor toTensor(RgbImage fitted) {
        if (frames > 0) {
            return toTensor(java.util.Collections.nCopies(frames, fitted));
        }
        float[] out = new float[channels * width * height];
        fill(fitted, out, 0, 1);
        return new FloatTensor(inputShape(), out);
    }

    /** Fitted frames (as many as {@link #frames()}) to a clip [1, C, T, H, W] (or [1, T, H, W, C]). */
    public FloatTensor toTensor(java.util.List<RgbImage> fittedFrames) {
        if (fittedFrames.size() != frames) {
            throw new XGradCamException("the model takes clips of " + frames + " frames, not " + fittedFrames.size());
        }
        float[] out = new float[channels * frames * width * height];
        for (int t = 0; t < frames; t++) {
            fill(fittedFrames.get(t), out, t, frames);
        }
        return new FloatTensor(inputShape(), out);
    }

    /** Index of channel c of pixel i of frame t (of count) in the input's layout. */
    private int index(int c, int t, int count, int i) {
        int plane = width * height;
        return nhwc ? (t * plane + i) * channels + c : (c * count + t) * plane + i;
    }

    private void fill(RgbImage fitted, float[] out, int t, int count) {
        int plane = width * height;
        byte[] px = fitted.rgb();
        // each channel maps 256 byte values: a table of the same arithmetic, computed once
        float[][] table = new float[channels][256];
        for (int c = 0; c < channels; c++) {
            for (int v = 0; v < 256; v++) {
                table[c][v] = (scale.apply(v) - mean[c]) / std[c];
            }
        }
        if (channels == 1) {
            for (int i = 0; i < plane; i++) {
                int grey = Math.round(((px[3 * i] & 0xff) + (px[3 * i + 1] & 0xff) + (px[3 * i + 2] & 0xff)) / 3f);
                out[index(0, t, count, i)] = table[0][grey];
            }
            return;
        }
        for (int c = 0; c < 3; c++) {
            int src = bgr ? 2 - c : c;
            float[] tb = table[c];
            for (int i = 0; i < plane; i++) {
                out[index(c, t, count, i)] = tb[px[3 * i + src] & 0xff];
            }
        }
    }

    /**
     * The picture a preprocessed tensor (of {@link #inputShape()}) came from, as near as the
     * arithmetic allows: the normalisation, scale, channel order and layout undone. A clip's
     * frames come back stacked top to bottom (a strip T * H high).
     */
    public RgbImage undo(FloatTensor x) {
        long[] s = x.shape();
        long[] want = inputShape();
        boolean ok = s.length == want.length && s[0] == 1;
        for (int i = 1; ok && i < s.length; i++) {
            ok = s[i] == want[i] || (i != (nhwc ? s.length - 1 : 1) && s[i] > 0);
        }
        if (!ok) {
            throw new org.xgradcam.XGradCamException("a preprocessed " + (frames > 0 ? "clip" : "image")
                    + " is a float32 array of shape " + layoutWords() + ", not " + java.util.Arrays.toString(s));
        }
        int count = frames > 0 ? (int) (nhwc ? s[1] : s[2]) : 1;
        if (channels == 1) {
            return grey(x, count, (int) s[s.length - (nhwc ? 3 : 2)], (int) s[s.length - (nhwc ? 2 : 1)]);
        }
        int h = (int) s[s.length - (nhwc ? 3 : 2)];
        int w = (int) s[s.length - (nhwc ? 2 : 1)];
        Preprocessing at = withSize(w, h);
        int plane = h * w;
        byte[] rgb = new byte[plane * 3 * count];
        for (int t = 0; t < count; t++) {
            for (int c = 0; c < channels; c++) {
                int dst = bgr ? 2 - c : c;
                for (int i = 0; i < plane; i++) {
                    float v = x.data()[at.index(c, t, count, i)] * std[c] + mean[c];
                    float byteValue = switch (scale) {
                        case UNIT -> v * 255;
                        case BYTE -> v;
                        case SYMMETRIC -> (v + 1) * 127.5f;
                    };
                    byte b = (byte) Math.max(0, Math.min(255, Math.round(byteValue)));
                    int p = 3 * (t * plane + i);
                    if (channels == 1) {
                        rgb[p] = b;
                        rgb[p + 1] = b;
                        rgb[p + 2] = b;
                    } else {
                        rgb[p + dst] = b;
                    }
                }
            }
        }
        return new RgbImage(w, h * count, rgb);
    }

    /**
     * A one-channel input as grey pictures, stacked: shown with its own range (its minimum black,
     * its maximum white), since a volume's values (CT units, say) are no pixel scale.
     */
    private static RgbImage grey(FloatTensor x, int count, int h, int w) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float v : x.data()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float range = hi > lo ? hi - lo : 1f;
        byte[] rgb = new byte[x.size() * 3];
        for (int i = 0; i < x.size(); i++) {
            byte b = (byte) Math.round((x.data()[i] - lo) / range * 255f);
            rgb[3 * i] = b;
            rgb[3 * i + 1] = b;
            rgb[3 * i + 2] = b;
        }
        return new RgbImage(w, h * count, rgb);
    }

    private String layoutWords() {
        String c = String.valueOf(channels);
        if (frames > 0) {
            return nhwc ? "[1, T, H, W, " + c + "]" : "[1, " + c + ", T, H, W]";
        }
        return nhwc ? "[1, H, W, " + c + "]" : "[1, " + c + ", H, W]";
    }

    /** The preprocessing in the results' words (recorded with every result). */
    public java.util.Map<String, Object> describe() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("width", width);
        m.put("height", height);
        m.put("resize", resize == ResizeMode.DIRECT ? "direct" : "crop");
        if (resize == ResizeMode.CENTER_CROP) {
            m.put("shorter_side", shorterSide);
            m.put("crop_offset", torchvisionCrop ? "round" : "floor");
        }
        m.put("interpolation", interpolation.name().toLowerCase(java.util.Locale.ROOT));
        m.put("scale", switch (scale) {
            case UNIT -> "0-1";
            case BYTE -> "0-255";
            case SYMMETRIC -> "-1-1";
        });
        m.put("mean", java.util.List.of(mean[0], mean[1], mean[2]));
        m.put("std", java.util.List.of(std[0], std[1], std[2]));
        m.put("channels", bgr ? "bgr" : "rgb");
        m.put("layout", frames > 0 ? (nhwc ? "nthwc" : "ncthw") : nhwc ? "nhwc" : "nchw");
        if (frames > 0) {
            m.put("frames", frames);
        }
        if (channels == 1) {
            m.put("channels", "grey");
        }
        return m;
    }
}
