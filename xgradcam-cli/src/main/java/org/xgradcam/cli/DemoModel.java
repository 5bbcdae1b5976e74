package org.xgradcam.cli;

import org.xgradcam.models.ModelSpec;

/** The embedded demo models (see {@link ModelSpec#demo()}): the command line's default model. */
final class DemoModel {
    static final String NAME = ModelSpec.DEMO;
    static final String DETECTOR = ModelSpec.DEMO_DETECTOR;

    private DemoModel() {}

    static ModelSpec spec() {
        return ModelSpec.demo();
    }

    static ModelSpec detector() {
        return ModelSpec.demoDetector();
    }

    /** The demo for no name, else a demo, catalogue name or file. */
    static ModelSpec resolve(String nameOrFile, org.xgradcam.models.ModelCache cache) {
        return nameOrFile == null ? spec() : ModelSpec.resolve(nameOrFile, cache);
    }
}
