package org.xgradcam.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xgradcam.io.Npy;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Engines;
import org.xgradcam.testing.Fixtures;

/** Asking for CUDA where the CPU build of ONNX Runtime runs: one note, then the CPU, as the original tool. */
class CudaFallbackTest {
    @Test
    void cudaRequestFallsBackToCpuWithANote() {
        List<String> notes = new ArrayList<>();
        Sessions.setNoteSink(notes::add);
        try {
            Engines e = Engines.load(Fixtures.resource("torchvision/resnet/model.onnx"));
            FloatTensor x = Npy.read(Fixtures.resource("torchvision/resnet/input.npy"));
            try (GradientSession s = new GradientSession(e.augment(e.catalog().requireDefault().tensor()),
                    RuntimeOptions.cpu().withCuda(true).withThreads(1))) {
                GradientResult r = s.run(x, GradientSession.Seed.topClass());
                assertThat(Fixtures.relativeError(r.score(), Npy.read(Fixtures.resource("torchvision/resnet/logits.npy"))))
                        .isLessThan(1e-4);
            }
            if (!notes.isEmpty()) { // a CUDA-enabled build on a GPU machine says nothing and runs there
                assertThat(notes.get(0)).contains("CUDA is not available").contains("running on the CPU");
            }
        } finally {
            Sessions.setNoteSink(System.err::println);
        }
    }
}
