package org.xgradcam.autodiff;

import static org.xgradcam.onnx.Attributes.ofFloat;
import static org.xgradcam.onnx.Attributes.ofInt;
import static org.xgradcam.onnx.Attributes.ofInts;
import static org.xgradcam.onnx.Attributes.ofString;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.testing.GradientCheck;
import org.xgradcam.testing.TestGraph;

/**
 * Every gradient rule against central finite differences (see {@link GradientCheck} for the
 * tolerance), on random inputs, in the attribute variants that change the backward.
 */
class GradientRulesTest {

    /** A one-case model: the graph, its output, the input shape and how to draw the input. */
    record Case(OnnxModel model, String output, long[] shape, Function<Random, float[]> input) {}

    private static Arguments c(String name, long opset, long[] shape, Function<Random, float[]> input,
                               java.util.function.BiFunction<TestGraph, String, String> body) {
        return Arguments.of(name, (java.util.function.Supplier<Case>) () -> {
            TestGraph g = new TestGraph(opset);
            String x = g.input("x", shape);
            String y = body.apply(g, x);
            return new Case(g.build(y), y, shape, input);
        });
    }

    private static int numel(long[] s) {
        int n = 1;
        for (long d : s) {
            n *= (int) d;
        }
        return n;
    }

    private static Function<Random, float[]> gauss(long[] shape) {
        return r -> {
            float[] v = new float[numel(shape)];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            return v;
        };
    }

    private static Function<Random, float[]> away(long[] shape, double... kinks) {
        return r -> GradientCheck.awayFrom(r, numel(shape), 3 * GradientCheck.H, kinks);
    }

    private static Function<Random, float[]> distinct(long[] shape) {
        return r -> GradientCheck.distinct(r, numel(shape));
    }

    private static long[] s(long... d) {
        return d;
    }

    static Stream<Arguments> cases() {
        Random w = new Random(7);
        List<Arguments> a = new ArrayList<>();
        long[] img = s(1, 3, 6, 6);
        // ---- Conv --------------------------------------------------------------------------
        a.add(c("Conv 3x3 pad 1 with bias", 13, img, gauss(img), (g, x) ->
                g.node("Conv", List.of(x, g.random(w, 0.3f, 4, 3, 3, 3), g.random(w, 0.3f, 4)), ofInts("pads", 1, 1, 1, 1))));
        long[] c4 = s(1, 4, 9, 9);
        a.add(c("Conv groups=2 stride 2 asymmetric pads", 13, c4, gauss(c4), (g, x) ->
                g.node("Conv", List.of(x, g.random(w, 0.3f, 6, 2, 3, 3)), ofInt("group", 2), ofInts("strides", 2, 2),
                        ofInts("pads", 1, 0, 0, 1))));
        long[] dw = s(1, 4, 8, 8);
        a.add(c("Conv depthwise dilation 2", 13, dw, gauss(dw), (g, x) ->
                g.node("Conv", List.of(x, g.random(w, 0.3f, 4, 1, 3, 3)), ofInt("group", 4), ofInts("dilations", 2, 2),
                        ofInts("pads", 2, 2, 2, 2))));
        long[] sp = s(1, 2, 7, 7);
        a.add(c("Conv auto_pad SAME_UPPER stride 2", 13, sp, gauss(sp), (g, x) ->
                g.node("Conv", List.of(x, g.random(w, 0.3f, 3, 2, 3, 3)), ofString("auto_pad", "SAME_UPPER"), ofInts("strides", 2, 2))));
        long[] ev = s(1, 2, 6, 6);
        a.add(c("Conv auto_pad SAME_LOWER even kernel", 13, ev, gauss(ev), (g, x) ->
                g.node("Conv", List.of(x, g.random(w, 0.3f, 2, 2, 2, 2)), ofString("auto_pad", "SAME_LOWER"))));
        a.add(c("Conv auto_pad VALID 1x1 stride 2 (output_padding)", 7, s(1, 2, 8, 8), gauss(s(1, 2, 8, 8)), (g, x) ->
                g.node("Conv", List.of(x, g.random(w, 0.3f, 3, 2, 1, 1)), ofString("auto_pad", "VALID"), ofInts("strides", 2, 2))));
        a.add(c("ConvTranspose stride 2 pads output_padding", 13, s(1, 4, 5, 5), gauss(s(1, 4, 5, 5)), (g, x) ->
                g.node("ConvTranspose", List.of(x, g.random(w, 0.3f, 4, 3, 3, 3), g.random(w, 0.3f, 3)),
                        ofInts("strides", 2, 2), ofInts("pads", 1, 1, 0, 1), ofInts("output_padding", 1, 0))));
        a.add(c("ConvTranspose grouped dilated", 13, s(1, 4, 5, 5), gauss(s(1, 4, 5, 5)), (g, x) ->
                g.node("ConvTranspose", List.of(x, g.random(w, 0.3f, 4, 1, 2, 2)), ofInt("group", 2),
                        ofInts("dilations", 2, 2))));
        // ---- Gemm, MatMul ------------------------------------------------------------------
        a.add(c("Gemm transB alpha beta", 13, s(1, 6), gauss(s(1, 6)), (g, x) ->
                g.node("Gemm", List.of(x, g.random(w, 0.5f, 5, 6), g.random(w, 0.5f, 5)), ofInt("transB", 1),
                        ofFloat("alpha", 0.7f), ofFloat("beta", 1.3f))));
        a.add(c("Gemm transA", 13, s(1, 6), gauss(s(1, 6)), (g, x) ->
                g.node("Gemm", List.of(g.node("Transpose", List.of(x)), g.random(w, 0.5f, 6, 4)), ofInt("transA", 1))));
        a.add(c("Gemm both factors on the path", 13, s(1, 6), gauss(s(1, 6)), (g, x) ->
                g.node("Gemm", List.of(x, g.node("Reshape", List.of(g.node("Tanh", List.of(x)), g.ints(6, 1)))))));
        a.add(c("Gemm both factors on the path, transposed", 13, s(1, 6), gauss(s(1, 6)), (g, x) ->
                g.node("Gemm", List.of(g.node("Reshape", List.of(x, g.ints(6, 1))), g.node("Sigmoid", List.of(x))),
                        ofInt("transA", 1), ofInt("transB", 1), ofFloat("alpha", 0.5f))));
        a.add(c("MatMul with constant", 13, s(1, 4, 5), gauss(s(1, 4, 5)), (g, x) ->
                g.node("MatMul", List.of(x, g.random(w, 0.5f, 5, 3)))));
        a.add(c("MatMul both factors on the path", 13, s(1, 3, 4), gauss(s(1, 3, 4)), (g, x) ->
                g.node("MatMul", List.of(x, g.node("Transpose", List.of(g.node("Tanh", List.of(x))), ofInts("perm", 0, 2, 1))))));
        // ---- elementwise with broadcasting ------------------------------------------------
        long[] b = s(1, 3, 4, 4);
        for (String op : List.of("Add", "Sub", "Mul")) {
            a.add(c(op + " broadcast, both on the path", 13, b, gauss(b), (g, x) ->
                    g.node(op, List.of(x, g.node("ReduceMean", List.of(x), ofInts("axes", 2, 3))))));
        }
        a.add(c("Add with constant bias", 13, b, gauss(b), (g, x) -> g.node("Add", List.of(x, g.random(w, 1f, 3, 1, 1)))));
        a.add(c("Div broadcast, both on the path", 13, b, gauss(b), (g, x) ->
                g.node("Div", List.of(x, g.node("Add", List.of(g.node("Sigmoid", List.of(g.node("ReduceMean", List.of(x),
                        ofInts("axes", 2, 3)))), g.constant(new float[] {0.5f}, 1)))))));
        a.add(c("Neg", 13, b, gauss(b), (g, x) -> g.node("Neg", List.of(x))));
        a.add(c("Sum of three", 13, b, gauss(b), (g, x) -> g.node("Sum", List.of(x, g.node("Tanh", List.of(x)), x))));
        a.add(c("Expand to a larger shape", 13, s(1, 3, 1, 4), gauss(s(1, 3, 1, 4)), (g, x) ->
                g.node("Mul", List.of(g.node("Expand", List.of(x, g.ints(1, 3, 5, 4))), g.random(w, 1f, 1, 3, 5, 4)))));
        a.add(c("Where, both branches on the path, condition broadcast", 13, b, gauss(b), (g, x) ->
                g.node("Where", List.of(g.node("Greater", List.of(g.random(w, 1f, 1, 1, 4, 4), g.constant(new float[] {0f}))),
                        x, g.node("Tanh", List.of(x))))));
        a.add(c("Max(x, -x) = |x|", 13, b, away(b, 0), (g, x) -> g.node("Max", List.of(x, g.node("Neg", List.of(x))))));
        a.add(c("Min with a broadcast constant", 13, b, away(b, -0.5, 0, 0.5), (g, x) ->
                g.node("Min", List.of(x, g.constant(new float[] {-0.5f, 0f, 0.5f}, 3, 1, 1)))));
        a.add(c("Max of an input with itself (ties share the gradient)", 13, b, gauss(b), (g, x) ->
                g.node("Max", List.of(x, x, g.node("Mul", List.of(x, g.constant(new float[] {1f}, 1)))))));
        // ---- Gather with constant indices ---------------------------------------------------
        long[] seq = s(1, 5, 4);
        a.add(c("Gather repeated and negative indices, 2-D indices", 13, seq, gauss(seq), (g, x) ->
                g.node("Gather", List.of(x, g.intsShaped(new long[] {3, 0, -2, 1}, 2, 2)), ofInt("axis", 1))));
        a.add(c("Gather a scalar index on the last axis (class token style)", 13, seq, gauss(seq), (g, x) ->
                g.node("Gather", List.of(x, g.intsShaped(new long[] {-1})), ofInt("axis", -1))));
        a.add(c("Gather with indices computed at run time (argmax, then a repeat)", 13, seq, distinct(seq), (g, x) -> {
            String top = g.node("ArgMax", List.of(g.node("ReduceSum", List.of(x, g.ints(2)), ofInt("keepdims", 0))),
                    ofInt("axis", 1));  // [1, 1]: the row with the largest sum
            String idx = g.node("Concat", List.of(top, top, g.intsShaped(new long[] {-1}, 1, 1)), ofInt("axis", 1));
            return g.node("Gather", List.of(x, idx), ofInt("axis", 1));
        }));
        // ---- Resize / Upsample: a random weighting afterwards makes every output count differently
        long[] r4 = s(1, 2, 3, 4);
        record Rz(String name, long opset, long[] out, java.util.function.BiFunction<TestGraph, String, String> op) {}
        for (Rz z : List.of(
                new Rz("Resize nearest x2 (half_pixel, round_prefer_floor)", 13, s(1, 2, 6, 8), (g, x) ->
                        g.node("Resize", List.of(x, "", g.constant(new float[] {1, 1, 2, 2}, 4)))),
                new Rz("Resize linear x2 half_pixel", 13, s(1, 2, 6, 8), (g, x) ->
                        g.node("Resize", List.of(x, "", g.constant(new float[] {1, 1, 2, 2}, 4)), ofString("mode", "linear"))),
                new Rz("Resize linear align_corners to sizes 5x7", 13, s(1, 2, 5, 7), (g, x) ->
                        g.node("Resize", List.of(x, "", "", g.ints(1, 2, 5, 7)), ofString("mode", "linear"),
                                ofString("coordinate_transformation_mode", "align_corners"))),
                new Rz("Resize linear pytorch_half_pixel down to 2x3", 13, s(1, 2, 2, 3), (g, x) ->
                        g.node("Resize", List.of(x, "", "", g.ints(1, 2, 2, 3)), ofString("mode", "linear"),
                                ofString("coordinate_transformation_mode", "pytorch_half_pixel"))),
                new Rz("Resize nearest asymmetric floor to 5x10", 11, s(1, 2, 5, 10), (g, x) ->
                        g.node("Resize", List.of(x, g.constant(new float[0], 0), g.constant(new float[0], 0), g.ints(1, 2, 5, 10)),
                                ofString("coordinate_transformation_mode", "asymmetric"), ofString("nearest_mode", "floor"))),
                new Rz("Resize nearest tf_half_pixel_for_nn round_prefer_ceil x1.5", 11, s(1, 2, 4, 6), (g, x) ->
                        g.node("Resize", List.of(x, g.constant(new float[0], 0), g.constant(new float[] {1, 1, 1.5f, 1.5f}, 4)),
                                ofString("coordinate_transformation_mode", "tf_half_pixel_for_nn"),
                                ofString("nearest_mode", "round_prefer_ceil"))),
                new Rz("Resize linear (opset 10)", 10, s(1, 2, 6, 8), (g, x) ->
                        g.node("Resize", List.of(x, g.constant(new float[] {1, 1, 2, 2}, 4)), ofString("mode", "linear"))),
                new Rz("Resize nearest down x0.6 (opset 10)", 10, s(1, 2, 1, 2), (g, x) ->
                        g.node("Resize", List.of(x, g.constant(new float[] {1, 1, 0.6f, 0.6f}, 4)))),
                new Rz("Upsample nearest (opset 9)", 9, s(1, 2, 6, 12), (g, x) ->
                        g.node("Upsample", List.of(x, g.constant(new float[] {1, 1, 2, 3}, 4)))),
                new Rz("Upsample linear, scales attribute (opset 7)", 7, s(1, 2, 6, 8), (g, x) ->
                        g.node("Upsample", List.of(x), ofString("mode", "linear"),
                                org.xgradcam.onnx.Attributes.ofFloats("scales", 1, 1, 2, 2))))) {
            a.add(c(z.name(), z.opset(), r4, gauss(r4), (g, x) ->
                    g.node("Mul", List.of(z.op().apply(g, x), g.random(w, 1f, z.out())))));
        }
        // ---- activations -------------------------------------------------------------------
        a.add(c("Relu", 13, b, away(b, 0), (g, x) -> g.node("Relu", List.of(x))));
        a.add(c("LeakyRelu", 13, b, away(b, 0), (g, x) -> g.node("LeakyRelu", List.of(x), ofFloat("alpha", 0.1f))));
        a.add(c("PRelu per channel", 13, b, away(b, 0), (g, x) ->
                g.node("PRelu", List.of(x, g.constant(new float[] {0.1f, 0.25f, -0.3f}, 3, 1, 1)))));
        a.add(c("Elu", 13, b, away(b, 0), (g, x) -> g.node("Elu", List.of(x), ofFloat("alpha", 0.8f))));
        a.add(c("Clip ReLU6 bounds as inputs", 13, b, r -> scale(GradientCheck.awayFrom(r, numel(b), 0.01, 0, 1.5), 4),
                (g, x) -> g.node("Clip", List.of(x, g.constant(new float[] {0f}), g.constant(new float[] {6f})))));
        a.add(c("Clip bounds as attributes (opset 7)", 7, b, away(b, -1, 1), (g, x) ->
                g.node("Clip", List.of(x), ofFloat("min", -1f), ofFloat("max", 1f))));
        a.add(c("Clip min only", 13, b, away(b, -0.5), (g, x) -> g.node("Clip", List.of(x, g.constant(new float[] {-0.5f})))));
        a.add(c("Gelu exact (opset 20)", 20, b, gauss(b), (g, x) -> g.node("Gelu", List.of(x))));
        a.add(c("Gelu tanh approximation (opset 20)", 20, b, gauss(b), (g, x) ->
                g.node("Gelu", List.of(x), ofString("approximate", "tanh"))));
        a.add(c("Softplus", 13, b, gauss(b), (g, x) -> g.node("Softplus", List.of(x))));
        a.add(c("Abs", 13, b, away(b, 0), (g, x) -> g.node("Abs", List.of(x))));
        a.add(c("Abs (opset 7, no Sign)", 7, b, away(b, 0), (g, x) -> g.node("Abs", List.of(x))));
        a.add(c("Selu", 13, b, away(b, 0), (g, x) -> g.node("Selu", List.of(x))));
        a.add(c("Sigmoid", 13, b, gauss(b), (g, x) -> g.node("Sigmoid", List.of(x))));
        a.add(c("HardSigmoid", 13, b, r -> scale(GradientCheck.awayFrom(r, numel(b), 0.01, -1.25, 1.25), 2),
                (g, x) -> g.node("HardSigmoid", List.of(x), ofFloat("alpha", 0.2f), ofFloat("beta", 0.5f))));
        a.add(c("HardSwish", 14, b, r -> scale(GradientCheck.awayFrom(r, numel(b), 0.01, -1.5, 1.5), 2),
                (g, x) -> g.node("HardSwish", List.of(x))));
        a.add(c("Tanh", 13, b, gauss(b), (g, x) -> g.node("Tanh", List.of(x))));
        a.add(c("Erf (GELU's core)", 13, b, gauss(b), (g, x) -> g.node("Erf", List.of(x))));
        a.add(c("Pow exponent 3", 13, b, gauss(b), (g, x) -> g.node("Pow", List.of(x, g.constant(new float[] {3f})))));
        a.add(c("Pow exponent 2", 13, b, gauss(b), (g, x) -> g.node("Pow", List.of(x, g.constant(new float[] {2f})))));
        a.add(c("Sqrt", 13, b, gauss(b), (g, x) ->
                g.node("Sqrt", List.of(g.node("Add", List.of(g.node("Mul", List.of(x, x)), g.constant(new float[] {1f})))))));
        a.add(c("Exp", 13, b, gauss(b), (g, x) -> g.node("Exp", List.of(x))));
        a.add(c("Log", 13, b, gauss(b), (g, x) ->
                g.node("Log", List.of(g.node("Add", List.of(g.node("Mul", List.of(x, x)), g.constant(new float[] {1f})))))));
        // ---- softmax -----------------------------------------------------------------------
        long[] sm = s(1, 3, 5);
        a.add(c("Softmax opset 13 last axis", 13, sm, gauss(sm), (g, x) -> g.node("Softmax", List.of(x))));
        a.add(c("Softmax opset 11 coerced to 2-D", 11, sm, gauss(sm), (g, x) -> g.node("Softmax", List.of(x), ofInt("axis", 1))));
        a.add(c("LogSoftmax opset 13 axis 1", 13, sm, gauss(sm), (g, x) -> g.node("LogSoftmax", List.of(x), ofInt("axis", 1))));
        a.add(c("LogSoftmax opset 7", 7, sm, gauss(sm), (g, x) -> g.node("LogSoftmax", List.of(x))));
        // ---- pools -------------------------------------------------------------------------
        long[] p8 = s(1, 2, 8, 8);
        a.add(c("MaxPool 2x2 stride 2", 13, p8, distinct(p8), (g, x) ->
                g.node("MaxPool", List.of(x), ofInts("kernel_shape", 2, 2), ofInts("strides", 2, 2))));
        a.add(c("MaxPool 3x3 stride 2 pad 1 (overlapping)", 13, p8, distinct(p8), (g, x) ->
                g.node("MaxPool", List.of(x), ofInts("kernel_shape", 3, 3), ofInts("strides", 2, 2), ofInts("pads", 1, 1, 1, 1))));
        a.add(c("MaxPool 3x3 stride 2 ceil_mode", 13, p8, distinct(p8), (g, x) ->
                g.node("MaxPool", List.of(x), ofInts("kernel_shape", 3, 3), ofInts("strides", 2, 2), ofInt("ceil_mode", 1))));
        a.add(c("MaxPool 2x2 dilation 2 stride 1", 13, p8, distinct(p8), (g, x) ->
                g.node("MaxPool", List.of(x), ofInts("kernel_shape", 2, 2), ofInts("dilations", 2, 2))));
        a.add(c("MaxPool 3x3 stride 2 pad 1 (opset 7, no Indices)", 7, p8, distinct(p8), (g, x) ->
                g.node("MaxPool", List.of(x), ofInts("kernel_shape", 3, 3), ofInts("strides", 2, 2), ofInts("pads", 1, 1, 1, 1))));
        a.add(c("MaxPool 3x3 stride 1 SAME_UPPER (opset 7)", 7, p8, distinct(p8), (g, x) ->
                g.node("MaxPool", List.of(x), ofInts("kernel_shape", 3, 3), ofString("auto_pad", "SAME_UPPER"))));
        long[] p7 = s(1, 2, 7, 7);
        for (int inc = 0; inc <= 1; inc++) {
            int include = inc;
            a.add(c("AveragePool 3x3 stride 2 pad 1 count_include_pad=" + inc, 13, p7, gauss(p7), (g, x) ->
                    g.node("AveragePool", List.of(x), ofInts("kernel_shape", 3, 3), ofInts("strides", 2, 2),
                            ofInts("pads", 1, 1, 1, 1), ofInt("count_include_pad", include))));
            a.add(c("AveragePool 2x2 stride 2 ceil_mode count_include_pad=" + inc, 13, p7, gauss(p7), (g, x) ->
                    g.node("AveragePool", List.of(x), ofInts("kernel_shape", 2, 2), ofInts("strides", 2, 2),
                            ofInt("ceil_mode", 1), ofInt("count_include_pad", include))));
        }
        a.add(c("AveragePool kernel 1 (VGG's adaptive pool)", 13, p7, gauss(p7), (g, x) ->
                g.node("AveragePool", List.of(x), ofInts("kernel_shape", 1, 1))));
        a.add(c("GlobalAveragePool", 13, p7, gauss(p7), (g, x) -> g.node("GlobalAveragePool", List.of(x))));
        a.add(c("GlobalAveragePool (opset 7)", 7, p7, gauss(p7), (g, x) -> g.node("GlobalAveragePool", List.of(x))));
        a.add(c("GlobalMaxPool", 13, p7, distinct(p7), (g, x) -> g.node("GlobalMaxPool", List.of(x))));
        a.add(c("LRN size 5", 13, s(1, 6, 3, 3), gauss(s(1, 6, 3, 3)), (g, x) ->
                g.node("LRN", List.of(x), ofInt("size", 5), ofFloat("alpha", 0.5f), ofFloat("beta", 0.75f), ofFloat("bias", 2f))));
        a.add(c("LRN size 3", 13, s(1, 6, 3, 3), gauss(s(1, 6, 3, 3)), (g, x) ->
                g.node("LRN", List.of(x), ofInt("size", 3), ofFloat("alpha", 0.5f), ofFloat("beta", 0.6f), ofFloat("bias", 1.5f))));
        // ---- reductions ----------------------------------------------------------------------
        a.add(c("ReduceMean keepdims=0", 13, b, gauss(b), (g, x) ->
                g.node("ReduceMean", List.of(x), ofInts("axes", 2, 3), ofInt("keepdims", 0))));
        a.add(c("ReduceMean (opset 18, axes input)", 18, b, gauss(b), (g, x) ->
                g.node("ReduceMean", List.of(x, g.ints(1, -1)))));
        a.add(c("ReduceSum (opset 13, axes input)", 13, b, gauss(b), (g, x) ->
                g.node("ReduceSum", List.of(x, g.ints(1)), ofInt("keepdims", 1))));
        a.add(c("ReduceSum (opset 7, axes attribute, keepdims=0)", 7, b, gauss(b), (g, x) ->
                g.node("ReduceSum", List.of(x), ofInts("axes", 1, 2), ofInt("keepdims", 0))));
        a.add(c("ReduceL2 (SSD's L2Norm)", 13, b, gauss(b), (g, x) ->
                g.node("Div", List.of(x, g.node("ReduceL2", List.of(x), ofInts("axes", 1), ofInt("keepdims", 1))))));
        a.add(c("ReduceL2 (opset 18, axes input, keepdims=0)", 18, b, gauss(b), (g, x) ->
                g.node("ReduceL2", List.of(x, g.ints(2, 3)), ofInt("keepdims", 0))));
        a.add(c("ReduceL1", 13, b, away(b, 0), (g, x) -> g.node("ReduceL1", List.of(x), ofInts("axes", 1))));
        a.add(c("ReduceSumSquare", 13, b, gauss(b), (g, x) -> g.node("ReduceSumSquare", List.of(x), ofInts("axes", 2, 3))));
        a.add(c("ReduceLogSumExp", 13, b, gauss(b), (g, x) -> g.node("ReduceLogSumExp", List.of(x), ofInts("axes", 1))));
        a.add(c("ReduceMax", 13, b, distinct(b), (g, x) -> g.node("ReduceMax", List.of(x), ofInts("axes", 2, 3))));
        a.add(c("ReduceMax (opset 18, axes input, keepdims=0)", 18, b, distinct(b), (g, x) ->
                g.node("ReduceMax", List.of(x, g.ints(1)), ofInt("keepdims", 0))));
        a.add(c("ReduceMin", 13, b, distinct(b), (g, x) -> g.node("ReduceMin", List.of(x), ofInts("axes", 1))));
        a.add(c("ReduceProd", 13, b, gauss(b), (g, x) -> g.node("ReduceProd", List.of(x), ofInts("axes", 1))));
        // a product is linear in each entry, so differences are exact at a zero too: one zero, then two in one product
        a.add(c("ReduceProd with zeros", 13, b, r -> {
            float[] v = gauss(b).apply(r);
            v[0] = 0f;       // channel 0 of the first pixel: alone in its product
            v[1] = 0f;       // and the second pixel: with channel 1's below
            v[16 + 1] = 0f;
            return v;
        }, (g, x) -> g.node("ReduceProd", List.of(x), ofInts("axes", 1))));
        // ---- shape ops -----------------------------------------------------------------------
        a.add(c("Flatten", 13, b, gauss(b), (g, x) ->
                g.node("Gemm", List.of(g.node("Flatten", List.of(x)), g.random(w, 0.3f, 48, 4)))));
        a.add(c("Reshape", 13, b, gauss(b), (g, x) ->
                g.node("Mul", List.of(g.node("Reshape", List.of(x, g.ints(0, 12, 4))), g.random(w, 1f, 12, 4)))));
        a.add(c("Squeeze and Unsqueeze", 13, b, gauss(b), (g, x) -> g.node("Mul", List.of(
                g.node("Squeeze", List.of(g.node("Unsqueeze", List.of(x, g.ints(2))), g.ints(2))), g.random(w, 1f, 3, 4, 4)))));
        a.add(c("Squeeze and Unsqueeze (opset 11 attributes)", 11, b, gauss(b), (g, x) -> g.node("Mul", List.of(
                g.node("Squeeze", List.of(g.node("Unsqueeze", List.of(x), ofInts("axes", 2))), ofInts("axes", 2)),
                g.random(w, 1f, 3, 4, 4)))));
        a.add(c("Transpose", 13, b, gauss(b), (g, x) ->
                g.node("Mul", List.of(g.node("Transpose", List.of(x), ofInts("perm", 0, 2, 3, 1)), g.random(w, 1f, 4, 4, 3)))));
        a.add(c("Concat, one input twice on the path", 13, b, away(b, 0), (g, x) -> g.node("Mul", List.of(
                g.node("Concat", List.of(g.node("Relu", List.of(x)), x), ofInt("axis", 1)), g.random(w, 1f, 6, 4, 4)))));
        a.add(c("Split, one output unused (opset 13)", 13, s(1, 5, 4), gauss(s(1, 5, 4)), (g, x) ->
                g.node("Tanh", List.of(g.nodeN("Split", List.of(x, g.ints(2, 3)), 2, ofInt("axis", 1)).get(1)))));
        a.add(c("Split both outputs (opset 7)", 7, s(1, 4, 4), gauss(s(1, 4, 4)), (g, x) -> {
            List<String> parts = g.nodeN("Split", List.of(x), 2, ofInt("axis", 2), ofInts("split", 1, 3));
            return g.node("Concat", List.of(g.node("Tanh", List.of(parts.get(1))), g.node("Sigmoid", List.of(parts.get(0)))),
                    ofInt("axis", 2));
        }));
        a.add(c("Slice negative start (opset 13)", 13, b, gauss(b), (g, x) ->
                g.node("Slice", List.of(x, g.ints(1, -3), g.ints(3, 100), g.ints(1, 3)))));
        a.add(c("Slice (opset 7 attributes)", 7, b, gauss(b), (g, x) ->
                g.node("Slice", List.of(x), ofInts("starts", 1, 0), ofInts("ends", 2, 3), ofInts("axes", 2, 3))));
        a.add(c("Einsum attention scores, both operands from the input", 13, s(1, 2, 3, 4), gauss(s(1, 2, 3, 4)), (g, x) ->
                g.node("Einsum", List.of(g.node("Mul", List.of(x, g.random(w, 1f, 2, 3, 4))), x),
                        ofString("equation", "bhid,bhjd->bhij"))));
        a.add(c("Einsum with a constant operand and a summed index", 13, s(1, 3, 4), gauss(s(1, 3, 4)), (g, x) ->
                g.node("Einsum", List.of(x, g.random(w, 1f, 4, 5)), ofString("equation", "bij,jk->bk"))));
        a.add(c("Einsum with an ellipsis", 13, s(1, 2, 3, 4), gauss(s(1, 2, 3, 4)), (g, x) ->
                g.node("Einsum", List.of(x, g.random(w, 1f, 4, 2)), ofString("equation", "...ij,jk->...ik"))));
        a.add(c("Tile with constant repeats", 13, s(1, 2, 3), gauss(s(1, 2, 3)), (g, x) ->
                g.node("Mul", List.of(g.node("Tile", List.of(x, g.ints(1, 3, 2))), g.random(w, 1f, 6, 6)))));
        a.add(c("Tile with repeats computed at run time", 13, s(1, 2, 3), gauss(s(1, 2, 3)), (g, x) -> {
            String shape = g.node("Shape", List.of(x));
            String two = g.node("Gather", List.of(shape, g.ints(1)), ofInt("axis", 0));
            String reps = g.node("Concat", List.of(g.ints(1), two, g.ints(1)), ofInt("axis", 0));
            return g.node("Mul", List.of(g.node("Tile", List.of(x, reps)), g.random(w, 1f, 4, 3)));
        }));
        a.add(c("Slice with bounds computed at run time (torch attention)", 13, b, gauss(b), (g, x) -> {
            String shape = g.node("Shape", List.of(x));
            String h = g.node("Gather", List.of(shape, g.ints(2)), ofInt("axis", 0));
            String half = g.node("Div", List.of(h, g.ints(2)));
            return g.node("Slice", List.of(x, g.node("Concat", List.of(half, g.node("Neg", List.of(half))), ofInt("axis", 0)),
                    g.node("Concat", List.of(h, g.ints(100)), ofInt("axis", 0)), g.ints(2, 3)));
        }));
        a.add(c("Slice with step 2 (Swin patch merging)", 13, s(1, 3, 5, 4), gauss(s(1, 3, 5, 4)), (g, x) ->
                g.node("Slice", List.of(x, g.ints(0, 1), g.ints(100, 100), g.ints(2, 3), g.ints(2, 2)))));
        a.add(c("Slice with step 3 and an end inside", 13, s(1, 2, 8), gauss(s(1, 2, 8)), (g, x) ->
                g.node("Slice", List.of(x, g.ints(1), g.ints(7), g.ints(2), g.ints(3)))));
        a.add(c("Pad with run-time pads (Swin windows)", 13, b, gauss(b), (g, x) -> {
            String h = g.node("Gather", List.of(g.node("Shape", List.of(x)), g.ints(2)), ofInt("axis", 0));
            String one = g.node("Sub", List.of(h, g.ints(3)));
            String pads = g.node("Mul", List.of(g.ints(0, 0, 1, 0, 0, 0, 1, 1), one));
            return g.node("Mul", List.of(g.node("Pad", List.of(x, pads)), g.random(w, 1f, 3, 6, 5)));
        }));
        a.add(c("Gather along a leading axis that is not the batch (fused q/k/v)", 13, s(1, 6, 4), gauss(s(1, 6, 4)),
                (g, x) -> g.node("Reshape", List.of(g.node("Gather", List.of(g.node("Reshape", List.of(x, g.ints(3, 2, 4))),
                        g.intsShaped(new long[] {1})), ofInt("axis", 0)), g.ints(1, 8)))));
        a.add(c("Pad constant (opset 13)", 13, b, gauss(b), (g, x) -> g.node("Mul", List.of(
                g.node("Pad", List.of(x, g.ints(0, 0, 1, 2, 0, 1, 0, 1))), g.random(w, 1f, 4, 5, 7)))));
        a.add(c("Pad constant (opset 7)", 7, b, gauss(b), (g, x) -> g.node("Mul", List.of(
                g.node("Pad", List.of(x), ofInts("pads", 0, 0, 1, 2, 0, 1, 0, 1)), g.random(w, 1f, 4, 5, 7)))));
        // ---- normalisation and pass-through -------------------------------------------------
        a.add(c("BatchNormalization (inference)", 13, b, gauss(b), (g, x) -> g.node("BatchNormalization", List.of(x,
                g.constant(new float[] {1.5f, -0.7f, 0.3f}, 3), g.constant(new float[] {0.1f, 0.2f, -0.3f}, 3),
                g.constant(new float[] {0.5f, -0.2f, 0.1f}, 3), g.constant(new float[] {0.8f, 1.7f, 0.4f}, 3)),
                ofFloat("epsilon", 1e-3f))));
        a.add(c("LayerNormalization last axis", 17, s(1, 4, 6), gauss(s(1, 4, 6)), (g, x) -> g.node("LayerNormalization",
                List.of(x, g.random(w, 1f, 6), g.random(w, 1f, 6)), ofFloat("epsilon", 1e-5f))));
        a.add(c("LayerNormalization over two axes", 17, s(1, 3, 4, 5), gauss(s(1, 3, 4, 5)), (g, x) -> g.node("LayerNormalization",
                List.of(x, g.random(w, 1f, 4, 5)), ofInt("axis", 2))));
        a.add(c("Dropout, Identity and Cast", 13, b, gauss(b), (g, x) -> g.node("Tanh", List.of(g.node("Cast",
                List.of(g.node("Identity", List.of(g.node("Dropout", List.of(x))))), ofInt("to", 1))))));
        a.add(c("InstanceNormalization (GroupNorm as torch exports it)", 13, s(1, 3, 4, 5), gauss(s(1, 3, 4, 5)),
                (g, x) -> g.node("InstanceNormalization", List.of(x, g.constant(new float[] {1.5f, -0.7f, 0.3f}, 3),
                        g.constant(new float[] {0.1f, 0.2f, -0.3f}, 3)), ofFloat("epsilon", 1e-3f))));
        // ---- selection by computed indices (detectors): indices constant, gradients scattered back
        long[] det = s(1, 6, 5);
        a.add(c("TopK values along the last axis", 13, det, distinct(det), (g, x) ->
                g.nodeN("TopK", List.of(x, g.ints(3)), 2, ofInt("axis", -1)).get(0)));
        a.add(c("TopK of a flattened vector, then Gather by its indices (opset 16 scatter)", 16, det, distinct(det), (g, x) -> {
            String flat = g.node("Reshape", List.of(x, g.ints(-1)));
            List<String> top = g.nodeN("TopK", List.of(flat, g.ints(7)), 2);
            return g.node("Reshape", List.of(g.node("Mul", List.of(g.node("Gather", List.of(flat, top.get(1)), ofInt("axis", 0)),
                    top.get(0))), g.ints(1, -1)));
        }));
        a.add(c("GatherND of positions above a threshold (NonZero), opset 13", 13, det, away(det, 0.3), (g, x) ->
        {
            String above = g.node("NonZero", List.of(g.node("Greater", List.of(x, g.constant(new float[] {0.3f}, 1)))));
            String picked = g.node("GatherND", List.of(x, g.node("Transpose", List.of(above))));
            return g.node("Reshape", List.of(picked, g.ints(1, -1)));
        }));
        a.add(c("GatherND with repeated constant indices (opset 16 adds them up)", 16, det, gauss(det), (g, x) ->
                g.node("Reshape", List.of(g.node("GatherND", List.of(x, g.intsShaped(new long[] {0, 1, 0, 1, 0, 4}, 3, 2))),
                        g.ints(1, -1)))));
        a.add(c("ScatterElements into a run-time tensor (levels merged as torchvision does)", 13, det, gauss(det), (g, x) -> {
            String base = g.node("Mul", List.of(x, g.constant(new float[] {2f}, 1)));
            String upd = g.node("Slice", List.of(g.node("Tanh", List.of(x)), g.ints(0), g.ints(2), g.ints(1)));
            // distinct rows per column: without reduction a repeated index keeps one of its writes
            return g.node("ScatterElements", List.of(base, g.intsShaped(new long[] {4, 0, 3, 1, 2, 2, 5, 0, 4, 3}, 1, 2, 5), upd),
                    ofInt("axis", 1));
        }));
        a.add(c("ScatterElements with reduction add (opset 16)", 16, det, gauss(det), (g, x) -> {
            String upd = g.node("Slice", List.of(g.node("Tanh", List.of(x)), g.ints(0), g.ints(2), g.ints(1)));
            return g.node("ScatterElements", List.of(x, g.intsShaped(new long[] {4, 4, 3, 1, 2, 2, 0, 5, 1, 3}, 1, 2, 5), upd),
                    ofInt("axis", 1), ofString("reduction", "add"));
        }));
        long[] fm = s(1, 2, 6, 7);
        float[] rois = {0.5f, 1f, 9f, 8.5f, -3f, -2f, 4f, 5f, 6f, 2f, 16f, 14f, 3f, 3f, 3.5f, 3.2f};
        for (long opset : new long[] {15, 16}) {
            for (String mode : opset == 16 ? new String[] {"half_pixel", "output_half_pixel"} : new String[] {""}) {
                a.add(c("RoiAlign avg, regions inside, across and outside the map (opset " + opset
                        + (mode.isEmpty() ? "" : ", " + mode) + ")", opset, fm, gauss(fm), (g, x) -> {
                    List<org.xgradcam.onnx.proto.OnnxProto.AttributeProto> at = new java.util.ArrayList<>(List.of(
                            ofInt("output_height", 3), ofInt("output_width", 2), ofInt("sampling_ratio", 2),
                            ofFloat("spatial_scale", 0.5f)));
                    if (!mode.isEmpty()) {
                        at.add(ofString("coordinate_transformation_mode", mode));
                    }
                    String pooled = g.node("RoiAlign", List.of(x, g.constant(rois, 4, 4), g.intsShaped(new long[] {0, 0, 0, 0}, 4)),
                            at.toArray(new org.xgradcam.onnx.proto.OnnxProto.AttributeProto[0]));
                    return g.node("Reshape", List.of(g.node("Mul", List.of(pooled, g.random(w, 1f, 4, 2, 3, 2))), g.ints(1, -1)));
                }));
            }
        }
        return a.stream();
    }

    private static float[] scale(float[] v, float k) {
        for (int i = 0; i < v.length; i++) {
            v[i] *= k;
        }
        return v;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesFiniteDifferences(String name, java.util.function.Supplier<Case> setup) {
        Case k = setup.get();
        Random rnd = new Random(name.hashCode());
        GradientCheck.check(k.model(), k.output(), k.shape(), k.input().apply(rnd), name.hashCode() * 31L);
    }
}
