package org.xgradcam.autodiff.rules;

import java.util.List;
import org.xgradcam.autodiff.BackwardContext;
import org.xgradcam.autodiff.Emitter;
import org.xgradcam.autodiff.GradientRegistry;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * RoiAlign, the pooling of two-stage detectors (Faster R-CNN's box head): the gradient of its
 * feature map, with the regions held constant (torchvision detaches its proposals, so autograd
 * sends nothing back through them either).
 * <p>
 * For fixed regions the op is linear and separable: a sample at (y, x) weighs grid cell (i, j) by
 * hat(y' - i) hat(x' - j), hat(t) = max(0, 1 - |t|), with y' = min(max(y, 0), H - 1) (the clamping
 * ONNX Runtime and torchvision apply) and zero outside [-1, H] x [-1, W]. Averaging the samples of
 * bin (p, q) gives out[r, c, p, q] = sum_ij Ay[r, p, i] Ax[r, q, j] X[c, i, j], so
 * dX[c, i, j] = sum_{r, p} Ay[r, p, i] (g[r, c] Ax[r]^T)[p, j]: two matrix products, built from
 * the regions at run time.
 */
public final class RoiRules {
    private RoiRules() {}

    public static void register(GradientRegistry r) {
        r.register("RoiAlign", RoiRules::roiAlign);
    }

    private static void roiAlign(NodeProto n, BackwardContext c) {
        Emitter e = c.emit();
        if (!Attributes.getString(n, "mode", "avg").equals("avg")) {
            throw c.unsupported(n, "RoiAlign in max mode has no gradient rule (avg, as torchvision exports it, has)");
        }
        long ratio = Attributes.getInt(n, "sampling_ratio", 0);
        if (ratio <= 0) {
            throw c.unsupported(n, "its sampling_ratio is adaptive (0), so each region has its own number of samples;"
                    + " export it with a fixed sampling_ratio (torchvision's detectors use 2)");
        }
        long[] xs = c.shape(n.getInput(0));
        if (xs.length != 4 || xs[0] != 1) {
            throw c.unsupported(n, "only a single image's feature map [1, C, H, W] is supported");
        }
        if (c.shape(n.getInput(1))[0] == 0) {
            // no region pooled from this map (a pyramid level without proposals): ONNX Runtime's
            // MatMul over an empty axis would not give zeros
            c.setInputGradient(0, e.zerosLike(n.getInput(0)));
            return;
        }
        long ph = Attributes.getInt(n, "output_height", 1);
        long pw = Attributes.getInt(n, "output_width", 1);
        float scale = Attributes.getFloat(n, "spatial_scale", 1f);
        // opset 16 added the mode; before it RoiAlign had no half-pixel offset (output_half_pixel)
        String mode = e.opset() >= 16 ? Attributes.getString(n, "coordinate_transformation_mode", "half_pixel")
                : "output_half_pixel";
        boolean halfPixel = mode.equals("half_pixel");
        long h = xs[2];
        long w = xs[3];
        String rois = n.getInput(1);
        String start = e.sub(e.mul(rois, e.scalar(scale)), e.scalar(halfPixel ? 0.5f : 0f)); // [R, 4]
        String x0 = e.slice(start, new long[] {0}, new long[] {1}, new long[] {1});
        String y0 = e.slice(start, new long[] {1}, new long[] {2}, new long[] {1});
        String x1 = e.slice(start, new long[] {2}, new long[] {3}, new long[] {1});
        String y1 = e.slice(start, new long[] {3}, new long[] {4}, new long[] {1});
        String ay = axisWeights(e, y0, y1, ph, ratio, h, halfPixel); // [R, PH, H]
        String ax = axisWeights(e, x0, x1, pw, ratio, w, halfPixel); // [R, PW, W]
        // t[r, c, p, j] = sum_q g[r, c, p, q] ax[r, q, j]
        String t = e.op("MatMul", List.of(c.gradOut(), e.unsqueeze(ax, 1)));
        // dX[c, i, j] = sum_{r, p} ay[r, p, i] t[r, c, p, j]
        String tc = e.reshape(e.transpose(t, new long[] {1, 0, 2, 3}), e.longs(xs[1], -1, w)); // [C, R*PH, W]
        String ayT = e.transpose(e.reshape(ay, e.longs(-1, h)), new long[] {1, 0}); // [H, R*PH]
        String dx = e.op("MatMul", List.of(ayT, tc)); // [C, H, W]
        c.setInputGradient(0, e.unsqueeze(dx, 0));
    }

    /**
     * A [R, P, size] matrix: bin p of region r averages its samples' interpolation weights over
     * the grid cells 0..size-1 of one axis, from the region's start and end on that axis ([R, 1]).
     */
    private static String axisWeights(Emitter e, String from, String to, long bins, long ratio, long size,
                                      boolean halfPixel) {
        String extent = e.sub(to, from);
        if (!halfPixel) {
            extent = e.op("Max", List.of(extent, e.scalar(1f))); // torchvision's aligned=False: at least one cell
        }
        String bin = e.div(extent, e.scalar(bins)); // [R, 1]
        float[] offsets = new float[(int) (bins * ratio)];
        for (int p = 0; p < bins; p++) {
            for (int s = 0; s < ratio; s++) {
                offsets[(int) (p * ratio + s)] = p + (s + 0.5f) / ratio;
            }
        }
        // sample positions [R, P*S, 1]
        String at = e.unsqueeze(e.add(e.unsqueeze(from, 2), e.mul(e.unsqueeze(bin, 2),
                e.constant(offsets, 1, 1, bins * ratio))), 3);
        at = e.reshape(at, e.longs(-1, bins * ratio, 1));
        String valid = e.mask(e.op("Not", e.op("Or", List.of(e.less(at, e.scalar(-1f)), e.greater(at, e.scalar(size))))));
        String clamped = e.op("Min", List.of(e.op("Max", List.of(at, e.scalar(0f))), e.scalar(size - 1f)));
        float[] grid = new float[(int) size];
        for (int i = 0; i < size; i++) {
            grid[i] = i;
        }
        String hat = e.op("Relu", e.sub(e.scalar(1f), e.op("Abs", e.sub(clamped, e.constant(grid, 1, 1, size)))));
        String weights = e.mul(hat, valid); // [R, P*S, size]
        String perBin = e.reshape(weights, e.longs(-1, bins, ratio, size));
        return e.mul(e.reduceSum(perBin, new long[] {2}, false), e.scalar(1f / ratio));
    }
}
