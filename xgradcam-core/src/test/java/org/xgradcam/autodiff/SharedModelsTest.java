package org.xgradcam.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.GraphSurgery;
import org.xgradcam.onnx.LayerCatalog;
import org.xgradcam.runtime.ForwardSession;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Engines;
import org.xgradcam.testing.Fixtures;
import org.xgradcam.tensor.Vectors;

/**
 * The real ImageNet models of ../shared: logits equal the recorded ONNX Runtime outputs, the
 * default layer is the documented last feature map, and gradients at the default layer and at
 * an earlier one pass finite-difference spot checks through the graph after the layer.
 */
class SharedModelsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "mobilenetv2-12-int8-dequant-fp32, 1280x7x7, 159",
            "squeezenet1.1-7-fp32, 1000x13x13, -1",
            "squeezenet1.0-tflite-fp32, 1000x13x13, 159",
            "mobilenet_v1_0.25_128-quant-dequant-fp32, 256x4x4, -1"})
    void realModelsRunAndTheirGradientsPassSpotChecks(String name, String defaultShape, int ridgeback) {
        Engines e = Engines.load(Fixtures.shared("models/" + name + ".onnx"));
        LayerCatalog.Layer layer = e.catalog().requireDefault();
        assertThat(layer.describe()).isEqualTo(defaultShape);

        FloatTensor ridgebackInput = null;
        for (String image : List.of("ILSVRC2012_val_00000077", "chelsea", "coffee")) {
            FloatTensor x = Npy.read(Fixtures.shared("expected/" + name + "/" + image + "_input.npy"));
            FloatTensor expected = Npy.read(Fixtures.shared("expected/" + name + "/" + image + "_logits.npy"));
            try (GradientSession s = new GradientSession(e.augment(layer.tensor()), RuntimeOptions.cpu())) {
                GradientResult r = s.run(x, GradientSession.Seed.topClass());
                assertThat(Fixtures.relativeError(r.score(), expected)).as("logits of " + image).isLessThan(1e-5);
            }
            if (image.startsWith("ILSVRC")) {
                ridgebackInput = x;
            }
        }
        if (ridgeback >= 0) {
            assertThat(Vectors.argmax(Npy.read(Fixtures.shared("expected/" + name + "/ILSVRC2012_val_00000077_logits.npy")).data()))
                    .isEqualTo(ridgeback);
        }
        List<LayerCatalog.Layer> layers = e.catalog().layers().stream().filter(l -> e.catalog().isCut(l.tensor())).toList();
        LayerCatalog.Layer earlier = layers.get(layers.size() * 2 / 3);
        for (LayerCatalog.Layer l : List.of(layer, earlier)) {
            spotCheck(e, l.tensor(), ridgebackInput);
        }
    }

    /** Central differences of the class score through the tail model at the 6 largest gradients. */
    private static void spotCheck(Engines e, String layer, FloatTensor x) {
        GradientResult r;
        int cls = 159;
        int classes = (int) e.shapes().shape(e.catalog().score())[1];
        try (GradientSession s = new GradientSession(e.augment(layer), RuntimeOptions.cpu())) {
            r = s.run(x, GradientSession.Seed.classes(new int[] {cls}, classes));
        }
        FloatTensor a = r.activation(layer);
        float[] g = r.gradient(layer).data();
        Integer[] order = new Integer[g.length];
        for (int i = 0; i < g.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (p, q) -> Float.compare(Math.abs(g[q]), Math.abs(g[p])));
        double h = 2e-3;
        List<FloatTensor> batch = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            for (double sign : new double[] {1, -1}) {
                float[] v = a.data().clone();
                v[order[k]] += (float) (sign * h);
                batch.add(new FloatTensor(a.shape(), v).row(0));
            }
        }
        try (ForwardSession tail = new ForwardSession(GraphSurgery.tail(e.graph(), e.shapes(), layer, e.catalog().score()),
                layer, RuntimeOptions.cpu())) {
            float[] y = tail.run(FloatTensor.stack(batch), e.catalog().score()).data();
            double maxG = Math.abs(g[order[0]]);
            double score = Math.abs(r.score().data()[cls]);
            // float32 rounding of the score (a few ulps of |S|) divided by 2h, plus 1% of the
            // gradient scale for the rare step across a ReLU/ReLU6 kink inside the tail
            double rounding = 4 * Math.ulp((float) score) / (2 * h);
            for (int k = 0; k < 6; k++) {
                double fd = (y[(2 * k) * classes + cls] - y[(2 * k + 1) * classes + cls]) / (2 * h);
                assertThat(Math.abs(fd - g[order[k]])).as("FD at %s[%d]", layer, order[k])
                        .isLessThanOrEqualTo(rounding + 1e-2 * maxG);
            }
        }
    }
}
