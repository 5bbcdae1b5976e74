package org.xgradcam.cam;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * How many backward copies one run of a selecting detector's tail holds: none to share where a
 * copy's session costs more to start than the tail's forward saves (SSDlite: a large graph, a
 * cheap forward), many where the forward is heavy and the session quick (RetinaNet's head).
 */
class BackwardCopiesChoiceTest {
    private static final long MS = 1_000_000L;

    @Test
    void copiesPayWhereTheTailsForwardOutweighsStartingASession() {
        // measured on this machine: SSDlite 917 ms to build one copy, 343 ms its first run (about 100 ms the
        // next); RetinaNet 121 ms and 1,608 ms
        assertThat(SharedForward.backwardCopies(23, 917 * MS, 100 * MS)).isEqualTo(1);
        assertThat(SharedForward.backwardCopies(23, 917 * MS, 343 * MS)).isLessThanOrEqualTo(2);
        assertThat(SharedForward.backwardCopies(19, 121 * MS, 1608 * MS)).isEqualTo(8);
        // nothing left to share: one copy
        assertThat(SharedForward.backwardCopies(1, 121 * MS, 1608 * MS)).isEqualTo(1);
        assertThat(SharedForward.backwardCopies(0, 121 * MS, 1608 * MS)).isEqualTo(1);
        // never more than the graph holds
        assertThat(SharedForward.backwardCopies(1000, 1 * MS, 10_000 * MS)).isEqualTo(SharedForward.BACKWARD_COPIES);
    }
}
