package org.xgradcam.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.xgradcam.onnx.Attributes;

/**
 * One small model of each kind, for tests that run every front end on every kind: the embedded
 * demo classifier and demo detector (by their files), and a segmenter built here (an FCN in
 * miniature: a strided convolution, ReLU, 1x1 class scores, bilinear upsampling back to 96x96).
 */
public final class KindsOfModels {
    private KindsOfModels() {}

    /** The folder holding the embedded demo models' files, from a module's folder. */
    private static Path demo(String file) {
        return Path.of("..", "xgradcam-core", "src", "main", "resources", "org", "xgradcam", "models", "demo", file);
    }

    /** The demo classifier's file (six shape classes, 96x96). */
    public static Path classifier() {
        return demo("shapes.onnx");
    }

    /** The demo detector's file (a YOLO-style dense head over the same shapes). */
    public static Path detector() {
        return demo("shapes-detector.onnx");
    }

    /** A three-class segmenter [1, 3, 96, 96] written into {@code dir}; its path. */
    public static Path segmenter(Path dir) throws java.io.IOException {
        TestGraph g = new TestGraph(13);
        Random w = new Random(5);
        String x = g.input("input", 1, 3, 96, 96);
        String f = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(w, 0.3f, 8, 3, 3, 3), g.random(w, 0.1f, 8)),
                Attributes.ofInts("pads", 1, 1, 1, 1), Attributes.ofInts("strides", 2, 2))));
        String scores = g.node("Conv", List.of(f, g.random(w, 0.5f, 3, 8, 1, 1), g.random(w, 0.5f, 3)));
        String up = g.node("Resize", List.of(scores, "", "", g.ints(1, 3, 96, 96)), Attributes.ofString("mode", "linear"));
        Path p = dir.resolve("seg.onnx");
        Files.write(p, g.build(up).toBytes());
        return p;
    }
}
