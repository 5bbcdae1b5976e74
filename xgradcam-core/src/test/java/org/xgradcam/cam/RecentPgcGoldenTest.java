package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.io.Npy;
import org.xgradcam.metrics.Faithfulness;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/**
 * Seg-Eigen-CAM, RefineCAM and the ARCC metrics against pytorch-grad-cam's own code as it runs
 * (tools/fixtures/pgc_recent_references.py), on the VGG-style and ResNet fixtures, 2 images each,
 * top class; ROAD's imputation noise is 0 on both sides.
 */
class RecentPgcGoldenTest {

    private static String tensor(Path dir, String module) throws java.io.IOException {
        return Fixtures.layers(dir).stream().filter(p -> p[1].equals(module)).findFirst().orElseThrow()[2];
    }

    private static List<String> refineLayers(String model) {
        return model.equals("vgg") ? List.of("features.4", "features.9") : List.of("layer1", "layer2");
    }

    private static String segLayer(String model) {
        return model.equals("vgg") ? "features.10" : "layer2";
    }

    private static Explainer open(Path dir, FloatTensor x) throws Exception {
        return Explainer.open(OnnxModel.load(dir.resolve("model.onnx")), Explainer.Options.defaults().withInputShape(x.shape()));
    }

    private static FloatTensor maps(List<Explanation> ex, String id) {
        return FloatTensor.stack(ex.stream().map(e -> e.result(id).map()).toList());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"vgg", "resnet"})
    void segEigenCamIsPytorchGradCams(String model) throws Exception {
        Path dir = Fixtures.resource("torchvision/" + model);
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        try (Explainer e = open(dir, x)) {
            List<Explanation> ex = e.explain(x, Explainer.Request.of(Methods.byName("segeigencam"))
                    .withLayers(List.of(tensor(dir, segLayer(model)))).withConvention(PostProcess.PYTORCH_GRAD_CAM));
            FloatTensor raw = FloatTensor.stack(ex.stream().map(r -> r.result("segeigencam").layers().get(0).raw()).toList());
            assertThat(Fixtures.relativeError(raw, Npy.read(dir.resolve("recent/segeigencam_raw.npy")))).isLessThanOrEqualTo(1e-4);
            assertThat(CamGoldenTest.maxAbs(maps(ex, "segeigencam"), Npy.read(dir.resolve("recent/segeigencam_pgc.npy"))))
                    .isLessThanOrEqualTo(1e-4);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"vgg, refinecam", "resnet, refinecam", "vgg, refinecam:xgradcam", "resnet, refinecam:xgradcam"})
    void refineCamIsPytorchGradCams(String model, String method) throws Exception {
        Path dir = Fixtures.resource("torchvision/" + model);
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        List<String> layers = new java.util.ArrayList<>();
        for (String m : refineLayers(model)) {
            layers.add(tensor(dir, m));
        }
        CamMethod refine = Methods.byName(method);
        try (Explainer e = open(dir, x)) {
            List<Explanation> ex = e.explain(x, Explainer.Request.of(refine).withLayers(layers)
                    .withConvention(PostProcess.PYTORCH_GRAD_CAM));
            FloatTensor expected = Npy.read(dir.resolve("recent/" + refine.id() + "_pgc.npy"));
            assertThat(CamGoldenTest.maxAbs(maps(ex, refine.id()), expected)).isLessThanOrEqualTo(1e-4);
            // the product is not the mean of the same layers (what several layers give other methods)
            List<Explanation> mean = e.explain(x, Explainer.Request.of(((org.xgradcam.cam.methods.RefineCam) refine).base())
                    .withLayers(layers).withConvention(PostProcess.PYTORCH_GRAD_CAM));
            FloatTensor meanMaps = maps(mean, ((org.xgradcam.cam.methods.RefineCam) refine).base().id());
            assertThat(CamGoldenTest.maxAbs(meanMaps, expected)).isGreaterThan(0.05);
        }
    }

    /**
     * Ablation-CAM with each channel ablated at both layers at once (weights shared), against
     * pytorch-grad-cam's ablation_cam_multilayer.py with only its call signature adapted (as
     * shipped it fails with a TypeError); its batch is the channel count, as the fixture sets it.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"vgg, features.9, features.10", "resnet, layer1.0, layer1"})
    void multiLayerAblationCamIsPytorchGradCamsAsItMeansToRun(String model, String first, String second) throws Exception {
        Path dir = Fixtures.resource("torchvision/" + model);
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        List<String> layers = List.of(tensor(dir, first), tensor(dir, second));
        FloatTensor weights = Npy.read(dir.resolve("recent/ablationcammultilayer_weights.npy"));
        try (Explainer e = Explainer.open(OnnxModel.load(dir.resolve("model.onnx")),
                Explainer.Options.defaults().withInputShape(x.shape()).withBatchSize(weights.dim(1)))) {
            List<Explanation> ex = e.explain(x, Explainer.Request.of(Methods.byName("ablationcammultilayer")).withLayers(layers)
                    .withConvention(PostProcess.PYTORCH_GRAD_CAM));
            for (int l = 0; l < 2; l++) {
                final int layer = l;
                FloatTensor w = FloatTensor.stack(ex.stream().map(r -> r.result("ablationcammultilayer").layers().get(layer)
                        .weights()).toList());
                assertThat(Fixtures.relativeError(w, weights)).as("weights at %s", layers.get(l)).isLessThanOrEqualTo(1e-4);
            }
            assertThat(CamGoldenTest.maxAbs(maps(ex, "ablationcammultilayer"),
                    Npy.read(dir.resolve("recent/ablationcammultilayer_pgc.npy")))).isLessThanOrEqualTo(1e-4);
            if (model.equals("vgg")) {
                return; // a ReLU, then its max-pool: ablating the first already ablates the second
            }
            // ResNet's block 1.1 adds to what it reads: not each layer ablated alone, whose weights differ
            List<Explanation> alone = e.explain(x, Explainer.Request.of(Methods.byName("ablationcam")).withLayers(layers)
                    .withConvention(PostProcess.PYTORCH_GRAD_CAM));
            FloatTensor w0 = FloatTensor.stack(alone.stream().map(r -> r.result("ablationcam").layers().get(0).weights()).toList());
            assertThat(Fixtures.relativeError(w0, weights)).isGreaterThan(1e-2);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"vgg, gradcam", "resnet, gradcam", "vgg, refinecam", "resnet, refinecam"})
    void arccIsPytorchGradCams(String model, String method) throws Exception {
        Path dir = Fixtures.resource("torchvision/" + model);
        Path ref = dir.resolve("recent");
        FloatTensor x = Npy.read(dir.resolve("input.npy"));
        FloatTensor given = Npy.read(ref.resolve(method + "_arcc_map.npy"));
        float[] classes = Npy.read(ref.resolve("classes.npy")).data();
        List<String> layers = new java.util.ArrayList<>();
        for (String m : method.equals("gradcam") ? List.of(segLayer(model)) : refineLayers(model)) {
            layers.add(tensor(dir, m));
        }
        try (Explainer e = open(dir, x)) {
            Faithfulness f = new Faithfulness(e);
            for (int r = 0; r < x.dim(0); r++) {
                int c = (int) classes[r];
                FloatTensor image = x.row(r);
                image = new FloatTensor(new long[] {1, x.dim(1), x.dim(2), x.dim(3)}, image.data());
                float[] map = given.row(r).data();
                Explanation again = e.explain(Faithfulness.masked(image, map), Explainer.Request.of(Methods.byName(method))
                        .withLayers(layers).withTarget(Target.classes(c)).withConvention(PostProcess.PYTORCH_GRAD_CAM)).get(0);
                var road = f.road(image, map, c, new double[] {80, 60, 40, 20}, 0, 1, Faithfulness.Score.LOGIT);
                Faithfulness.Arcc a = Faithfulness.arcc(map, again.result(method).map().data(), Faithfulness.roadCombined(road));
                assertThat(a.complexity()).as("complexity").isCloseTo(Npy.read(ref.resolve(method + "_complexity.npy")).data()[r],
                        within(1e-6));
                assertThat(a.coherency()).as("coherency").isCloseTo(Npy.read(ref.resolve(method + "_coherency.npy")).data()[r],
                        within(1e-4));
                float[] morf = Npy.read(ref.resolve(method + "_road_morf.npy")).row(r).data();
                float[] lerf = Npy.read(ref.resolve(method + "_road_lerf.npy")).row(r).data();
                for (int i = 0; i < road.size(); i++) {
                    // the imputation is solved to 1e-3 per pixel (a tenth of its noise): logits agree to ~5e-6
                    assertThat(road.get(i).mostRelevantFirst()).as("MoRF " + road.get(i).percent()).isCloseTo(morf[i], within(3e-5));
                    assertThat(road.get(i).leastRelevantFirst()).as("LeRF " + road.get(i).percent()).isCloseTo(lerf[i], within(3e-5));
                }
                assertThat(a.road()).as("road").isCloseTo(Npy.read(ref.resolve(method + "_road.npy")).data()[r], within(1e-5));
                assertThat(a.arcc()).as("arcc").isCloseTo(Npy.read(ref.resolve(method + "_arcc.npy")).data()[r], within(1e-4));
            }
        }
    }
}
