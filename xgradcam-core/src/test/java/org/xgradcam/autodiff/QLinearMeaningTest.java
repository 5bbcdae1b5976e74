package org.xgradcam.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;
import org.xgradcam.testing.TestGraph;

/**
 * Each QLinear op of the QOperator format against its meaning written out as QDQ pairs around
 * the float op (dequantize, float op, quantize), whose rules equal torch's straight-through
 * autograd (ShippedFormatsTest): the same forward integers, the same gradients. Scales are powers
 * of two and the output range is narrow, so every op's requantization clamps somewhere.
 */
class QLinearMeaningTest {
    static final long[] SHAPE = {1, 4, 6, 6};
    static final String MS = "com.microsoft";
    static final java.util.Set<String> SMALL = java.util.Set.of("QLinearGlobalAveragePool", "QLinearAveragePool", "QLinearSigmoid");

    /** The graph's pieces both spellings share. */
    record Parts(TestGraph g, String sx, String zx, String sy, String zy, String sb, String zb) {
        String q(String x, String s, String z) {
            return g.node("QuantizeLinear", List.of(x, s, z));
        }

        String dq(String q, String s, String z) {
            return g.node("DequantizeLinear", List.of(q, s, z));
        }

        /** Requantized and read back: the float op's output as the QLinear op's output means it. */
        String requantized(String y) {
            return dq(q(y, sy, zy), sy, zy);
        }
    }

    static float[] pow2Scales(int n, Random rnd) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = (float) Math.pow(2, -3 - rnd.nextInt(3));
        }
        return s;
    }

    /** The model: h = x + 0 (the layer explained), the op on h quantized, a linear head to 3 logits. */
    static OnnxModel model(String op, boolean qoperator) {
        Random rnd = new Random(7);
        TestGraph g = new TestGraph(13);
        String x = g.input("x", SHAPE);
        String h = g.node("Add", List.of(x, g.constant(new float[1], 1)));
        Parts p = new Parts(g, g.constant(new float[] {1 / 16f}), g.bytes(false, new byte[] {(byte) 128}),
                // outputs in [-4, 4), or [-7.875, 0.125) for those that stay small (averages, sigmoid): some clamp
                g.constant(new float[] {1 / 32f}), g.bytes(false, new byte[] {(byte) (SMALL.contains(op) ? 252 : 128)}),
                g.constant(new float[] {1 / 8f}), g.bytes(false, new byte[] {(byte) 120}));
        String hq = p.q(h, p.sx(), p.zx());
        String hd = p.dq(hq, p.sx(), p.zx());
        // a second operand for the binary ops: h scaled per channel, with a scale of its own
        String bq = p.q(g.node("Mul", List.of(h, g.random(rnd, 1f, 1, 4, 1, 1))), p.sb(), p.zb());
        String bd = p.dq(bq, p.sb(), p.zb());
        String y = switch (op) {
            case "QLinearConv" -> {
                byte[] w = new byte[5 * 4 * 3 * 3];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (byte) (rnd.nextInt(255) - 127);
                }
                float[] ws = pow2Scales(5, rnd);
                String wq = g.bytes(true, w, 5, 4, 3, 3);
                String wsc = g.constant(ws, 5);
                String wz = g.bytes(true, new byte[5], 5);
                var pads = Attributes.ofInts("pads", new long[] {1, 1, 1, 1});
                yield qoperator ? p.dq(g.node("QLinearConv", List.of(hq, p.sx(), p.zx(), wq, wsc, wz, p.sy(), p.zy()), pads), p.sy(), p.zy())
                        : p.requantized(g.node("Conv", List.of(hd, g.node("DequantizeLinear", List.of(wq, wsc, wz),
                        Attributes.ofInt("axis", 0))), pads));
            }
            case "QLinearMatMul" -> {
                byte[] w = new byte[6 * 5];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (byte) (rnd.nextInt(255) - 127);
                }
                String wq = g.bytes(true, w, 6, 5);
                String wsc = g.constant(new float[] {1 / 64f});
                String wz = g.bytes(true, new byte[1]);
                yield qoperator ? p.dq(g.node("QLinearMatMul", List.of(hq, p.sx(), p.zx(), wq, wsc, wz, p.sy(), p.zy())), p.sy(), p.zy())
                        : p.requantized(g.node("MatMul", List.of(hd, p.dq(wq, wsc, wz))));
            }
            case "QLinearAdd", "QLinearMul" -> qoperator
                    ? p.dq(g.nodeIn(MS, op, List.of(hq, p.sx(), p.zx(), bq, p.sb(), p.zb(), p.sy(), p.zy())), p.sy(), p.zy())
                    : p.requantized(g.node(op.substring(7), List.of(hd, bd)));
            case "QLinearConcat" -> qoperator
                    ? p.dq(g.nodeIn(MS, op, List.of(p.sy(), p.zy(), hq, p.sx(), p.zx(), bq, p.sb(), p.zb()), Attributes.ofInt("axis", 1)),
                    p.sy(), p.zy())
                    : p.requantized(g.node("Concat", List.of(hd, bd), Attributes.ofInt("axis", 1)));
            case "QLinearGlobalAveragePool", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearAveragePool" -> {
                var attrs = switch (op) {
                    case "QLinearLeakyRelu" -> List.of(Attributes.ofFloat("alpha", 0.1f));
                    case "QLinearAveragePool" -> List.of(Attributes.ofInts("kernel_shape", new long[] {2, 2}),
                            Attributes.ofInts("strides", new long[] {2, 2}));
                    case "QLinearGlobalAveragePool" -> List.of(Attributes.ofInt("channels_last", 0));
                    default -> List.<org.xgradcam.onnx.proto.OnnxProto.AttributeProto>of();
                };
                var floatAttrs = attrs.stream().filter(a -> !a.getName().equals("channels_last")).toList();
                yield qoperator
                        ? p.dq(g.nodeIn(MS, op, List.of(hq, p.sx(), p.zx(), p.sy(), p.zy()),
                        attrs.toArray(new org.xgradcam.onnx.proto.OnnxProto.AttributeProto[0])), p.sy(), p.zy())
                        : p.requantized(g.node(op.substring(7), List.of(hd),
                        floatAttrs.toArray(new org.xgradcam.onnx.proto.OnnxProto.AttributeProto[0])));
            }
            default -> throw new IllegalArgumentException(op);
        };
        String flat = g.node("Flatten", List.of(y));
        long features = ModelShapes.of(new Graph(OnnxModel.fromBytes(g.build(flat).proto().toByteArray(), "probe")), SHAPE)
                .shape(flat)[1];
        String logits = g.node("MatMul", List.of(flat, g.random(rnd, 1f, features, 3)));
        g.node("Identity", List.of(logits)); // keeps the head's output named apart
        return OnnxModel.fromBytes(g.build(logits).proto().toByteArray(), op + (qoperator ? " (QOperator)" : " (QDQ)"));
    }

    /** The layer's gradient and the score, for the seed (1, -0.5, 0.25). */
    record Run(FloatTensor score, FloatTensor gradient) {}

    static Run run(OnnxModel m, FloatTensor x) {
        Graph graph = new Graph(m);
        String score = m.proto().getGraph().getOutput(0).getName();
        String layer = m.proto().getGraph().getNode(0).getOutput(0);
        AugmentedModel aug = GradientBuilder.build(graph, ModelShapes.of(graph, SHAPE), GradientRequest.of(List.of(layer), score));
        try (GradientSession s = new GradientSession(aug, RuntimeOptions.cpu())) {
            GradientResult r = s.run(x, GradientSession.Seed.of(new FloatTensor(new long[] {1, 3}, new float[] {1f, -0.5f, 0.25f})));
            return new Run(r.score(), r.gradient(layer));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"QLinearConv", "QLinearMatMul", "QLinearAdd", "QLinearMul", "QLinearConcat",
            "QLinearGlobalAveragePool", "QLinearAveragePool", "QLinearSigmoid", "QLinearLeakyRelu"})
    void theQLinearOpHasTheGradientsOfItsMeaning(String op) {
        Random rnd = new Random(11);
        float[] v = new float[4 * 36];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * 2.5);
        }
        FloatTensor x = new FloatTensor(SHAPE, v);
        Run qop = run(model(op, true), x);
        Run qdq = run(model(op, false), x);
        assertThat(Fixtures.relativeError(qop.score(), qdq.score())).as("the same forward").isLessThan(1e-6);
        FloatTensor g = qop.gradient();
        FloatTensor ref = qdq.gradient();
        assertThat(Fixtures.relativeError(g, ref)).as("gradient").isLessThan(1e-5);
        assertThat(java.util.Arrays.stream(box(ref.data())).anyMatch(f -> f != 0)).isTrue();
    }

    static Float[] box(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }
}
