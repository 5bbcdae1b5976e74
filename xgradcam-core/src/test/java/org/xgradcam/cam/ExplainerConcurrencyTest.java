package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.xgradcam.XGradCamException;
import org.xgradcam.io.Npy;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.runtime.RuntimeOptions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.Fixtures;

/** One Explainer shared by many threads from a cold start gives what a single thread gets. */
class ExplainerConcurrencyTest {
    private static final List<String> METHODS = List.of("gradcam", "xgradcam", "scorecam", "ablationcam", "fullgrad",
            "guidedgradcam", "eigencam", "layercam");

    private static FloatTensor input(int seed) {
        FloatTensor x = Npy.read(Fixtures.resource("torchvision/resnet/input.npy")).row(0);
        float[] d = x.data().clone();
        Random r = new Random(seed);
        for (int i = 0; i < d.length; i++) {
            d[i] += (float) (0.1 * r.nextGaussian());
        }
        long[] s = x.shape();
        long[] shape = new long[s.length + 1];
        shape[0] = 1;
        System.arraycopy(s, 0, shape, 1, s.length);
        return new FloatTensor(shape, d);
    }

    private static Explainer.Request request(String method, int target) {
        return new Explainer.Request(List.of(Methods.byName(method)), target < 0 ? Target.topClass() : Target.classes(target),
                List.of(), PostProcess.SEED, 7);
    }

    private static float[] map(Explainer e, FloatTensor x, String method, int target) {
        Explanation ex = e.explain(x, request(method, target)).get(0);
        CamResult r = ex.result(method);
        return (r.map() != null ? r.map() : r.pixels()).data();
    }

    @Test
    void eightThreadsFromAColdStartMatchOneThread() throws Exception {
        OnnxModel model = OnnxModel.load(Fixtures.resource("torchvision/resnet/model.onnx"));
        int inputs = 3;
        List<float[]> expected = new ArrayList<>();
        try (Explainer single = Explainer.open(model, Explainer.Options.defaults().withRuntime(RuntimeOptions.cpu().withThreads(1)))) {
            for (int i = 0; i < inputs; i++) {
                for (String m : METHODS) {
                    expected.add(map(single, input(i), m, i == 2 ? 3 : -1));
                }
            }
        }
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (Explainer shared = Explainer.open(model, Explainer.Options.defaults().withRuntime(RuntimeOptions.cpu().withThreads(1)))) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int offset = t;
                done.add(pool.submit(() -> {
                    start.await(); // every thread's first call lands on the cold explainer at once
                    int checked = 0;
                    for (int k = 0; k < expected.size(); k++) {
                        int job = (k + offset * 5) % expected.size();
                        int i = job / METHODS.size();
                        String m = METHODS.get(job % METHODS.size());
                        assertThat(map(shared, input(i), m, i == 2 ? 3 : -1)).as("%s on input %d", m, i)
                                .containsExactly(expected.get(job), org.assertj.core.data.Offset.offset(1e-5f));
                        checked++;
                    }
                    return checked;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get();
            }
            assertThat(total).isEqualTo(threads * expected.size());
            // every session built exactly once, however the threads raced: the standard and top-class
            // run (shared), the full and guided runs, the forward session and Ablation-CAM's tail
            int built = shared.openSessions();
            try (Explainer again = Explainer.open(model, Explainer.Options.defaults())) {
                for (String m : METHODS) {
                    map(again, input(0), m, -1);
                    map(again, input(2), m, 3);
                }
                assertThat(built).isEqualTo(again.openSessions());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closedExplainerRefusesWork() {
        OnnxModel model = OnnxModel.load(Fixtures.resource("torchvision/resnet/model.onnx"));
        Explainer e = Explainer.open(model, Explainer.Options.defaults());
        map(e, input(0), "gradcam", -1);
        e.close();
        assertThat(e.openSessions()).isZero();
        assertThatThrownBy(() -> map(e, input(0), "gradcam", -1)).isInstanceOf(XGradCamException.class)
                .hasMessageContaining("closed");
    }
}
