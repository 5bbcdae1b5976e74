package org.xgradcam.autodiff;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xgradcam.onnx.Attributes;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.proto.OnnxProto.GraphProto;
import org.xgradcam.onnx.proto.OnnxProto.ModelProto;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;
import org.xgradcam.onnx.proto.OnnxProto.TypeProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * Exact Hessian-vector products H A at a layer, by differentiating the augmented graph again:
 * the first pass gives g = dS/dA as graph nodes; a second pass of the same builder, with names
 * of its own, differentiates S2 = sum(g * A) per image, whose gradient is H A + g (the product
 * rule; H is symmetric). So one ONNX Runtime session returns A, g and H A with no finite
 * difference, as torch.autograd.grad(g, A, grad_outputs=A) does with create_graph.
 */
public final class HessianBuilder {
    /** The second pass's score: sum(grad * A) over all but the batch axis, [N, 1]. */
    static final String SECOND_SCORE = "xgradcam_hv/score";

    private HessianBuilder() {}

    /** A model computing, for one layer, the score, the layer, its gradient and H A + gradient. */
    public record HessianModel(AugmentedModel first, AugmentedModel second, String layer, String gradient,
                               String gradientOfSecond) {}

    public static HessianModel build(Graph graph, ModelShapes shapes, String layer, String score,
                                     GradientRequest.ScoreTransform transform) {
        AugmentedModel first = GradientBuilder.build(graph, shapes, GradientRequest.of(List.of(layer), score)
                .withTransform(transform));
        String g = first.targetGradients().get(layer);
        int rank = shapes.shape(layer).length;
        long[] axes = new long[rank - 1];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        ModelProto m = first.model().proto();
        long opset = first.model().opset();
        GraphProto.Builder gb = m.getGraph().toBuilder();
        String prod = "xgradcam_hv/product";
        gb.addNode(NodeProto.newBuilder().setOpType("Mul").setName("xgradcam_hv/Mul").addInput(g).addInput(layer).addOutput(prod));
        NodeProto.Builder sum = NodeProto.newBuilder().setOpType("ReduceSum").setName("xgradcam_hv/ReduceSum").addInput(prod)
                .addOutput(SECOND_SCORE).addAttribute(Attributes.ofInt("keepdims", 0));
        if (opset >= 13) {
            String axesName = "xgradcam_hv/axes";
            gb.addInitializer(org.xgradcam.onnx.TensorProtos.ofLongs(axesName, axes, axes.length));
            sum.addInput(axesName);
        } else {
            sum.addAttribute(Attributes.ofInts("axes", axes));
        }
        String flat = SECOND_SCORE;
        gb.addNode(sum);
        // [N] -> [N, 1]: a score of one "class" per image, seeded with ones
        String two = "xgradcam_hv/score_2d";
        NodeProto.Builder unsq = NodeProto.newBuilder().setOpType("Unsqueeze").setName("xgradcam_hv/Unsqueeze").addInput(flat)
                .addOutput(two);
        if (opset >= 13) {
            gb.addInitializer(org.xgradcam.onnx.TensorProtos.ofLongs("xgradcam_hv/one", new long[] {1}, 1));
            unsq.addInput("xgradcam_hv/one");
        } else {
            unsq.addAttribute(Attributes.ofInts("axes", 1));
        }
        gb.addNode(unsq);
        gb.addOutput(ValueInfoProto.newBuilder().setName(two)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))));
        Graph second = new Graph(first.model().withProto(m.toBuilder().setGraph(gb).build()));
        Map<String, long[]> seeds = new LinkedHashMap<>();
        long[] scoreShape = first.scoreShape().clone();
        scoreShape[0] = 1;
        seeds.put(first.seed(), scoreShape);
        first.topClassSeed().ifPresent(t -> seeds.put(t, new long[] {1, 1}));
        ModelShapes secondShapes = ModelShapes.ofAugmented(second, shapes.inputName(), shapes.inputShape(), seeds);
        GradientRequest r = GradientRequest.of(List.of(layer), two).asPass("2", List.of(score, g));
        AugmentedModel out = GradientBuilder.build(second, secondShapes, r);
        return new HessianModel(first, out, layer, g, out.targetGradients().get(layer));
    }
}
