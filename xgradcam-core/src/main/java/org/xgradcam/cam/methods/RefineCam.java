package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.LayerMap;

/**
 * RefineCAM (arXiv 2605.14641), as pytorch-grad-cam's RefineCAM: a base method's map at each of
 * several layers, each post-processed to [0, 1] at the input size as if it were the only layer,
 * then their product, scaled again to [0, 1]. A deep layer's coarse map thus masks the noise of
 * an early layer's fine one. The base method is pytorch-grad-cam's default, Grad-CAM++, unless
 * named ({@code refinecam:xgradcam}). Each layer's raw map and weights are the base method's.
 */
public final class RefineCam implements CamMethod {
    private final CamMethod base;

    public RefineCam(CamMethod base) {
        if (base instanceof RefineCam || base instanceof GuidedCam || base.id().equals("fullgrad")) {
            throw new org.xgradcam.XGradCamException("RefineCAM combines maps of several layers; " + base.name()
                    + " has no map per layer to combine (choose a layer-wise method, e.g. refinecam:gradcam)");
        }
        this.base = base;
    }

    /** With pytorch-grad-cam's default base method, Grad-CAM++. */
    public RefineCam() {
        this(new GradCamPlusPlus());
    }

    public CamMethod base() {
        return base;
    }

    @Override
    public String name() {
        return "RefineCAM (" + base.name() + ")";
    }

    @Override
    public String id() {
        return base instanceof GradCamPlusPlus ? "refinecam" : "refinecam" + base.id();
    }

    @Override
    public Needs needs() {
        return base.needs();
    }

    @Override
    public String cost() {
        return base.cost() + ", at each layer";
    }

    @Override
    public boolean signedMap() {
        return base.signedMap();
    }

    @Override
    public boolean multipliesLayers() {
        return true;
    }

    @Override
    public LayerMap compute(CamContext ctx, String layer) {
        return base.compute(ctx, layer);
    }
}
