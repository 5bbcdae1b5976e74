package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Explanation;
import org.xgradcam.cam.Methods;
import org.xgradcam.cam.Target;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.scenes.Scenes;
import org.xgradcam.tensor.FloatTensor;

/**
 * The embedded demo model on held-out scenes (a seed it never saw in training): it classifies
 * the shapes, and XGrad-CAM's peak falls inside the target shape's box (the pointing game).
 * The model measures 0.808 (tools/demo_model/train.py computes the same game in PyTorch);
 * the goal is 0.9, not reached yet. The bound below guards the measured level.
 */
class DemoModelTest {
    static final int SCENES = 500;

    @Test
    void pointingGameOnHeldOutScenes() {
        ModelSpec spec = ModelSpec.demo();
        Preprocessing pre = spec.preprocessing();
        int hits = 0;
        int trials = 0;
        int correctTop = 0;
        try (Explainer e = Explainer.open(spec.model(), Explainer.Options.defaults().withInputShape(new long[] {1, 3, 96, 96}))) {
            for (int start = 0; start < SCENES; start += 50) {
                List<FloatTensor> rows = new ArrayList<>();
                List<Scenes.Item> targets = new ArrayList<>();
                for (int i = start; i < start + 50; i++) {
                    Scenes.Scene s = Scenes.generate(424242, i, 96, 0.5);
                    Scenes.Item target = s.items().get(i % s.items().size());
                    rows.add(pre.toTensor(pre.fit(s.image())).row(0));
                    targets.add(target);
                }
                int[] classes = targets.stream().mapToInt(Scenes.Item::classIndex).toArray();
                List<Explanation> ex = e.explain(FloatTensor.stack(rows), Explainer.Request.of(Methods.byName("xgradcam"))
                        .withTarget(Target.classes(classes)));
                for (int j = 0; j < ex.size(); j++) {
                    float[] map = ex.get(j).result("xgradcam").map().data();
                    int best = 0;
                    for (int p = 1; p < map.length; p++) {
                        if (map[p] > map[best]) {
                            best = p;
                        }
                    }
                    hits += targets.get(j).contains(best % 96, best / 96) ? 1 : 0;
                    trials++;
                    float[] logits = ex.get(j).logits();
                    correctTop += logits[classes[j]] > 0 ? 1 : 0;
                }
            }
        }
        double pointing = (double) hits / trials;
        double recall = (double) correctTop / trials;
        System.out.printf("demo model: pointing game %.3f, target-class recall %.3f on %d held-out scenes%n", pointing, recall, trials);
        assertThat(recall).as("share of target shapes the model detects (logit > 0)").isGreaterThan(0.9);
        assertThat(pointing).as("XGrad-CAM pointing game").isGreaterThanOrEqualTo(0.78);
    }
}
