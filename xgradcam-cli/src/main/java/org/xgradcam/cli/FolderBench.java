package org.xgradcam.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xgradcam.XGradCamException;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.runtime.ForwardSession;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.validation.Check;

/**
 * {@code bench --folder}: the explain command's folder run, in this process, against a plain ONNX
 * Runtime forward of the same images at the same batch size, measured in the same run and
 * interleaved. The folder run's cost per image leaves its start (model loading, sessions, the
 * first images) out: it is (T(all images) - T(first k)) / (n - k), both runs timed whole. The
 * plain forward runs on tensors decoded beforehand; decoding is timed apart, so that both "over
 * the model alone" and "over decoding, then the model" (what a plain inference script costs) show.
 */
final class FolderBench {
    private final BenchCommand b;

    FolderBench(BenchCommand b) {
        this.b = b;
    }

    int run() throws IOException {
        b.common.validate();
        Check.range("--batch-size", b.batch, 1, BenchCommand.MAX_BATCH);
        int iterations = b.iterations != null ? b.iterations : 1;
        Check.range("--iterations", iterations, 1, 100);
        InputImages images = InputImages.collect(List.of(b.folder));
        List<InputImages.Item> items = images.items();
        int first = Math.max(4, 2 * b.batch);
        if (items.size() < first + 8) {
            throw new XGradCamException("--folder " + b.folder + " holds " + items.size() + " images; give at least "
                    + (first + 8) + " (the start of a folder run, the first " + first + ", is measured apart and left out)");
        }
        ModelSpec spec = b.common.resolveModel();
        Preprocessing pre = spec.preprocessing();
        if (pre.isClip()) {
            throw new XGradCamException("bench --folder times a folder of still images; " + spec.name() + " takes clips of "
                    + pre.frames() + " frames: time one clip with 'xgradcam bench --model " + spec.name() + "'");
        }
        // the plain forward's inputs, decoded once beforehand; the decoding timed on its own
        long t0 = System.nanoTime();
        List<FloatTensor> inputs = new ArrayList<>();
        for (InputImages.Item it : items) {
            inputs.add(pre.toTensor(pre.fit(ImageLoader.load(it.path()))));
        }
        double decodeMs = (System.nanoTime() - t0) / 1e6 / items.size();
        List<FloatTensor> batches = batches(inputs, b.batch);
        inputs = null;
        Path small = Files.createTempDirectory("xgradcam-bench-first");
        Path out = Files.createTempDirectory("xgradcam-bench-out");
        try {
            for (InputImages.Item it : items.subList(0, first)) {
                Files.createSymbolicLink(small.resolve(it.path().getFileName()), it.path().toAbsolutePath());
            }
            double[] plain = new double[iterations];
            double[] folderRun = new double[iterations];
            // the graph's own input: older files list their weights as inputs too
            org.xgradcam.onnx.Graph graph = new org.xgradcam.onnx.Graph(spec.model());
            try (ForwardSession session = new ForwardSession(spec.model(), graph.inputs().get(0), b.common.runtime())) {
                String output = graph.outputs().get(0);
                session.run(batches.get(0), output); // warm-up
                for (int i = 0; i < iterations; i++) {
                    long t = System.nanoTime();
                    for (FloatTensor x : batches) {
                        session.run(x, output);
                    }
                    plain[i] = (System.nanoTime() - t) / 1e6 / items.size();
                    double whole = explain(b.folder, out);
                    double start = explain(small, out);
                    folderRun[i] = (whole - start) / (items.size() - first);
                }
            }
            double p = BenchCommand.median(plain);
            double f = BenchCommand.median(folderRun);
            System.out.printf(Locale.ROOT, "folder %s: %d images, model %s, batch %d, methods %s%s, %d iterations, medians%n",
                    b.folder, items.size(), spec.name(), b.batch, String.join(",", methods()), b.noPictures ? ", no pictures (raw arrays)" : b.noFigure ? ", no figure" : "",
                    iterations);
            System.out.printf(Locale.ROOT, "%-40s %9.2f ms/image%n", "decoding + preprocessing (one thread)", decodeMs);
            System.out.printf(Locale.ROOT, "%-40s %9.2f ms/image  %7.3fx%n", "plain forward", p, 1.0);
            System.out.printf(Locale.ROOT, "%-40s %9.2f ms/image  %7.3fx%n", "decoding, then plain forward", p + decodeMs,
                    (p + decodeMs) / p);
            System.out.printf(Locale.ROOT, "%-40s %9.2f ms/image  %7.3fx  (%.3fx decoding, then plain forward)%n",
                    "folder run (xgradcam explain)", f, f / p, f / (p + decodeMs));
            return 0;
        } finally {
            org.xgradcam.io.ScratchFolders.delete(small);
            org.xgradcam.io.ScratchFolders.delete(out);
        }
    }

    private List<String> methods() {
        return b.methods.isEmpty() ? List.of("xgradcam") : b.methods;
    }

    /** One folder run of the explain command in this process, its wall time in ms; its own output discarded. */
    private double explain(Path dir, Path out) {
        List<String> args = new ArrayList<>(List.of("--image-path", dir.toString(), "--output-dir",
                out.toString(), "--method", String.join(",", methods()), "--batch-size", Integer.toString(b.batch), "--quiet",
                "--overwrite"));
        if (b.common.model != null) {
            args.addAll(List.of("--model", b.common.model));
        }
        if (b.common.cacheDir != null) {
            args.addAll(List.of("--cache-dir", b.common.cacheDir.toString()));
        }
        if (b.common.labels != null) {
            args.addAll(List.of("--labels", b.common.labels.toString()));
        }
        if (b.common.useCuda) {
            args.add("--use-cuda");
        }
        if (b.layer != null) {
            args.addAll(List.of("--layer", b.layer));
        }
        if (b.noFigure) {
            args.add("--no-figure");
        }
        if (b.noPictures) {
            args.addAll(List.of("--no-pictures", "--save-raw"));
        }
        if (b.common.threads != 0) {
            args.addAll(List.of("--threads", Integer.toString(b.common.threads)));
        }
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        long t = System.nanoTime();
        int code;
        try {
            code = XGradCamCommand.run(args.toArray(String[]::new));
        } finally {
            System.setOut(stdout);
        }
        if (code != 0) {
            throw new XGradCamException("the folder run over " + dir + " failed (exit " + code + "); run it alone: xgradcam "
                    + String.join(" ", args));
        }
        return (System.nanoTime() - t) / 1e6;
    }

    /** The one-image tensors stacked n at a time (the last batch may be smaller). */
    private static List<FloatTensor> batches(List<FloatTensor> xs, int n) {
        List<FloatTensor> out = new ArrayList<>();
        for (int i = 0; i < xs.size(); i += n) {
            out.add(FloatTensor.stack(xs.subList(i, Math.min(xs.size(), i + n)).stream().map(x -> x.row(0)).toList()));
        }
        return out;
    }
}
