package org.xgradcam.cli;

import org.xgradcam.models.ModelCache;

import java.io.IOException;
import java.io.InputStream;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.models.Labels;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.onnx.OnnxModel;

/** The embedded demo: shapes on textured backgrounds, 96x96, trained by tools/demo_model/train.py. */
final class DemoModel {
    static final String NAME = "shapes";

    private DemoModel() {}

    static ModelSpec spec() {
        try (InputStream in = DemoModel.class.getResourceAsStream("demo/shapes.onnx")) {
            if (in == null) {
                throw new IllegalStateException("the embedded demo model is missing from the jar");
            }
            OnnxModel m = OnnxModel.fromBytes(in.readAllBytes(), "the embedded demo model (shapes)");
            Preprocessing p = Preprocessing.seed().withSize(96, 96);
            return new ModelSpec(NAME, m, p, Labels.of(DemoModel.class.getResourceAsStream("demo/labels.txt"), "demo labels"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The embedded demo detector's name. */
    static final String DETECTOR = "shapes-detector";

    /** The demo detector: a YOLO-style dense head [1, 4+6, 144] over the same scenes, trained by tools/demo_detector/train.py. */
    static ModelSpec detector() {
        try (InputStream in = DemoModel.class.getResourceAsStream("demo/shapes-detector.onnx")) {
            if (in == null) {
                throw new IllegalStateException("the embedded demo detector is missing from the jar");
            }
            OnnxModel m = OnnxModel.fromBytes(in.readAllBytes(), "the embedded demo detector (shapes-detector)");
            Preprocessing p = Preprocessing.seed().withSize(96, 96);
            return new ModelSpec(DETECTOR, m, p, Labels.of(DemoModel.class.getResourceAsStream("demo/labels.txt"), "demo labels"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The demo for no name or "shapes", the demo detector for "shapes-detector", else a catalogue name or a file. */
    static ModelSpec resolve(String nameOrFile, org.xgradcam.models.ModelCache cache) {
        if (nameOrFile == null || nameOrFile.equalsIgnoreCase(NAME)) {
            return spec();
        }
        if (nameOrFile.equalsIgnoreCase(DETECTOR)) {
            return detector();
        }
        return ModelSpec.resolve(nameOrFile, cache);
    }
}
