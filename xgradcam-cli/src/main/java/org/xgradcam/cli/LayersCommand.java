package org.xgradcam.cli;

import org.xgradcam.models.ModelSpec;

import java.util.concurrent.Callable;
import org.xgradcam.cam.Explainer;
import org.xgradcam.onnx.LayerCatalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Lists the layers a map can be computed at. */
@Command(name = "layers", description = "List candidate target layers (4-D feature maps) with shapes; * marks the default.")
public class LayersCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();

    @Mixin
    TokenOptions tokens = new TokenOptions();

    @Mixin
    PreprocessingOptions preprocessing = new PreprocessingOptions();

    @Override
    public Integer call() {
        ModelSpec spec = common.resolveModel();
        try (Explainer e = Explainer.open(spec, Explainer.Options.defaults()
                .withInputShape(shape(preprocessing.apply(spec.preprocessing()))).withRuntime(common.runtime()).withTokenLayout(tokens.layout()))) {
            LayerCatalog c = e.layers();
            String def = c.defaultLayer().map(LayerCatalog.Layer::tensor).orElse("");
            // the name column: the longest name after the two-character default mark
            int width = c.layers().stream().mapToInt(l -> l.tensor().length()).max().orElse(10);
            int ops = Math.max(18, c.layers().stream().mapToInt(l -> l.opType().length()).max().orElse(0));
            System.out.printf("%-" + (width + 2) + "s  %-" + ops + "s  %-14s  %-17s  %-16s  %s%n", "  layer", "op", e.frames() > 1 || e.inputShape().length == 5 ? "shape (CxDxHxW)" : "shape (CxHxW)", "type",
                    "seen as", "every path passes");
            for (LayerCatalog.Layer l : c.layers()) {
                String seen = l.view().isIdentity() ? "map" : l.view().describe();
                System.out.printf("%s %-" + width + "s  %-" + ops + "s  %-14s  %-17s  %-16s  %s%n", l.tensor().equals(def) ? "*" : " ",
                        l.tensor(), l.opType(), l.describe(), c.typeOf(l.tensor()), seen, l.shape()[2] * l.shape()[3] <= 1
                                ? "(1x1: no spatial map to explain)" : !c.gradientReaches(l.tensor())
                                ? "(no gradient reaches it: only a shape or an index is read from it)"
                                : c.isCut(l.tensor()) ? "yes" : "no (inside a branch)");
            }
            System.out.println("score: " + c.score() + (c.scoreNote().isEmpty() ? "" : " (" + c.scoreNote() + ")"));
        }
        return 0;
    }

    static long[] shape(ModelSpec spec) {
        return shape(spec.preprocessing());
    }

    static long[] shape(org.xgradcam.image.Preprocessing p) {
        return p.inputShape();
    }
}
