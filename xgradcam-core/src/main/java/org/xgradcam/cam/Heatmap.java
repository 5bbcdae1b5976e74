package org.xgradcam.cam;

import java.nio.file.Path;
import org.xgradcam.image.Colormap;
import org.xgradcam.image.Overlay;
import org.xgradcam.image.Pictures;
import org.xgradcam.image.RgbImage;
import org.xgradcam.tensor.FloatTensor;

/**
 * One image explained by one method, as the short path returns it: the class explained (index,
 * label) and its score, the map at the input's size in [0, 1], the map at the layer's size both
 * signed (as Captum's LayerGradCam and the method's formula give it) and after ReLU, the channel
 * weights where the method has them, and the image as the model saw it.
 */
public record Heatmap(Method method, int classIndex, String label, double score, String layer, FloatTensor map,
                      FloatTensor signedLowRes, FloatTensor weights, RgbImage image, Explanation explanation) {
    /** The map at the layer's size after ReLU, before any scaling ([h, w]). */
    public FloatTensor lowRes() {
        return new FloatTensor(signedLowRes.shape(), Maps.relu(signedLowRes.data()));
    }

    /** The map added onto the image as XGrad-CAM.py does (colour map + image, rescaled by its maximum). */
    public RgbImage overlay(Colormap colormap) {
        return Overlay.additive(image, map.data(), colormap);
    }

    /** The map alpha-blended onto the image. */
    public RgbImage blend(Colormap colormap, float alpha) {
        return Overlay.blend(image, map.data(), colormap, alpha);
    }

    /** Writes the overlay with the JET colour map (PNG or JPEG by the file's extension). */
    public void save(Path file) {
        Pictures.save(overlay(Colormap.JET), file);
    }
}
