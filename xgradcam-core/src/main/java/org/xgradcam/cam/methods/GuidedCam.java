package org.xgradcam.cam.methods;

import org.xgradcam.cam.CamContext;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.LayerMap;

/**
 * Guided Backprop (Springenberg et al. 2015: the input gradient with negative gradients
 * dropped at every ReLU) and its product with a CAM (Guided Grad-CAM, Selvaraju et al. 2017;
 * Guided XGrad-CAM, Fu et al. 2020): pictures in input space, 3 channels. The heat map, where
 * there is one, is the base method's.
 */
public final class GuidedCam implements CamMethod {
    private final CamMethod base; // null: plain Guided Backprop

    private GuidedCam(CamMethod base) {
        this.base = base;
    }

    public static GuidedCam backprop() {
        return new GuidedCam(null);
    }

    public static GuidedCam of(CamMethod base) {
        return new GuidedCam(base);
    }

    public CamMethod base() {
        return base;
    }

    @Override
    public String name() {
        return base == null ? "Guided Backprop" : "Guided " + base.name();
    }

    @Override
    public String id() {
        return base == null ? "guidedbackprop" : "guided" + base.id();
    }

    @Override
    public Needs needs() {
        return Needs.GUIDED;
    }

    @Override
    public LayerMap compute(CamContext ctx, String layer) {
        return base == null ? null : base.compute(ctx, layer);
    }
}
