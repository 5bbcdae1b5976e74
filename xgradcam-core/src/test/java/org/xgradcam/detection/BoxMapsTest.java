package org.xgradcam.detection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Renormalising a map inside boxes, as pytorch-grad-cam's renormalize_cam_in_bounding_boxes does. */
class BoxMapsTest {
    @Test
    void eachBoxIsScaledOnItsOwnAndTheRestIsZero() {
        int w = 6;
        int h = 4;
        float[] map = new float[w * h];
        for (int i = 0; i < map.length; i++) {
            map[i] = i;
        }
        // box [1, 1, 3, 3) covers pixels (x 1..2, y 1..2): values 7 8 13 14; corners truncated as an int cast does
        List<Detection> boxes = List.of(new Detection(0, 0, 0.9f, 1.7f, 1.2f, 3.9f, 3.0f));
        float[] out = BoxMaps.renormalizedIn(map, w, h, boxes);
        assertThat(out[0]).isZero();
        assertThat(out[5]).isZero();
        assertThat(out[1 * w + 1]).isZero();                      // the box's minimum
        assertThat(out[2 * w + 2]).isCloseTo(1f, within(1e-5f));  // its maximum
        assertThat(out[1 * w + 2]).isCloseTo(1f / 7f, within(1e-5f));
        assertThat(out[2 * w + 1]).isCloseTo(6f / 7f, within(1e-5f));
        // a box reaching past the map is clipped; an empty one changes nothing
        float[] clipped = BoxMaps.renormalizedIn(map, w, h, List.of(new Detection(0, 0, 1, 4, 2, 99, 99),
                new Detection(1, 0, 1, 3, 3, 3, 3)));
        assertThat(clipped[2 * w + 4]).isZero();
        assertThat(clipped[3 * w + 5]).isCloseTo(1f, within(1e-5f));
        assertThat(clipped[0]).isZero();
    }
}
