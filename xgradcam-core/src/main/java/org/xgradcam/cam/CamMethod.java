package org.xgradcam.cam;

/**
 * One CAM method: from what a run gave (activations, gradients, extra forward passes) to a
 * signed low-resolution map per image, and the channel weights where the method has them.
 * Post-processing (ReLU, scaling, resizing) is not the method's business.
 */
public interface CamMethod {
    /** The name users see, e.g. "XGrad-CAM". */
    String name();

    /** Lower case without dashes, for files and the command line: "xgradcam". */
    String id();

    /** What the shared run must provide. */
    default Needs needs() {
        return Needs.GRADIENTS;
    }

    /** What a run of the method costs, in words, for listings ("activations and gradients"). */
    default String cost() {
        return switch (needs()) {
            case ACTIVATIONS -> "activations only";
            case GRADIENTS -> "activations and gradients";
            case FULL_GRADIENTS -> "input and bias gradients of the whole network";
            case GUIDED -> "guided-backprop input gradients";
            case HESSIAN -> "gradients and an exact Hessian-vector product (a second differentiation)";
        };
    }

    /** Whether the convention should keep the map signed before its scaling (torch-cam's CAM). */
    default boolean signedMap() {
        return false;
    }

    /**
     * Whether the maps of several layers are combined by their product, each scaled as if it were
     * alone (RefineCAM), instead of the convention's mean or maximum.
     */
    default boolean multipliesLayers() {
        return false;
    }

    /** Raw map of one layer for every image of the batch. */
    LayerMap compute(CamContext ctx, String layer);

    /** What a method needs besides activations (which every run gives). */
    enum Needs {
        /** Activations only (Eigen-CAM, Random-CAM). */
        ACTIVATIONS,
        /** Gradients at the target layer. */
        GRADIENTS,
        /** Input gradient and bias-node gradients over the whole network (FullGrad). */
        FULL_GRADIENTS,
        /** Input gradient with guided ReLUs (Guided Backprop and the guided CAMs). */
        GUIDED,
        /** Gradients and the Hessian-vector product H A at the layer (ShapleyCAM). */
        HESSIAN
    }
}
