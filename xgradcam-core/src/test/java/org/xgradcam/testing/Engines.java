package org.xgradcam.testing;

import java.nio.file.Path;
import java.util.List;
import org.xgradcam.autodiff.AugmentedModel;
import org.xgradcam.autodiff.GradientBuilder;
import org.xgradcam.autodiff.GradientRequest;
import org.xgradcam.onnx.Graph;
import org.xgradcam.onnx.LayerCatalog;
import org.xgradcam.onnx.ModelShapes;
import org.xgradcam.onnx.OnnxModel;

/** Shortcuts for tests that need a model's graph, shapes, catalog and augmented model. */
public record Engines(OnnxModel model, Graph graph, ModelShapes shapes, LayerCatalog catalog) {
    public static Engines load(Path file) {
        return load(OnnxModel.load(file));
    }

    public static Engines load(OnnxModel m) {
        Graph g = new Graph(m);
        ModelShapes s = ModelShapes.of(g, null);
        return new Engines(m, g, s, LayerCatalog.of(g, s));
    }

    public AugmentedModel augment(GradientRequest r) {
        return GradientBuilder.build(graph, shapes, r);
    }

    public AugmentedModel augment(String layer) {
        return augment(GradientRequest.of(List.of(layer), catalog.score()));
    }
}
