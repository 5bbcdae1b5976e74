package org.xgradcam.onnx;

import java.util.Optional;
import org.xgradcam.onnx.proto.OnnxProto.TypeProto;
import org.xgradcam.onnx.proto.OnnxProto.ValueInfoProto;

/**
 * The outputs of a detector that selects its boxes inside the graph (score threshold, top-k and
 * NMS, as torchvision's SSD, RetinaNet, FCOS and Faster R-CNN are exported): boxes [D, 4] (float),
 * scores [D] (float) and labels [D] (integer), D being the number of detections of the image. They
 * are told apart by type and rank, not by position: torchvision orders them boxes, scores, labels
 * for SSD and RetinaNet but boxes, labels, scores for Faster R-CNN. The score explained is an
 * entry of {@code scores}.
 */
public record DetectionOutputs(String boxes, String scores, String labels) {

    /** The three outputs, when the model has exactly these (a name of the same role breaks a tie). */
    public static Optional<DetectionOutputs> of(OnnxModel model) {
        String boxes = null;
        String scores = null;
        String labels = null;
        int count = 0;
        for (ValueInfoProto v : model.proto().getGraph().getOutputList()) {
            count++;
            if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
                return Optional.empty();
            }
            TypeProto.Tensor t = v.getType().getTensorType();
            int rank = t.getShape().getDimCount();
            boolean isFloat = t.getElemType() == TensorInfo.FLOAT;
            boolean isInt = t.getElemType() == 7 || t.getElemType() == 6; // INT64, INT32
            if (isFloat && rank == 2 && (!t.getShape().getDim(1).hasDimValue() || t.getShape().getDim(1).getDimValue() == 4)) {
                boxes = boxes == null ? v.getName() : null;
            } else if (isFloat && rank == 1) {
                scores = scores == null ? v.getName() : null;
            } else if (isInt && rank == 1) {
                labels = labels == null ? v.getName() : null;
            } else {
                return Optional.empty();
            }
        }
        if (count != 3 || boxes == null || scores == null || labels == null) {
            return Optional.empty();
        }
        return Optional.of(new DetectionOutputs(boxes, scores, labels));
    }
}
