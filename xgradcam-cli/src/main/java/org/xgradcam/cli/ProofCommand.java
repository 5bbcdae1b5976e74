package org.xgradcam.cli;

import org.xgradcam.models.ModelSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.xgradcam.XGradCamException;
import org.xgradcam.autodiff.AugmentedModel;
import org.xgradcam.autodiff.GradientBuilder;
import org.xgradcam.autodiff.GradientRequest;
import org.xgradcam.cam.Explainer;
import org.xgradcam.image.ImageLoader;
import org.xgradcam.image.Preprocessing;
import org.xgradcam.metrics.ScoreDecomposition;
import org.xgradcam.runtime.GradientResult;
import org.xgradcam.runtime.GradientSession;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.tensor.Vectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Proof_verify.py for any model: Eq. (5) of the paper at a layer. */
@Command(name = "proof", description = "Check Eq. (5) of the XGrad-CAM paper: class score = sum(A * dS/dA) + bias term.")
public class ProofCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();

    @Mixin
    PreprocessingOptions preprocessing = new PreprocessingOptions();

    @Option(names = "--image-path", required = true, paramLabel = "IMAGE", description = "The image.")
    Path image;

    @Option(names = "--target-index", paramLabel = "CLASS", description = "Class, by index or by name (default: the top class).")
    String targetClass;

    @Option(names = "--layer", paramLabel = "NAME", description = "Layer (default: the model's default layer).")
    String layer;

    @Option(names = "--verbose", description = "List each bias's share of the bias term.")
    boolean verbose;

    @Override
    public Integer call() {
        common.validate();
        preprocessing.validate();
        org.xgradcam.validation.InputFiles.requireRegularFile(image, "image");
        ModelSpec spec = common.resolveModel();
        Preprocessing pre = preprocessing.apply(spec.preprocessing());
        FloatTensor x = pre.toTensor(pre.fit(ImageLoader.load(image)));
        try (Explainer e = Explainer.open(spec, Explainer.Options.defaults()
                .withInputShape(LayersCommand.shape(pre)).withRuntime(common.runtime()))) {
            String l = layer == null ? e.layers().requireDefault().tensor() : e.layers().resolve(layer).tensor();
            if (!e.layers().isCut(l)) {
                throw new XGradCamException("layer '" + l + "' lies inside a branch (a skip connection bypasses it), where"
                        + " Eq. 5 does not apply; pick a layer every path passes through (see 'xgradcam layers')");
            }
            AugmentedModel aug = GradientBuilder.build(e.graph(), e.shapes(),
                    GradientRequest.of(List.of(l), e.layers().score()).withBiasGradients());
            try (GradientSession s = new GradientSession(aug, common.runtime())) {
                int k = e.numClasses();
                Integer targetIndex = targetClass == null ? null : org.xgradcam.pipeline.ClassChoice.resolve(targetClass, spec.labels(), k, "classes");
                GradientResult first = s.run(x, GradientSession.Seed.topClass());
                int cls = targetIndex != null ? targetIndex : Vectors.argmax(first.score().data());
                GradientResult r = targetIndex == null ? first : s.run(x, GradientSession.Seed.classes(new int[] {cls}, k));
                float[] seed = new float[k];
                seed[cls] = 1;
                ScoreDecomposition d = ScoreDecomposition.of(aug, r, l, 0, seed);
                System.out.println("class of interest: " + spec.labels().line(cls));
                System.out.println("layer: " + l);
                System.out.printf("class score:               %.6f%n", d.score());
                System.out.printf("sum(gradients * feature):  %.6f%n", d.featureTerm());
                System.out.printf("bias term:                 %.6f%n", d.biasTerm());
                System.out.printf("residual:                  %.3e (%.3e of the score)%n", d.residual(), d.relativeResidual());
                if (verbose) {
                    for (ScoreDecomposition.Contribution c : d.biases()) {
                        System.out.printf("  %-50s %-18s %.6f%n", c.node(), c.opType(), c.value());
                    }
                }
                if (d.relativeResidual() > 1e-3) {
                    System.out.println("note: the residual is not ~0: the network has ops after the layer that are not"
                            + " ReLU, max-pool or affine (e.g. ReLU6, sigmoid, GELU), where Eq. 5 does not hold exactly");
                }
            }
        }
        return 0;
    }
}
