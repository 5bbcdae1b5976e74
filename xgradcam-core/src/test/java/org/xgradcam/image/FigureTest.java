package org.xgradcam.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The comparison figure as a grid with its colour bar, and labels a person can read on small pictures. */
class FigureTest {
    static RgbImage grey(int w, int h) {
        byte[] px = new byte[3 * w * h];
        java.util.Arrays.fill(px, (byte) 128);
        return new RgbImage(w, h, px);
    }

    @Test
    void sevenPanelsMakeTwoRowsOfFourAboveTheColourBar() {
        List<Pictures.Panel> panels = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            panels.add(new Pictures.Panel(grey(96, 96), "method " + i, "class"));
        }
        RgbImage f = Pictures.figure(panels, 4, Colormap.JET);
        // 96 px panels drawn at 192: 4 x (192 + 8) + 8 wide; 2 x (192 + 40 + 8) + 4 + 40 high
        assertThat(f.width()).isEqualTo(808);
        assertThat(f.height()).isEqualTo(524);
        int barTop = 2 * (192 + 40 + 8) + 4;
        int left = (808 - 512) / 2;
        int[] low = pixel(f, left + 1, barTop + 5);
        int[] high = pixel(f, left + 510, barTop + 5);
        assertThat(low).containsExactly(Colormap.JET.rgb(0));
        assertThat(high).containsExactly(Colormap.JET.rgb(255));
        // without a colour map: no bar
        assertThat(Pictures.figure(panels, 4, null).height()).isEqualTo(484);
    }

    static int[] pixel(RgbImage img, int x, int y) {
        int i = 3 * (y * img.width() + x);
        return new int[] {img.rgb()[i] & 0xff, img.rgb()[i + 1] & 0xff, img.rgb()[i + 2] & 0xff};
    }

    @Test
    void boxesOnASmallPictureAreDrawnScaledUpSoTheirLabelsCanBeRead() {
        RgbImage drawn = Boxes.draw(grey(96, 96), List.of(new Boxes.Box(10, 20, 40, 50, "0 star 0.99")), List.of(1));
        assertThat(drawn.width()).isEqualTo(384);
        assertThat(drawn.height()).isEqualTo(384);
        // the box's left edge at 4 x 10 in its class's colour (green), not at 10
        assertThat(pixel(drawn, 40, 4 * 35)).containsExactly(60, 180, 75);
        assertThat(Boxes.draw(grey(640, 480), List.of(), List.of()).width()).isEqualTo(640);
    }
}
