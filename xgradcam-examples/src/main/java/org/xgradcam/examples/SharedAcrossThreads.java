package org.xgradcam.examples;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.xgradcam.cam.Explainer;
import org.xgradcam.cam.Heatmap;
import org.xgradcam.cam.Method;

/** One Explainer shared by a pool of threads: it is thread-safe; close it after the last call. */
public final class SharedAcrossThreads {
    private SharedAcrossThreads() {}

    public static List<Heatmap> explainAll(Path model, List<Path> images, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (Explainer x = Explainer.open(model)) {
            List<Future<Heatmap>> futures = new ArrayList<>();
            for (Path image : images) {
                futures.add(pool.submit(() -> x.explain(image, Method.XGRAD_CAM)));
            }
            List<Heatmap> out = new ArrayList<>();
            for (Future<Heatmap> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdown();
        }
    }

    public static void main(String[] args) throws Exception {
        List<Path> images = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            images.add(Path.of(args[i]));
        }
        for (Heatmap h : explainAll(Path.of(args[0]), images, 4)) {
            System.out.println(h.label() + " " + h.score());
        }
    }
}
