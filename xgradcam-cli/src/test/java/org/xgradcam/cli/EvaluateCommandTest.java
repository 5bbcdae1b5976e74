package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xgradcam.image.Pictures;
import org.xgradcam.scenes.Scenes;

/** evaluate on generated scenes with their ground-truth boxes. */
class EvaluateCommandTest {
    @TempDir
    Path tmp;

    @Test
    void writesCsvJsonAndReport() throws Exception {
        Path images = tmp.resolve("scenes");
        Files.createDirectories(images);
        List<String> csv = new ArrayList<>(List.of("file,class,x0,y0,x1,y1"));
        for (int i = 0; i < 3; i++) {
            Scenes.Scene s = Scenes.generate(31, i, 96, 0.5);
            String name = "s" + i + ".png";
            Pictures.save(s.image(), images.resolve(name));
            for (Scenes.Item it : s.items()) {
                csv.add(name + "," + Scenes.CLASSES.get(it.classIndex()) + "," + it.x0() + "," + it.y0() + "," + it.x1() + "," + it.y1());
            }
        }
        Files.write(tmp.resolve("boxes.csv"), csv);
        Path out = tmp.resolve("eval");
        var r = CliRunner.run("evaluate", "--images", images.toString(), "--boxes", tmp.resolve("boxes.csv").toString(),
                "--methods", "gradcam,xgradcam", "--metrics", "confidence,deletion,pointing,conservation,sensitivity",
                "--output-dir", out.toString(), "--quiet", "--steps", "8");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> rows = Files.readAllLines(out.resolve("results.csv"));
        assertThat(rows.get(0)).isEqualTo("image,method,class,metric,value");
        // 3 images x 2 methods x (4 confidence + deletion + pointing + conservation + sensitivity)
        assertThat(rows).hasSize(1 + 3 * 2 * 8);
        assertThat(Files.readString(out.resolve("summary.json"))).contains("\"XGrad-CAM\"").contains("\"pointing_game\"");
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("<svg").contains("data:image/png;base64,").contains("conservation_residual");
    }

    @Test
    void unknownMetricIsRefused() {
        var r = CliRunner.run("evaluate", "--images", tmp.toString(), "--metrics", "vibes");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("unknown metric 'vibes'");
    }
}
