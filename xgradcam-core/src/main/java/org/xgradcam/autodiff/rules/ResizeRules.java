package org.xgradcam.autodiff.rules;

import java.util.List;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.autodiff.GradientRegistry;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.proto.OnnxProto.AttributeProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * Resize and Upsample in nearest and linear modes. With static shapes each resized axis is a
 * fixed linear map M [out, in] (one 1 per row for nearest, two interpolation weights for linear),
 * built here from ONNX Runtime's coordinate arithmetic (float, as it computes); the gradient
 * applies M transposed along each resized axis as a MatMul. Segmentation heads (a final
 * upsampling to the input size) and feature pyramids need it.
 */
public final class ResizeRules {
    private ResizeRules() {}

    public static void register(GradientRegistry r) {
        r.register("Resize", ResizeRules::resize);
        r.register("Upsample", ResizeRules::resize);
    }

    private static void resize(NodeProto n, BackwardContext c) {
        long[] in = c.shape(n.getInput(0));
        long[] out = c.shape(n.getOutput(0));
        boolean legacy = n.getOpType().equals("Upsample") || c.emit().opset() < 11; // Upsample, Resize-10
        String mode = Attributes.getString(n, "mode", "nearest");
        if (!mode.equals("nearest") && !mode.equals("linear")) {
            throw c.unsupported(n, "mode '" + mode + "' has no gradient rule; nearest and linear do");
        }
        String coordinates = legacy ? "asymmetric" : Attributes.getString(n, "coordinate_transformation_mode", "half_pixel");
        String nearest = legacy ? "legacy" : Attributes.getString(n, "nearest_mode", "round_prefer_floor");
        if (Attributes.getInt(n, "antialias", 0) != 0) {
            throw c.unsupported(n, "antialiased resizing has no gradient rule");
        }
        if (!Attributes.getString(n, "keep_aspect_ratio_policy", "stretch").equals("stretch")) {
            throw c.unsupported(n, "keep_aspect_ratio_policy other than stretch has no gradient rule");
        }
        float[] scales = scales(n, c, in, out, legacy);
        Emitter e = c.emit();
        String g = c.gradOut();
        for (int d = 0; d < in.length; d++) {
            if (in[d] == out[d] && scales[d] == 1f) {
                continue;
            }
            if (c.isBatchAxis(n.getInput(0), d)) {
                throw c.unsupported(n, "it resizes the batch axis");
            }
            float[] m = matrix((int) in[d], (int) out[d], scales[d], mode, coordinates, nearest, n, c);
            g = alongAxis(e, g, in.length, d, e.constant(m, out[d], in[d]));
        }
        c.setInputGradient(0, g);
    }

    /** The scale per axis as ONNX Runtime uses it: given, or output / input size (float). */
    private static float[] scales(NodeProto n, BackwardContext c, long[] in, long[] out, boolean legacy) {
        float[] s = null;
        if (n.getOpType().equals("Upsample") && n.getInputCount() < 2) {
            s = Attributes.find(n, "scales").map(AttributeProto::getFloatsList)
                    .map(l -> {
                        float[] f = new float[l.size()];
                        for (int i = 0; i < f.length; i++) {
                            f[i] = l.get(i);
                        }
                        return f;
                    }).orElse(null);
        } else {
            String name = legacy ? n.getInput(1) : n.getInputCount() > 2 ? n.getInput(2) : "";
            if (!name.isEmpty()) {
                float[] given = c.graph().constantFloats(name).orElseThrow(() -> c.unsupported(n,
                        "its scales are computed at run time; only constant scales or sizes are supported"));
                s = given.length > 0 ? given : null; // empty: the sizes input decides
            }
        }
        if (s == null) {
            s = new float[in.length];
            for (int d = 0; d < in.length; d++) {
                s[d] = (float) out[d] / (float) in[d];
            }
        }
        if (s.length != in.length) {
            throw c.unsupported(n, "scales for a subset of axes (the axes attribute) are not supported");
        }
        return s;
    }

    /** M [out, in]: row o holds the weights of the input positions that output position o reads. */
    private static float[] matrix(int in, int out, float scale, String mode, String coordinates, String nearest,
                                  NodeProto n, BackwardContext c) {
        float[] m = new float[out * in];
        for (int o = 0; o < out; o++) {
            float x = switch (coordinates) {
                case "half_pixel" -> (o + 0.5f) / scale - 0.5f;
                case "pytorch_half_pixel" -> out > 1 ? (o + 0.5f) / scale - 0.5f : 0f;
                case "align_corners" -> out == 1 ? 0f : o * (float) (in - 1) / (float) (out - 1);
                case "asymmetric" -> o / scale;
                case "tf_half_pixel_for_nn" -> (o + 0.5f) / scale;
                default -> throw c.unsupported(n, "coordinate_transformation_mode '" + coordinates
                        + "' has no gradient rule; half_pixel, pytorch_half_pixel, align_corners, asymmetric and "
                        + "tf_half_pixel_for_nn do");
            };
            if (mode.equals("nearest")) {
                int i = switch (nearest) {
                    case "round_prefer_floor" -> x == (int) x + 0.5f ? (int) Math.floor(x) : roundHalfAway(x);
                    case "round_prefer_ceil" -> x == (int) x + 0.5f ? (int) Math.ceil(x) : roundHalfAway(x);
                    case "floor" -> (int) Math.floor(x);
                    case "ceil" -> (int) Math.ceil(x);
                    case "legacy" -> scale < 1f ? (int) Math.ceil(x) : (int) x; // ONNX Runtime's "simple" mode
                    default -> throw c.unsupported(n, "nearest_mode '" + nearest + "' is unknown");
                };
                m[o * in + Math.max(0, Math.min(in - 1, i))] += 1f;
            } else {
                x = Math.max(0f, Math.min(x, in - 1));
                int x1 = (int) x;
                int x2 = Math.min(x1 + 1, in - 1);
                float w2 = x - x1;
                float w1 = 1f - w2;
                if (x1 == x2) {
                    w1 = 0.5f;
                    w2 = 0.5f;
                }
                m[o * in + x1] += w1;
                m[o * in + x2] += w2;
            }
        }
        return m;
    }

    /** C's round(): halves away from zero. */
    private static int roundHalfAway(float x) {
        return (int) (Math.signum(x) * Math.floor(Math.abs(x) + 0.5f));
    }

    /** Applies M^T [in, out] to g along axis d: g [.., out, ..] -> [.., in, ..]. */
    private static String alongAxis(Emitter e, String g, int rank, int d, String m) {
        if (d == rank - 1) {
            return e.op("MatMul", List.of(g, m));
        }
        long[] perm = new long[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = i;
        }
        perm[d] = rank - 1;
        perm[rank - 1] = d; // a swap is its own inverse
        return e.transpose(e.op("MatMul", List.of(e.transpose(g, perm), m)), perm);
    }
}
