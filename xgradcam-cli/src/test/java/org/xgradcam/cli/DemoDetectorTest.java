package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.detection.DenseHead;
import org.xgradcam.detection.Detection;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.scenes.Scenes;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.tensor.Vectors;

/**
 * The embedded demo detector on held-out scenes (a seed it never saw in training): it finds the
 * shapes and names them, and XGrad-CAM's peak for each detection falls inside its box.
 * tools/demo_detector/train.py reports mAP@0.5 and the same pointing game in PyTorch.
 */
class DemoDetectorTest {
    static final int SCENES = 200;

    @TempDir
    Path tmp;

    @Test
    void findsTheShapesAndPointsAtThem() {
        ModelSpec spec = DemoModel.detector();
        Preprocessing pre = spec.preprocessing();
        int shapes = 0;
        int found = 0;
        int detections = 0;
        int correct = 0;
        int hits = 0;
        try (Explainer e = Explainer.open(spec, Explainer.Options.defaults())) {
            long[] head = e.shapes().shape(e.layers().score());
            DenseHead.Layout layout = DenseHead.detect(head);
            for (int i = 0; i < SCENES; i++) {
                Scenes.Scene s = Scenes.generate(424242, i, 96, 0.5);
                FloatTensor x = pre.toTensor(pre.fit(s.image()));
                List<Detection> all = DenseHead.decode(e.logits(x), layout, 0.25, 0.45);
                for (Scenes.Item t : s.items()) {
                    shapes++;
                    found += all.stream().anyMatch(d -> d.label() == t.classIndex() && iou(d, t) >= 0.5) ? 1 : 0;
                }
                for (Detection d : all) {
                    detections++;
                    correct += s.items().stream().anyMatch(t -> d.label() == t.classIndex() && iou(d, t) >= 0.5) ? 1 : 0;
                    Explanation ex = e.explain(x, Explainer.Request.of(Methods.byName("xgradcam"))
                            .withTarget(DenseHead.target(d, layout, head))).get(0);
                    int best = Vectors.argmax(ex.result("xgradcam").map().data());
                    int px = best % 96;
                    int py = best / 96;
                    hits += px >= d.x0() && px < d.x1() && py >= d.y0() && py < d.y1() ? 1 : 0;
                }
            }
        }
        double recall = (double) found / shapes;
        double precision = (double) correct / detections;
        double pointing = (double) hits / detections;
        System.out.printf("demo detector on %d held-out scenes: recall %.3f, precision %.3f (IoU 0.5), "
                + "XGrad-CAM pointing game %.3f over %d detections%n", SCENES, recall, precision, pointing, detections);
        assertThat(recall).as("shapes found (same class, IoU >= 0.5)").isGreaterThan(0.9);
        assertThat(precision).as("detections that are a shape").isGreaterThan(0.9);
        assertThat(pointing).as("XGrad-CAM peak inside the detection's box").isGreaterThanOrEqualTo(0.9);
    }

    @Test
    void theExampleSceneShowsBothShapes() {
        Path out = tmp.resolve("out");
        CliRunner.Result r = CliRunner.run("--model", "shapes-detector", "--image-path",
                Path.of("..", "examples", "star-and-circle.png").toString(), "--json", "--output-dir", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"class\": \"star\"").contains("\"class\": \"circle\"");
        assertThat(out.resolve("box-0").resolve("X_cam.jpg")).exists();
        assertThat(out.resolve("box-1").resolve("X_cam.jpg")).exists();
        assertThat(out.resolve("detections.jpg")).exists();
    }

    private static double iou(Detection d, Scenes.Item t) {
        return org.xgradcam.detection.Nms.iou(d.x0(), d.y0(), d.x1(), d.y1(), t.x0(), t.y0(), t.x1(), t.y1());
    }
}
