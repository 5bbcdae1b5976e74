package org.xgradcam.autodiff;

import java.util.Optional;
import org.xgradcam.XGradCamException;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/** What a rule sees of the node being differentiated: shapes, constants, gradients in and out. */
public interface BackwardContext {
    Emitter emit();

    Graph graph();

    ModelShapes shapes();

    default long[] shape(String tensor) {
        return shapes().shape(tensor);
    }

    /** Gradient of output i, or empty if no gradient reaches it. */
    Optional<String> outputGradient(int i);

    /** Gradient of output 0, which every rule of a single-output op may assume exists. */
    default String gradOut() {
        return outputGradient(0).orElseThrow();
    }

    /** Whether input i is on the path (its gradient is wanted). */
    boolean wantsGradient(int inputIndex);

    void setInputGradient(int inputIndex, String gradient);

    /**
     * Ensures the forward node also produces optional output i (e.g. MaxPool's Indices), so the
     * backward can reuse it instead of recomputing; returns its name.
     */
    String requireForwardOutput(NodeProto node, int outputIndex);

    /** Integer constant values behind a tensor name (model constants, or ones the emitter made). */
    default Optional<long[]> constantLongs(String name) {
        return graph().constantLongs(name);
    }

    /**
     * Whether the model holds one image per run (a [C, H, W] input given a batch axis, or a
     * detector batching its one image itself): then axis 0 of its tensors is never a batch of
     * images, and rules may gather, slice or reduce along it.
     */
    default boolean singleImage() {
        return false;
    }

    /**
     * Whether an axis of a tensor carries the batch of images (never, for a single-image model):
     * rules that gather, slice, pad, tile, resize or reduce along it refuse to. Followed through
     * the graph ({@link org.xgradcam.onnx.BatchAxes}); axis 0 where no analysis is at hand.
     */
    default boolean isBatchAxis(String tensor, int axis) {
        return !singleImage() && axis == 0;
    }

    default XGradCamException unsupported(NodeProto node, String why) {
        return new UnsupportedOpsException("cannot differentiate " + Graph.label(node) + ": " + why, node.getOutputList());
    }
}
