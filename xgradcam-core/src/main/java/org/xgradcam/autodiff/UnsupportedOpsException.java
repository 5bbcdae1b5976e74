package org.xgradcam.autodiff;

import java.util.List;
import org.xgradcam.XGradCamException;

/**
 * The gradient cannot cross some nodes between a layer and the score (no rule for their op, or
 * a variant the rule does not cover). It names the nodes, and carries their outputs so that a
 * caller holding the layer catalogue can suggest the nearest layer after them.
 */
public final class UnsupportedOpsException extends XGradCamException {
    private final List<String> blockingOutputs;

    public UnsupportedOpsException(String message, List<String> blockingOutputs) {
        super(message);
        this.blockingOutputs = List.copyOf(blockingOutputs);
    }

    /** The outputs of the nodes the gradient cannot cross. */
    public List<String> blockingOutputs() {
        return blockingOutputs;
    }
}
