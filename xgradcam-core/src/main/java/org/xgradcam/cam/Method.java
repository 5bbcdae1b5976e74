package org.xgradcam.cam;

/**
 * The methods by name, for the short path ({@link Explainer#explain(java.nio.file.Path, Method)}):
 * each constant makes the method its id names in {@link Methods} (see docs/methods.md for the
 * formulas).
 */
public enum Method {
    /** XGrad-CAM (Fu et al. 2020): w_k = sum(A_k dS/dA_k) / (sum(A_k) + eps). */
    XGRAD_CAM("xgradcam"),
    /** Grad-CAM (Selvaraju et al. 2017): w_k = mean(dS/dA_k). */
    GRAD_CAM("gradcam"),
    /** Grad-CAM++ (Chattopadhay et al. 2018). */
    GRAD_CAM_PLUS_PLUS("gradcamplusplus"),
    /** HiResCAM (Draelos and Carin 2020): sum_k dS/dA_k * A_k. */
    HIRES_CAM("hirescam"),
    /** Grad-CAM element-wise: sum_k relu(dS/dA_k * A_k). */
    GRAD_CAM_ELEMENTWISE("gradcamelementwise"),
    /** LayerCAM (Jiang et al. 2021): sum_k relu(dS/dA_k) * A_k. */
    LAYER_CAM("layercam"),
    /** Finer-CAM (Zhang et al. 2025), on Grad-CAM. */
    FINER_CAM("finercam"),
    /** FEM (Fuad et al. 2020). */
    FEM("fem"),
    /** Eigen-CAM (Muhammad and Yeasin 2020): the activations' first principal component. */
    EIGEN_CAM("eigencam"),
    /** EigenGrad-CAM: the first principal component of activations times gradients. */
    EIGEN_GRAD_CAM("eigengradcam"),
    /** KPCA-CAM (Karmani et al. 2024). */
    KPCA_CAM("kpcacam"),
    /** Seg-Eigen-CAM (Chung and Ying 2025): Eigen-CAM of |dS/dA| * A, for segmentation. */
    SEG_EIGEN_CAM("segeigencam"),
    /** Deep Feature Factorization (Collins et al. 2018). */
    DFF("dff"),
    /** Score-CAM (Wang et al. 2020). */
    SCORE_CAM("scorecam"),
    /** SS-CAM (Wang et al. 2020). */
    SS_CAM("sscam"),
    /** IS-CAM (Naidu et al. 2020). */
    IS_CAM("iscam"),
    /** Faster-ScoreCAM. */
    FASTER_SCORE_CAM("fasterscorecam"),
    /** Ablation-CAM (Desai and Ramaswamy 2020). */
    ABLATION_CAM("ablationcam"),
    /** Ablation-CAM with each channel ablated at every given layer at once (weights shared by the layers). */
    ABLATION_CAM_MULTILAYER("ablationcammultilayer"),
    /** FullGrad (Srinivas and Fleuret 2019). */
    FULL_GRAD("fullgrad"),
    /** Guided Backprop (Springenberg et al. 2015): a picture, no heat map. */
    GUIDED_BACKPROP("guidedbackprop"),
    /** Guided Grad-CAM. */
    GUIDED_GRAD_CAM("guidedgradcam"),
    /** Guided XGrad-CAM. */
    GUIDED_XGRAD_CAM("guidedxgradcam"),
    /** Random-CAM: a sanity baseline. */
    RANDOM_CAM("randomcam"),
    /** CAM (Zhou et al. 2016): the classifier's weights after a global average pool. */
    CAM("cam"),
    /** Smooth Grad-CAM++ (Omeiza et al. 2019), as torch-cam computes it. */
    SMOOTH_GRAD_CAM_PLUS_PLUS("smoothgradcamplusplus"),
    /** ShapleyCAM (Cai et al. 2025): w_k = mean(g - H A / 2), with an exact Hessian-vector product. */
    SHAPLEY_CAM("shapleycam"),
    /** RefineCAM (arXiv 2605.14641): the product of Grad-CAM++'s maps over several layers. */
    REFINE_CAM("refinecam");

    private final String id;

    Method(String id) {
        this.id = id;
    }

    /** The id used on the command line and in file names, e.g. "xgradcam". */
    public String id() {
        return id;
    }

    /** A new instance of the method. */
    public CamMethod create() {
        return Methods.byName(id);
    }
}
