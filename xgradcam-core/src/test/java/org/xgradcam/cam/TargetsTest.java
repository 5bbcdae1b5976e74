package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.GraphSurgery;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.ForwardSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;
import org.xgradcam.testing.TestGraph;

/**
 * Non-default targets: their gradients at the layer against central differences of the target
 * score computed from the graph after the layer.
 */
class TargetsTest {

    /** Gradient at the 8 largest entries vs FD of score(tail(A)), h = 1e-2, float32 noise bound. */
    private static void check(Explainer e, FloatTensor x, Target target, ToDoubleFunction<float[]> score) {
        Explanation ex = e.explain(x, Explainer.Request.of(Methods.byName("gradcam")).withTarget(target)).get(0);
        String layer = ex.layer();
        float[] a = ex.activations().data();
        float[] g = ex.gradients().data();
        Integer[] order = new Integer[g.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (p, q) -> Float.compare(Math.abs(g[q]), Math.abs(g[p])));
        try (ForwardSession tail = new ForwardSession(GraphSurgery.tail(e.graph(), e.shapes(), layer, e.layers().score()),
                layer, RuntimeOptions.cpu())) {
            long[] shape = ex.activations().shape();
            long[] batched = new long[shape.length + 1];
            batched[0] = 1;
            System.arraycopy(shape, 0, batched, 1, shape.length);
            double h = 1e-2;
            for (int k = 0; k < 8; k++) {
                float[] plus = a.clone();
                float[] minus = a.clone();
                plus[order[k]] += (float) h;
                minus[order[k]] -= (float) h;
                double fd = (score.applyAsDouble(tail.run(new FloatTensor(batched, plus)).values().iterator().next().data())
                        - score.applyAsDouble(tail.run(new FloatTensor(batched, minus)).values().iterator().next().data())) / (2 * h);
                assertThat(Math.abs(fd - g[order[k]])).as("position %d", order[k])
                        .isLessThanOrEqualTo(1e-4 + 1e-2 * Math.abs(g[order[0]]));
            }
        }
    }

    private static Explainer vgg() {
        return Explainer.open(OnnxModel.load(Fixtures.resource("torchvision/vgg/model.onnx")),
                Explainer.Options.defaults().withInputShape(new long[] {1, 3, 32, 32}));
    }

    private static FloatTensor input() {
        return Npy.read(Fixtures.resource("torchvision/vgg/input.npy")).row(0).reshape(1, 3, 32, 32);
    }

    @Test
    void softmaxProbability() {
        try (Explainer e = vgg()) {
            check(e, input(), Target.probability(4), y -> softmax(y)[4]);
        }
    }

    @Test
    void cosineSimilarityToAnEmbedding() {
        float[] emb = new float[10];
        Random r = new Random(3);
        for (int i = 0; i < emb.length; i++) {
            emb[i] = (float) r.nextGaussian();
        }
        double norm = 0;
        for (float v : emb) {
            norm += v * v;
        }
        double en = Math.sqrt(norm);
        try (Explainer e = vgg()) {
            check(e, input(), Target.embedding(emb, true), y -> {
                double dot = 0;
                double yy = 0;
                for (int i = 0; i < y.length; i++) {
                    dot += y[i] * emb[i];
                    yy += y[i] * y[i];
                }
                return dot / (Math.sqrt(yy) * en);
            });
            check(e, input(), Target.embedding(emb, false), y -> {
                double dot = 0;
                for (int i = 0; i < y.length; i++) {
                    dot += y[i] * emb[i];
                }
                return dot;
            });
        }
    }

    @Test
    void segmentationMask() {
        TestGraph g = new TestGraph(13);
        Random w = new Random(9);
        String x = g.input("x", 1, 3, 12, 12);
        String f = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(w, 0.4f, 8, 3, 3, 3), g.random(w, 0.1f, 8)),
                org.xgradcam.onnx.Attributes.ofInts("pads", 1, 1, 1, 1))));
        String pooled = g.node("MaxPool", List.of(f), org.xgradcam.onnx.Attributes.ofInts("kernel_shape", 2, 2),
                org.xgradcam.onnx.Attributes.ofInts("strides", 2, 2));
        String up = g.node("ConvTranspose", List.of(pooled, g.random(w, 0.4f, 8, 4, 2, 2)),
                org.xgradcam.onnx.Attributes.ofInts("strides", 2, 2));
        checkSegmentation(g.build(up), w, 2, i -> (i % 12) < 6 && (i / 12) > 3);
    }

    /** Class cls's 12x12 scores summed inside the mask, against finite differences. */
    private static void checkSegmentation(org.xgradcam.onnx.OnnxModel model, Random w, int cls,
                                          java.util.function.IntPredicate inside) {
        float[] mask = new float[144];
        for (int i = 0; i < 144; i++) {
            mask[i] = inside.test(i) ? 1f : 0f;
        }
        FloatTensor in = new FloatTensor(new long[] {1, 3, 12, 12}, new float[432]);
        for (int i = 0; i < 432; i++) {
            in.data()[i] = (float) w.nextGaussian();
        }
        try (Explainer e = Explainer.open(model, Explainer.Options.defaults())) {
            check(e, in, Target.segmentation(cls, mask, 12, 12), y -> {
                double s = 0;
                for (int i = 0; i < 144; i++) {
                    s += mask[i] * y[cls * 144 + i];
                }
                return s;
            });
        }
    }

    /** As torchvision's FCN and DeepLab heads: class scores at 1/2 resolution, bilinear upsampling to the input. */
    @Test
    void segmentationThroughABilinearUpsampling() {
        TestGraph g = new TestGraph(13);
        Random w = new Random(11);
        String x = g.input("x", 1, 3, 12, 12);
        String f = g.node("Relu", List.of(g.node("Conv", List.of(x, g.random(w, 0.4f, 8, 3, 3, 3), g.random(w, 0.1f, 8)),
                org.xgradcam.onnx.Attributes.ofInts("pads", 1, 1, 1, 1), org.xgradcam.onnx.Attributes.ofInts("strides", 2, 2))));
        String scores = g.node("Conv", List.of(f, g.random(w, 0.4f, 4, 8, 1, 1), g.random(w, 0.1f, 4)));
        String up = g.node("Resize", List.of(scores, "", "", g.ints(1, 4, 12, 12)),
                org.xgradcam.onnx.Attributes.ofString("mode", "linear"),
                org.xgradcam.onnx.Attributes.ofString("coordinate_transformation_mode", "pytorch_half_pixel"));
        checkSegmentation(g.build(up), w, 1, i -> (i % 12) > 4 && (i / 12) < 7);
    }

    private static double[] softmax(float[] y) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : y) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            e[i] = Math.exp(y[i] - max);
            sum += e[i];
        }
        for (int i = 0; i < y.length; i++) {
            e[i] /= sum;
        }
        return e;
    }
}
