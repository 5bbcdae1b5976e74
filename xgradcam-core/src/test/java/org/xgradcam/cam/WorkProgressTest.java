package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.tensor.FloatTensor;

/** The perturbation methods say how far they have got, row by row, inside one explanation. */
class WorkProgressTest {
    record Step(String what, long done, long total) {}

    @Test
    void scoreCamAndAblationCamReportEveryRowTheyScore() {
        List<Step> steps = new ArrayList<>();
        int channels;
        ModelSpec demo = ModelSpec.demo();
        try (Explainer e = Explainer.open(demo, Explainer.Options.defaults().withInputShape(new long[] {1, 3, 96, 96})
                .withBatchSize(16).withProgress((what, done, total) -> steps.add(new Step(what, done, total))))) {
            FloatTensor x = new FloatTensor(new long[] {1, 3, 96, 96}, new float[3 * 96 * 96]);
            channels = e.explain(x, Explainer.Request.of(Methods.byName("gradcam"), Methods.byName("scorecam"),
                    Methods.byName("ablationcam"))).get(0).activations().dim(0);
        }
        assertThat(steps).noneMatch(s -> s.what().equals("Grad-CAM")); // no model rows: nothing to tell
        List<Step> score = steps.stream().filter(s -> s.what().equals("Score-CAM")).toList();
        // Score-CAM scores one masked input per channel that is not all zero
        Step last = score.get(score.size() - 1);
        assertThat(last.done()).isEqualTo(last.total()).isPositive().isLessThanOrEqualTo(channels);
        assertThat(score).extracting(Step::done).isSorted();
        assertThat(score.size()).isGreaterThan((int) (last.total() / 16));
        List<Step> ablation = steps.stream().filter(s -> s.what().equals("Ablation-CAM")).toList();
        assertThat(ablation.get(ablation.size() - 1)).isEqualTo(new Step("Ablation-CAM", channels, channels));
    }

    @Test
    void detectionsAndAugmentationPassesAreCounted() throws Exception {
        List<Step> steps = new ArrayList<>();
        ModelSpec detector = ModelSpec.demoDetector();
        byte[] scene = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("..", "examples", "star-and-circle.png"));
        try (org.xgradcam.pipeline.Pipeline p = org.xgradcam.pipeline.Pipeline.open(detector, detector.preprocessing(),
                Explainer.Options.defaults().withProgress((what, done, total) -> steps.add(new Step(what, done, total))))) {
            var r = p.explain(p.prepare(scene, "scene", false, org.xgradcam.image.ImageLoader.MAX_PIXELS),
                    p.plan(org.xgradcam.pipeline.Request.defaults().withPictures(false, null, false, false)));
            int n = r.explained().size();
            assertThat(n).isGreaterThan(1);
            // all detections in one run: nothing to count
            assertThat(steps).filteredOn(s -> s.what().equals("detections")).isEmpty();
            // with augmentation smoothing each detection takes its own runs: counted
            p.explain(p.prepare(scene, "scene", false, org.xgradcam.image.ImageLoader.MAX_PIXELS),
                    p.plan(org.xgradcam.pipeline.Request.defaults().withNoise(0, false, true).withPictures(false, null, false, false)));
            assertThat(steps).filteredOn(s -> s.what().equals("detections")).extracting(Step::done)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, n).boxed().toList());
        }
        steps.clear();
        ModelSpec demo = ModelSpec.demo();
        try (org.xgradcam.pipeline.Pipeline p = org.xgradcam.pipeline.Pipeline.open(demo, demo.preprocessing(),
                Explainer.Options.defaults().withProgress((what, done, total) -> steps.add(new Step(what, done, total))))) {
            p.explain(p.prepare(scene, "scene", false, org.xgradcam.image.ImageLoader.MAX_PIXELS),
                    p.plan(org.xgradcam.pipeline.Request.defaults().withNoise(0, false, true).withPictures(false, null, false, false)));
        }
        assertThat(steps).filteredOn(s -> s.what().equals("augmentation smoothing")).hasSize(6)
                .last().isEqualTo(new Step("augmentation smoothing", 6, 6));
    }
}
