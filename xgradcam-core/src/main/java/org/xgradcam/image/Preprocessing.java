package org.xgradcam.image;

import org.xgradcam.XGradCamException;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.validation.Check;

/**
 * How an image becomes a model input: size, resize mode, value scale, mean/std, channel order
 * and layout. {@link #seed()} is XGrad-CAM.py's exact pipeline.
 */
public record Preprocessing(int width, int height, ResizeMode resize, int shorterSide, Interpolation interpolation,
                            Scale scale, float[] mean, float[] std, boolean bgr, boolean nhwc) {
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
    }


    /** DIRECT: stretch to the size (as the original tool); CENTER_CROP: shorter side, then a centre crop. */
    public enum ResizeMode { DIRECT, CENTER_CROP }

    /**
     * The bilinear resize of 8-bit images: OpenCV's (cv2.resize, as XGrad-CAM.py; no
     * antialiasing) or Pillow's (torchvision's Resize on PIL images; antialiased when shrinking).
     */
    public enum Interpolation {
        OPENCV, PIL;

        public static Interpolation parse(String s) {
            return switch (s) {
                case "opencv", "cv2" -> OPENCV;
                case "pil", "pillow" -> PIL;
                default -> throw new XGradCamException("unknown interpolation '" + s + "'; use opencv or pil");
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
        return new Preprocessing(w, h, resize, shorterSide(resize, w, h), interpolation, scale, mean, std, bgr, nhwc);
    }

    public Preprocessing withMeanStd(float[] m, float[] s) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, scale, m, s, bgr, nhwc);
    }

    public Preprocessing withScale(Scale s) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, s, mean, std, bgr, nhwc);
    }

    public Preprocessing withBgr(boolean b) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, scale, mean, std, b, nhwc);
    }

    public Preprocessing withNhwc(boolean n) {
        return new Preprocessing(width, height, resize, shorterSide, interpolation, scale, mean, std, bgr, n);
    }

    public Preprocessing withInterpolation(Interpolation i) {
        return new Preprocessing(width, height, resize, shorterSide, i, scale, mean, std, bgr, nhwc);
    }

    public Preprocessing withResize(ResizeMode m) {
        return new Preprocessing(width, height, m, shorterSide(m, width, height),
                interpolation, scale, mean, std, bgr, nhwc);
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
        return resized.crop((w - width) / 2, (h - height) / 2, width, height);
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
        int ox = (rw - width) / 2;
        int oy = (rh - height) / 2;
        return new float[] {(float) (ox / sx), (float) (oy / sy), (float) ((ox + width) / sx), (float) ((oy + height) / sy)};
    }

    /** A fitted image to a [1, 3, H, W] (or [1, H, W, 3]) tensor. */
    public FloatTensor toTensor(RgbImage fitted) {
        int plane = width * height;
        float[] out = new float[3 * plane];
        byte[] px = fitted.rgb();
        // each channel maps 256 byte values: a table of the same arithmetic, computed once
        float[][] table = new float[3][256];
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                table[c][v] = (scale.apply(v) - mean[c]) / std[c];
            }
        }
        for (int c = 0; c < 3; c++) {
            int src = bgr ? 2 - c : c;
            float[] t = table[c];
            for (int i = 0; i < plane; i++) {
                out[nhwc ? 3 * i + c : c * plane + i] = t[px[3 * i + src] & 0xff];
            }
        }
        return new FloatTensor(nhwc ? new long[] {1, height, width, 3} : new long[] {1, 3, height, width}, out);
    }

    /**
     * The picture a preprocessed tensor [1, 3, H, W] (or [1, H, W, 3]) came from, as near as the
     * arithmetic allows: the normalisation, scale, channel order and layout undone.
     */
    public RgbImage undo(FloatTensor x) {
        long[] s = x.shape();
        boolean ok = s.length == 4 && s[0] == 1 && (nhwc ? s[3] == 3 : s[1] == 3);
        if (!ok) {
            throw new org.xgradcam.XGradCamException("a preprocessed image is a float32 array of shape "
                    + (nhwc ? "[1, H, W, 3]" : "[1, 3, H, W]") + ", not " + java.util.Arrays.toString(s));
        }
        int h = (int) (nhwc ? s[1] : s[2]);
        int w = (int) (nhwc ? s[2] : s[3]);
        int plane = h * w;
        byte[] rgb = new byte[plane * 3];
        for (int c = 0; c < 3; c++) {
            int dst = bgr ? 2 - c : c;
            for (int i = 0; i < plane; i++) {
                float v = x.data()[nhwc ? 3 * i + c : c * plane + i] * std[c] + mean[c];
                float byteValue = switch (scale) {
                    case UNIT -> v * 255;
                    case BYTE -> v;
                    case SYMMETRIC -> (v + 1) * 127.5f;
                };
                rgb[3 * i + dst] = (byte) Math.max(0, Math.min(255, Math.round(byteValue)));
            }
        }
        return new RgbImage(w, h, rgb);
    }

    /** The preprocessing in the results' words (recorded with every result). */
    public java.util.Map<String, Object> describe() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("width", width);
        m.put("height", height);
        m.put("resize", resize == ResizeMode.DIRECT ? "direct" : "crop");
        if (resize == ResizeMode.CENTER_CROP) {
            m.put("shorter_side", shorterSide);
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
        m.put("layout", nhwc ? "nhwc" : "nchw");
        return m;
    }
}
