package org.xgradcam.pipeline;

/** What a model scores, which decides what an explanation explains. */
public enum ModelKind {
    /** Class scores [N, classes] (CNNs and vision transformers alike): a class, or the top k. */
    CLASSIFIER("classifier"),
    /** Class scores per pixel [N, K, H, W] (per voxel [N, K, D, H, W]): a class over the pixels it wins. */
    SEGMENTER("segmenter"),
    /** A raw dense detection head [N, 4+K, A] or [N, A, 5+K] (YOLO-style): each detection by its class score. */
    DETECTION_HEAD("detection head"),
    /** A sequence [N, T, C], each step classified (a CTC text recogniser): the decoded text, or one step. */
    SEQUENCE("sequence"),
    /** A detector that selects its boxes in the graph (boxes, scores, labels): each detection by its score. */
    SELECTING_DETECTOR("detector");

    private final String id;

    ModelKind(String id) {
        this.id = id;
    }

    /** Its name in results ("classifier", "segmenter", "detection head", "sequence", "detector"). */
    public String id() {
        return id;
    }

    public boolean detects() {
        return this == DETECTION_HEAD || this == SELECTING_DETECTOR;
    }
}
