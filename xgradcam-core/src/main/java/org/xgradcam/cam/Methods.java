package org.xgradcam.cam;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.xgradcam.XGradCamException;
import org.xgradcam.cam.methods.AblationCam;
import org.xgradcam.cam.methods.EigenCam;
import org.xgradcam.cam.methods.ElementwiseCam;
import org.xgradcam.cam.methods.FullGrad;
import org.xgradcam.cam.methods.GradCam;
import org.xgradcam.cam.methods.GradCamPlusPlus;
import org.xgradcam.cam.methods.GuidedCam;
import org.xgradcam.cam.methods.RandomCam;
import org.xgradcam.cam.methods.ScoreCam;
import org.xgradcam.cam.methods.XGradCam;

/** The methods by id (lower case, no dashes), in the order they are listed to users. */
public final class Methods {
    private static final Map<String, Supplier<CamMethod>> ALL = new LinkedHashMap<>();

    static {
        ALL.put("xgradcam", XGradCam::new);
        ALL.put("gradcam", GradCam::new);
        ALL.put("gradcamplusplus", GradCamPlusPlus::new);
        ALL.put("hirescam", ElementwiseCam::hiResCam);
        ALL.put("gradcamelementwise", ElementwiseCam::gradCamElementWise);
        ALL.put("layercam", ElementwiseCam::layerCam);
        ALL.put("finercam", org.xgradcam.cam.methods.FinerCam::new);
        ALL.put("fem", org.xgradcam.cam.methods.Fem::new);
        ALL.put("eigencam", EigenCam::eigenCam);
        ALL.put("eigengradcam", EigenCam::eigenGradCam);
        ALL.put("kpcacam", EigenCam::kpcaCam);
        ALL.put("segeigencam", EigenCam::segEigenCam);
        ALL.put("dff", org.xgradcam.cam.methods.DeepFeatureFactorization::new);
        ALL.put("scorecam", ScoreCam::new);
        ALL.put("sscam", ScoreCam::smoothed);
        ALL.put("iscam", ScoreCam::integrated);
        ALL.put("fasterscorecam", ScoreCam::faster);
        ALL.put("ablationcam", AblationCam::new);
        ALL.put("ablationcammultilayer", org.xgradcam.cam.methods.MultiLayerAblationCam::new);
        ALL.put("fullgrad", FullGrad::new);
        ALL.put("guidedbackprop", GuidedCam::backprop);
        ALL.put("guidedgradcam", () -> GuidedCam.of(new GradCam()));
        ALL.put("guidedxgradcam", () -> GuidedCam.of(new XGradCam()));
        ALL.put("randomcam", RandomCam::new);
        ALL.put("cam", org.xgradcam.cam.methods.ClassActivationMap::new);
        ALL.put("smoothgradcamplusplus", org.xgradcam.cam.methods.SmoothGradCamPlusPlus::new);
        ALL.put("shapleycam", org.xgradcam.cam.methods.ShapleyCam::new);
        ALL.put("refinecam", org.xgradcam.cam.methods.RefineCam::new);
    }

    private Methods() {}

    public static List<String> ids() {
        return List.copyOf(ALL.keySet());
    }

    /** A method by id, display name or any spelling with dashes, pluses or case ("Grad-CAM++"). */
    public static CamMethod byName(String name) {
        String key = name.toLowerCase().replace("++", "plusplus").replaceAll("[^a-z0-9]", "");
        Supplier<CamMethod> m = ALL.get(key);
        if (m == null && key.startsWith("refinecam") && ALL.containsKey(key.substring("refinecam".length()))) {
            // RefineCAM over a named base method: "refinecam:xgradcam", "RefineCAM(Grad-CAM)"
            return new org.xgradcam.cam.methods.RefineCam(ALL.get(key.substring("refinecam".length())).get());
        }
        if (m == null) {
            throw new XGradCamException("unknown method '" + name + "'; choose from: " + String.join(", ", ALL.keySet())
                    + " (RefineCAM over another base method: refinecam:METHOD)");
        }
        return m.get();
    }
}
