package org.xgradcam.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.PreprocessingOverrides;
import org.xgradcam.models.Labels;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.testing.Fixtures;

/**
 * PaddleOCR's PP-OCRv4 recogniser as published in an npm package (tools/fixtures/fetch_npm_models.sh,
 * MIT, never bundled; skipped when absent): read as a sequence (not a detection head, as its
 * [1, T, 6625] output once was), its attention's q/k/v axis sliced after a transpose, and a line
 * of printed text read and explained, one character at the place it is printed.
 */
class PaddleOcrTest {
    private static Pipeline open() throws Exception {
        ModelSpec spec = ModelSpec.ofFile(NpmShippedModelsTest.model("paddleocr-rec-v4.onnx"))
                .withLabels(Labels.file(NpmShippedModelsTest.model("paddleocr-keys-v1.txt")), "keys");
        // PaddleOCR's own preprocessing: BGR, (x / 255 - 0.5) / 0.5, height 48
        var pre = new PreprocessingOverrides(null, "48x320", null, null, null, "0.5,0.5,0.5", "0.5,0.5,0.5", true)
                .apply(spec.preprocessing());
        return Pipeline.open(spec, pre, org.xgradcam.cam.Explainer.Options.defaults());
    }

    @Test
    void aLineOfTextIsReadAndEachCharacterExplainedWhereItIsPrinted() throws Exception {
        byte[] png = Files.readAllBytes(Fixtures.resource("sequence/hello-2026.png"));
        try (Pipeline p = open()) {
            assertThat(p.kind()).isEqualTo(ModelKind.SEQUENCE);
            Result r = p.explain(p.prepare(png, "hello", false, ImageLoader.MAX_PIXELS),
                    p.plan(Request.defaults().withPictures(false, null, false, false)));
            assertThat(r.sequence().text()).startsWith("HELLO 2026");
            assertThat(r.detections()).isEmpty();
            // the E (the second symbol) is printed at x 35..58 of 320 (tools/fixtures/text_image.py)
            int stepOfE = r.sequence().symbols().get(1).step();
            assertThat(r.sequence().symbols().get(1).text()).isEqualTo("E");
            Result e = p.explain(p.prepare(png, "hello", false, ImageLoader.MAX_PIXELS),
                    p.plan(Request.defaults().withStep(stepOfE).withMethods(Request.methods(List.of("gradcam")))
                            .withPictures(false, null, false, false)));
            float[] map = e.first().explanation().result("gradcam").map().data();
            int peak = peakColumn(map, 320, 48);
            assertThat(peak).as("where the map of the step that reads E peaks").isBetween(35 - 16, 58 + 16);
        }
    }

    /** No input size given: the line keeps its aspect ratio at the model's height of 48, whatever its own size. */
    @Test
    void withoutAnInputSizeEachLineKeepsItsAspectRatio() throws Exception {
        ModelSpec spec = ModelSpec.ofFile(NpmShippedModelsTest.model("paddleocr-rec-v4.onnx"))
                .withLabels(Labels.file(NpmShippedModelsTest.model("paddleocr-keys-v1.txt")), "keys");
        var asked = new PreprocessingOverrides(null, null, null, null, null, "0.5,0.5,0.5", "0.5,0.5,0.5", true);
        org.xgradcam.image.RgbImage line = ImageLoader.decode(Files.readAllBytes(Fixtures.resource("sequence/hello-2026.png")),
                "hello", false, ImageLoader.MAX_PIXELS).image();
        try (Pipeline p = Pipeline.open(spec, asked.apply(spec.preprocessing()), org.xgradcam.cam.Explainer.Options.defaults(),
                Pipeline.Sizing.of(spec, asked))) {
            Prepared big = p.prepare(line.resize(640, 96, org.xgradcam.image.Preprocessing.Interpolation.OPENCV), "big");
            assertThat(big.x().shape()).containsExactly(1, 3, 48, 320);
            Result r = p.explain(big, p.plan(Request.defaults().withPictures(false, null, false, false)));
            assertThat(r.sequence().text()).startsWith("HELLO 2026");
        }
    }

    private static int peakColumn(float[] map, int w, int h) {
        int best = 0;
        double bestSum = -1;
        for (int x = 0; x < w; x++) {
            double s = 0;
            for (int y = 0; y < h; y++) {
                s += map[y * w + x];
            }
            if (s > bestSum) {
                bestSum = s;
                best = x;
            }
        }
        return best;
    }
}
