package org.xgradcam.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.io.Npy;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * torchvision's detectors (the real SSD, RetinaNet, FCOS and Faster R-CNN classes on a tiny
 * backbone, exported with their [3, H, W] input by tools/fixtures/export_detectors.py): the
 * detections equal torch's, and the gradients of a detection's score at backbone and FPN layers
 * equal torch autograd's, with the selection (top-k, NMS, thresholds) inside the graph.
 */
class SelectingDetectorTest {
    static final double MAX_RELATIVE_ERROR = 1e-4;

    /** A detector fixture: its folder, the ONNX tensors of its layers, its image as a batch of one. */
    private record Fixture(Path dir, ModelSpec spec, List<String> layers, FloatTensor x) {
        static Fixture of(String name) throws IOException {
            Path dir = Fixtures.resource("detectors/" + name);
            FloatTensor image = Npy.read(dir.resolve("input.npy"));
            return new Fixture(dir, ModelSpec.ofFile(dir.resolve("model.onnx")),
                    new ArrayList<>(Fixtures.layers(dir).stream().map(l -> l[2]).toList()),
                    new FloatTensor(new long[] {1, image.dim(0), image.dim(1), image.dim(2)}, image.data()));
        }

        SelectingDetector detector() {
            return new SelectingDetector(spec, Explainer.Options.defaults().withInputShape(x.shape()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ssd", "retinanet", "fcos", "fasterrcnn", "retinanet_op11", "fasterrcnn_op11", "maskrcnn", "keypointrcnn", "maskrcnn_op13"})
    void detectionsAndGradientsMatchPytorch(String name) throws IOException {
        Fixture f = Fixture.of(name);
        Path dir = f.dir();
        List<String> layers = f.layers();
        FloatTensor x = f.x();
        try (SelectingDetector detector = f.detector()) {
            List<Detection> found = detector.detect(x);
            float[] scores = Npy.read(dir.resolve("scores.npy")).data();
            float[] boxes = Npy.read(dir.resolve("boxes.npy")).data();
            assertThat(found).hasSize(scores.length);
            for (int i = 0; i < found.size(); i++) {
                Detection d = found.get(i);
                assertThat(d.score()).as("score %d", i).isCloseTo(scores[i], org.assertj.core.data.Offset.offset(1e-5f));
                assertThat(new float[] {d.x0(), d.y0(), d.x1(), d.y1()}).as("box %d", i)
                        .containsExactly(java.util.Arrays.copyOfRange(boxes, 4 * i, 4 * i + 4), org.assertj.core.data.Offset.offset(1e-3f));
            }
            try (Explainer explainer = detector.explainerFor(x)) {
                for (int det = 0; det < 2; det++) {
                    Explanation e = explainer.explain(x, Explainer.Request.of(Methods.byName("gradcam"))
                            .withLayers(layers).withTarget(SelectingDetector.target(found.get(det), found.size()))).get(0);
                    assertThat(e.score()).isCloseTo(scores[det], org.assertj.core.data.Offset.offset(1e-5));
                    for (int i = 0; i < layers.size(); i++) {
                        FloatTensor act = Npy.read(dir.resolve("act_" + i + ".npy"));
                        FloatTensor grad = Npy.read(dir.resolve("grad_" + det + "_" + i + ".npy"));
                        assertThat(Fixtures.relativeError(e.layers().get(i).activations(), act.row(0)))
                                .as("activation at %s", layers.get(i)).isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
                        assertThat(Fixtures.relativeError(e.layers().get(i).gradients(), grad.row(0)))
                                .as("gradient of detection %d at %s", det, layers.get(i)).isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
                    }
                }
            }
        }
    }

    /**
     * Every detection of one image from one forward ({@code explainEach}: the part after the layer
     * fed what it reads from before it): each detection's gradients equal torch autograd's, as
     * one run per detection gives them; the fed tail is built once per layer and used.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ssd", "retinanet", "fcos", "fasterrcnn", "retinanet_op11", "fasterrcnn_op11", "maskrcnn", "keypointrcnn", "maskrcnn_op13"})
    void everyDetectionFromOneForwardEqualsTorch(String name) throws IOException {
        Fixture f = Fixture.of(name);
        Path dir = f.dir();
        List<String> layers = f.layers();
        FloatTensor x = f.x();
        try (SelectingDetector detector = f.detector()) {
            List<Detection> found = detector.detect(x);
            float[] scores = Npy.read(dir.resolve("scores.npy")).data();
            try (Explainer explainer = detector.explainerFor(x, found)) {
                assertThat(explainer.oneImagePerRun()).isTrue();
                for (int i = 0; i < layers.size(); i++) {
                    int sessions = explainer.openSessions();
                    List<Explanation> each = explainer.explainEach(x, List.of(SelectingDetector.target(found.get(0), found.size()),
                            SelectingDetector.target(found.get(1), found.size())), Explainer.Request.of(Methods.byName("gradcam"),
                            Methods.byName("xgradcam")).withLayers(List.of(layers.get(i))));
                    assertThat(explainer.openSessions() - sessions).as("one holder: the forward and the fed tail").isEqualTo(1);
                    int afterEach = explainer.openSessions();
                    explainer.explain(x, Explainer.Request.of(Methods.byName("gradcam")).withLayers(List.of(layers.get(i)))
                            .withTarget(SelectingDetector.target(found.get(0), found.size())));
                    assertThat(explainer.openSessions() - afterEach).as("the whole model's session was not what explainEach ran")
                            .isEqualTo(1);
                    FloatTensor act = Npy.read(dir.resolve("act_" + i + ".npy"));
                    for (int det = 0; det < 2; det++) {
                        Explanation e = each.get(det);
                        assertThat(e.score()).isCloseTo(scores[det], org.assertj.core.data.Offset.offset(1e-5));
                        FloatTensor grad = Npy.read(dir.resolve("grad_" + det + "_" + i + ".npy"));
                        assertThat(Fixtures.relativeError(e.layers().get(0).activations(), act.row(0))).isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
                        assertThat(Fixtures.relativeError(e.layers().get(0).gradients(), grad.row(0)))
                                .as("gradient of detection %d at %s", det, layers.get(i)).isLessThanOrEqualTo(MAX_RELATIVE_ERROR);
                    }
                }
            }
        }
    }

    /**
     * More detections than one graph copies its backward for (several runs of copies): each equals
     * its own run of the whole model.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"retinanet", "fasterrcnn"})
    void manyDetectionsFromOneForwardEqualOneRunEach(String name) throws IOException {
        Fixture f = Fixture.of(name);
        String layer = f.layers().get(0);
        FloatTensor x = f.x();
        try (SelectingDetector detector = f.detector()) {
            List<Detection> found = detector.detect(x);
            List<org.xgradcam.cam.Target> targets = new ArrayList<>();
            for (int d = 0; d < 11; d++) {
                targets.add(SelectingDetector.target(found.get(d), found.size()));
            }
            try (Explainer explainer = detector.explainerFor(x, found)) {
                Explainer.Request request = Explainer.Request.of(Methods.byName("xgradcam")).withLayers(List.of(layer));
                List<Explanation> each = explainer.explainEach(x, targets, request);
                for (int d = 0; d < targets.size(); d++) {
                    Explanation one = explainer.explain(x, request.withTarget(targets.get(d))).get(0);
                    assertThat(each.get(d).score()).isCloseTo(one.score(), org.assertj.core.data.Offset.offset(1e-5));
                    assertThat(Fixtures.relativeError(each.get(d).layers().get(0).gradients(), one.layers().get(0).gradients()))
                            .as("detection %d", d).isLessThanOrEqualTo(1e-5);
                    assertThat(Fixtures.relativeError(each.get(d).result("xgradcam").map(), one.result("xgradcam").map()))
                            .isLessThanOrEqualTo(1e-5);
                }
            }
        }
    }

    /**
     * Mask R-CNN and Keypoint R-CNN exported with every output: read as detectors (not as
     * classifiers scoring their boxes), and each detection's mask or keypoints equal torch's.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"maskrcnn", "keypointrcnn"})
    void masksAndKeypointsComeWithTheirDetections(String name) throws IOException {
        Fixture f = Fixture.of(name);
        Path dir = f.dir();
        assertThat(SelectingDetector.accepts(f.spec())).isTrue();
        FloatTensor x = f.x();
        try (SelectingDetector detector = f.detector()) {
            SelectingDetector.Found found = detector.detectWithParts(x);
            assertThat(found.parts()).hasSameSizeAs(found.detections());
            for (int det = 0; det < 2; det++) {
                org.xgradcam.image.Boxes.Parts parts = found.parts().get(det);
                if (name.equals("maskrcnn")) {
                    FloatTensor mask = Npy.read(dir.resolve("masks.npy")).row(det);
                    assertThat(Fixtures.relativeError(new FloatTensor(mask.shape(), parts.mask()), mask)).as("mask %d", det)
                            .isLessThanOrEqualTo(1e-3);
                    assertThat(parts.keypoints()).isNull();
                } else {
                    FloatTensor kp = Npy.read(dir.resolve("keypoints.npy")).row(det);
                    assertThat(Fixtures.relativeError(new FloatTensor(kp.shape(), parts.keypoints()), kp)).as("keypoints %d", det)
                            .isLessThanOrEqualTo(1e-4);
                    assertThat(parts.mask()).isNull();
                }
            }
        }
    }

    /**
     * pytorch-grad-cam's maps for detection 0 as its Faster R-CNN tutorial makes them
     * (FasterRCNNBoxScoreTarget with the detection's label and box; its IoU term adds no gradient
     * at the detection's own box), with pytorch-grad-cam's post-processing.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ssd", "retinanet", "fcos", "fasterrcnn", "maskrcnn", "keypointrcnn"})
    void mapsMatchPytorchGradCam(String name) throws IOException {
        Fixture f = Fixture.of(name);
        Path dir = f.dir();
        String layer = f.layers().get(f.layers().size() - 1);
        FloatTensor x = f.x();
        try (SelectingDetector detector = f.detector();
             Explainer explainer = detector.explainerFor(x)) {
            List<Detection> found = detector.detect(x);
            Explanation e = explainer.explain(x, Explainer.Request.of(Methods.byName("gradcam"), Methods.byName("xgradcam"),
                    Methods.byName("eigencam")).withLayers(List.of(layer)).withConvention(org.xgradcam.cam.PostProcess.PYTORCH_GRAD_CAM)
                    .withTarget(SelectingDetector.target(found.get(0), found.size()))).get(0);
            FloatTensor raw = e.result("eigencam").layers().get(0).raw();
            FloatTensor projection = Npy.read(dir.resolve("pgc_eigencam_raw.npy"));
            FloatTensor flipped = new FloatTensor(projection.shape(), projection.data().clone());
            for (int i = 0; i < flipped.size(); i++) {
                flipped.data()[i] = -flipped.data()[i];
            }
            raw = new FloatTensor(projection.shape(), raw.data());
            assertThat(Math.min(Fixtures.relativeError(raw, projection), Fixtures.relativeError(raw, flipped)))
                    .as("Eigen-CAM's projection, up to its sign").isLessThan(1e-4);
            for (String m : List.of("gradcam", "xgradcam")) {
                FloatTensor ref = Npy.read(dir.resolve("pgc_" + m + ".npy"));
                FloatTensor map = e.result(m).map();
                assertThat(Fixtures.relativeError(new FloatTensor(ref.shape(), map.data()), ref)).as("%s map", m)
                        .isLessThanOrEqualTo(1e-3);
            }
        }
    }
}
