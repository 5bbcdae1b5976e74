package org.xgradcam.cam;

import java.util.List;
import org.xgradcam.image.Resize;

/**
 * The conventions for turning low-resolution maps into a picture-sized map in [0, 1].
 * <ul>
 * <li>{@code SEED}: exactly XGrad-CAM.py: ReLU, bilinear upsampling (OpenCV) to the input size,
 *     then (x - min) / max. The seed divides 0 by 0 for an all-zero map; here that map stays 0.
 * <li>{@code PYTORCH_GRAD_CAM}: pytorch-grad-cam 1.5: per layer ReLU, (x - min) / (max + 1e-7)
 *     at low resolution, OpenCV resize; then the mean over layers, ReLU, and the same scaling.
 * <li>{@code TORCH_CAM}: torch-cam: per layer ReLU (not for CAM, which torch-cam leaves signed),
 *     (x - min) / (max + 1e-8) at low resolution; several layers upsampled to the largest one's
 *     size and fused by their maximum; then bilinear, half-pixel upsampling (torch's
 *     interpolate with align_corners=False) to the input size. Score-CAM's masks follow torch-cam
 *     too (scaled at low resolution, then upsampled), and XGrad-CAM's eps is 1e-8.
 * </ul>
 * Several layers under {@code SEED}: each layer as the seed would, then their mean, rescaled.
 * <p>Maps of a clip or volume come as D slices ({@code size} {d, h, w}) and go to T frames of
 * outH x outW by trilinear, half-pixel upsampling (torch's, align_corners=False; pytorch-grad-cam
 * resizes 3-D maps with scipy's zoom, a cubic spline with corners aligned); every scaling is over
 * the whole volume, as pytorch-grad-cam's.
 */
public enum PostProcess {
    SEED("seed", 1e-6f),
    PYTORCH_GRAD_CAM("pytorch-grad-cam", 1e-7f),
    TORCH_CAM("torch-cam", 1e-8f);

    private final String id;
    private final float xgradEps;

    PostProcess(String id, float xgradEps) {
        this.id = id;
        this.xgradEps = xgradEps;
    }

    public String id() {
        return id;
    }

    /** The epsilon in XGrad-CAM's weights: 1e-6 in XGrad-CAM.py, 1e-7 in pytorch-grad-cam. */
    public float xgradCamEps() {
        return xgradEps;
    }

    public static PostProcess parse(String s) {
        for (PostProcess p : values()) {
            if (p.id.equalsIgnoreCase(s) || p.name().equalsIgnoreCase(s)) {
                return p;
            }
        }
        throw new org.xgradcam.XGradCamException("unknown post-processing '" + s + "'; use seed, pytorch-grad-cam or torch-cam");
    }

    /** Low-res signed maps of one image, one per layer ([h, w] each), to the final [outH, outW] map. */
    public float[] apply(List<float[]> lowRes, List<int[]> sizes, int outH, int outW) {
        return apply(lowRes, sizes, outH, outW, true);
    }

    /**
     * As {@link #apply(List, List, int, int)}; {@code relu} false keeps the maps signed before the
     * scaling where the convention lets the method say so (torch-cam's CAM).
     */
    public float[] apply(List<float[]> lowRes, List<int[]> sizes, int outH, int outW, boolean relu) {
        return apply(lowRes, sizes, 1, outH, outW, relu);
    }

    /** As above for maps of {@code frames} frames (sizes {d, h, w} or {h, w}), [frames, outH, outW] out. */
    public float[] apply(List<float[]> lowRes, List<int[]> sizes, int frames, int outH, int outW, boolean relu) {
        if (this == TORCH_CAM) {
            return torchCam(lowRes, sizes, frames, outH, outW, relu);
        }
        float[] acc = new float[frames * outH * outW];
        for (int l = 0; l < lowRes.size(); l++) {
            int[] size = sizes.get(l);
            float[] m = Maps.relu(lowRes.get(l));
            float[] up;
            if (this == SEED) {
                up = Maps.minMax(upsample(m, size, frames, outH, outW), 0f);
            } else {
                up = upsample(Maps.minMax(m, 1e-7f), size, frames, outH, outW);
            }
            for (int i = 0; i < acc.length; i++) {
                acc[i] += up[i] / lowRes.size();
            }
        }
        if (this == SEED) {
            return lowRes.size() == 1 ? acc : Maps.minMax(acc, 0f);
        }
        return Maps.minMax(Maps.relu(acc), 1e-7f);
    }

    /** A low-resolution map of size {h, w} or {d, h, w} to [frames, outH, outW]. */
    static float[] upsample(float[] m, int[] size, int frames, int outH, int outW) {
        if (size.length == 2 && frames == 1) {
            return Resize.bilinear(m, size[0], size[1], outH, outW);
        }
        int d = size.length == 3 ? size[0] : 1;
        return Resize.trilinear(m, d, size[size.length - 2], size[size.length - 1], frames, outH, outW);
    }

    /**
     * RefineCAM's combination: each layer's map as this convention makes it for that layer alone,
     * their product, scaled again with the convention's final epsilon.
     */
    public float[] applyProduct(List<float[]> lowRes, List<int[]> sizes, int outH, int outW, boolean relu) {
        return applyProduct(lowRes, sizes, 1, outH, outW, relu);
    }

    /** As above for maps of {@code frames} frames. */
    public float[] applyProduct(List<float[]> lowRes, List<int[]> sizes, int frames, int outH, int outW, boolean relu) {
        float[] product = null;
        for (int l = 0; l < lowRes.size(); l++) {
            float[] m = apply(List.of(lowRes.get(l)), List.of(sizes.get(l)), frames, outH, outW, relu);
            if (product == null) {
                product = m;
            } else {
                for (int i = 0; i < product.length; i++) {
                    product[i] *= m[i];
                }
            }
        }
        return Maps.minMax(product, finalEps());
    }

    private float finalEps() {
        return this == SEED ? 0f : this == TORCH_CAM ? 1e-8f : 1e-7f;
    }

    /** A map that is already at the output size (FullGrad): ReLU and the final scaling only. */
    public float[] applyFullResolution(float[] map) {
        return Maps.minMax(Maps.relu(map), finalEps());
    }

    /** The low-resolution maps scaled as torch-cam returns them, fused at the largest size, upsampled. */
    private static float[] torchCam(List<float[]> lowRes, List<int[]> sizes, int frames, int outH, int outW, boolean relu) {
        int bd = 0;
        int bh = 0;
        int bw = 0;
        for (int[] s : sizes) {
            bd = Math.max(bd, s.length == 3 ? s[0] : 1);
            bh = Math.max(bh, s[s.length - 2]);
            bw = Math.max(bw, s[s.length - 1]);
        }
        boolean volume = frames > 1 || sizes.stream().anyMatch(s -> s.length == 3);
        float[] fused = null;
        for (int l = 0; l < lowRes.size(); l++) {
            float[] m = Maps.minMax(relu ? Maps.relu(lowRes.get(l)) : lowRes.get(l), 1e-8f);
            int[] s = sizes.get(l);
            int d = s.length == 3 ? s[0] : 1;
            int h = s[s.length - 2];
            int w = s[s.length - 1];
            float[] at = lowRes.size() == 1 || (d == bd && h == bh && w == bw) ? m
                    : volume ? Resize.trilinear(m, d, h, w, bd, bh, bw) : Resize.bilinear(m, h, w, bh, bw);
            if (fused == null) {
                fused = at;
            } else {
                for (int i = 0; i < fused.length; i++) {
                    fused[i] = Math.max(fused[i], at[i]);
                }
            }
        }
        return volume ? Resize.trilinear(fused, bd, bh, bw, frames, outH, outW) : Resize.bilinear(fused, bh, bw, outH, outW);
    }
}
