package org.xgradcam.autodiff;

import org.xgradcam.onnx.proto.OnnxProto.NodeProto;

/**
 * The backward of one op type: given the gradients of a node's outputs, emit ONNX nodes that
 * compute the gradients of those of its inputs that lie on the differentiated path. Rules never
 * compute weight gradients.
 */
@FunctionalInterface
public interface GradientRule {
    void backward(NodeProto node, BackwardContext ctx);
}
