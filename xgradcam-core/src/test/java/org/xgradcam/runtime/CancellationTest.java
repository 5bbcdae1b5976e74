package org.xgradcam.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xgradcam.onnx.OnnxModel;
import org.xgradcam.onnx.OrtSessions;
import org.xgradcam.tensor.FloatTensor;
import org.xgradcam.testing.TestGraph;

/**
 * Model work stopped from outside: a thread's run is cancelled between two operators (a server's
 * request past its budget), and a session closed under a run stops and waits for it instead of
 * freeing memory the run still uses (which crashed the JVM).
 */
class CancellationTest {
    /** 2,000 products of a 512 x 512 activation with a 512 x 512 weight: seconds of work, in small steps. */
    static OnnxModel slowModel() {
        TestGraph g = new TestGraph(13);
        String x = g.input("x", 1, 512, 512);
        String w = g.random(new Random(1), 0.04f, 512, 512);
        String t = x;
        for (int i = 0; i < 2000; i++) {
            t = g.node("MatMul", List.of(t, w));
        }
        return g.build(t);
    }

    static final FloatTensor INPUT = FloatTensor.zeros(1, 512, 512);

    /** Runs the session on another thread; returns the thread and where its failure lands. */
    private static Thread running(ForwardSession s, AtomicReference<Throwable> failure) throws InterruptedException {
        Thread t = new Thread(() -> {
            try {
                s.run(INPUT);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        Thread.sleep(300); // inside the run by now
        return t;
    }

    @Test
    void aCancelledThreadsRunStopsBetweenTwoOperators() throws Exception {
        OnnxModel m = slowModel();
        try (ForwardSession s = new ForwardSession(m, "x", RuntimeOptions.cpu())) {
            long t0 = System.nanoTime();
            s.run(INPUT);
            long whole = (System.nanoTime() - t0) / 1_000_000;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = running(s, failure);
            long c0 = System.nanoTime();
            OrtSessions.cancel(t);
            t.join(10_000);
            long stopped = (System.nanoTime() - c0) / 1_000_000;
            assertThat(t.isAlive()).isFalse();
            assertThat(failure.get()).isInstanceOf(OrtSessions.Cancelled.class);
            assertThat(stopped).as("stopped (ms) against a whole run of %d ms", whole).isLessThan(Math.max(200, whole / 2));
            // the session itself is fine for other threads
            assertThat(s.run(INPUT)).isNotEmpty();
        }
    }

    @Test
    void closingASessionUnderARunStopsTheRunFirst() throws Exception {
        OnnxModel m = slowModel();
        ForwardSession s = new ForwardSession(m, "x", RuntimeOptions.cpu());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = running(s, failure);
        s.close(); // the JVM survives: the run is stopped and waited for before the session is freed
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(failure.get()).isNotNull();
    }
}
