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
        // the report stands alone: definitions inside, tick values on the axes, no winner on a tie
        assertThat(html).contains("What the metrics mean").contains("XGrad-CAM's conservation").doesNotContain("docs/metrics.md")
                .contains(">0.50</text>");
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("<tr><td>([a-z_]+)</td><td([^>]*)>([^<]+)</td><td([^>]*)>([^<]+)</td>")
                .matcher(html);
        int rowsSeen = 0;
        while (row.find()) {
            rowsSeen++;
            if (row.group(3).equals(row.group(5))) {
                assertThat(row.group(2) + row.group(4)).as("tie in " + row.group(1)).doesNotContain("best");
            }
        }
        assertThat(rowsSeen).isGreaterThan(5);
    }

    @Test
    void aTieHasNoWinnerAndALoneBestIsMarked() {
        java.util.Map<String, java.util.Map<String, List<Double>>> values = new java.util.LinkedHashMap<>();
        values.put("gradcam", java.util.Map.of("pointing_game", List.of(1.0), "deletion_auc", List.of(0.20)));
        values.put("xgradcam", java.util.Map.of("pointing_game", List.of(1.0), "deletion_auc", List.of(0.10)));
        String html = EvaluateCommand.report(org.xgradcam.models.ModelSpec.demo(), "layer", 1, values, java.util.Map.of(),
                java.util.Map.of(), List.of(), List.of());
        assertThat(html).contains("<tr><td>pointing_game</td><td>1.0000</td><td>1.0000</td>")
                .contains("<tr><td>deletion_auc</td><td>0.2000</td><td class=\"best\">0.1000</td>");
    }

    @Test
    void unknownMetricIsRefused() {
        var r = CliRunner.run("evaluate", "--images", tmp.toString(), "--metrics", "vibes");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("unknown metric 'vibes'");
    }
}
