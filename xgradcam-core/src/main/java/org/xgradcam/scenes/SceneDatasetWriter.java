package org.xgradcam.scenes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xgradcam.image.Pictures;

/**
 * Writes a folder of scenes (PNG) with labels.csv (file, class of each shape and its box), the
 * input of tools/demo_model/train.py. Run from the built classes:
 * {@code java -cp xgradcam-core/target/classes org.xgradcam.scenes.SceneDatasetWriter DIR COUNT SEED [SIZE] [P_TWO]}.
 */
public final class SceneDatasetWriter {
    private SceneDatasetWriter() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: SceneDatasetWriter DIR COUNT SEED [SIZE=96] [P_TWO=0.5]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        long seed = Long.parseLong(args[2]);
        int size = args.length > 3 ? Integer.parseInt(args[3]) : 96;
        double pTwo = args.length > 4 ? Double.parseDouble(args[4]) : 0.5;
        Files.createDirectories(dir);
        List<String> lines = new ArrayList<>();
        lines.add("file,class,x0,y0,x1,y1");
        for (int i = 0; i < count; i++) {
            Scenes.Scene s = Scenes.generate(seed, i, size, pTwo);
            String name = String.format("scene_%06d.png", i);
            Pictures.save(s.image(), dir.resolve(name));
            for (Scenes.Item it : s.items()) {
                lines.add(name + "," + it.classIndex() + "," + it.x0() + "," + it.y0() + "," + it.x1() + "," + it.y1());
            }
        }
        Files.write(dir.resolve("labels.csv"), lines);
    }
}
