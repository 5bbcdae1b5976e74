package org.xgradcam.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The progress bar's time left and time taken, on a clock the test moves. */
class ProgressTest {
    private long now;

    @Test
    void timeLeftIsExtrapolatedFromTheRateSoFar() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(buf, true, StandardCharsets.UTF_8), true, () -> now);
        p.update("images", 0, 200);
        now = 10_000_000_000L; // 20 images in 10 s: 180 left at 2 per second
        p.update("images", 20, 200);
        String drawn = buf.toString(StandardCharsets.UTF_8);
        assertThat(drawn).contains("20/200").contains("ETA 1m30s");
        now = 100_000_000_000L;
        p.update("images", 200, 200);
        assertThat(buf.toString(StandardCharsets.UTF_8)).endsWith("200/200 in 1m40s   ");
        p.done();
        // a new bar counts from its own start
        buf.reset();
        p.update("images", 0, 4);
        now += 2_000_000_000L;
        p.update("images", 1, 4);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("ETA 6s");
    }

    @Test
    void workThatIsOftenQuickDrawsNothingUntilItHasTakenItsDelay() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = Progress.afterDelay(new PrintStream(buf, true, StandardCharsets.UTF_8), true, 1_000_000_000L, () -> now);
        p.update("Score-CAM", 0, 512);
        now += 500_000_000L;
        p.update("Score-CAM", 256, 512);
        p.update("Score-CAM", 512, 512); // done within the second: nothing at all
        p.done();
        assertThat(buf.size()).isZero();
        p.update("Ablation-CAM", 0, 512);
        now += 1_500_000_000L;
        p.update("Ablation-CAM", 128, 512);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("Ablation-CAM [").contains("128/512");
    }

    @Test
    void noRateBeforeAnythingIsDoneOrTooSoon() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(buf, true, StandardCharsets.UTF_8), true, () -> now);
        p.update("images", 0, 10);
        now = 200_000_000L;
        p.update("images", 1, 10);
        assertThat(buf.toString(StandardCharsets.UTF_8)).doesNotContain("ETA");
    }

    @Test
    void durationsReadAsPeopleWriteThem() {
        assertThat(Progress.duration(0.4)).isEqualTo("0s");
        assertThat(Progress.duration(59.4)).isEqualTo("59s");
        assertThat(Progress.duration(61)).isEqualTo("1m01s");
        assertThat(Progress.duration(3 * 3600 + 25 * 60 + 7)).isEqualTo("3h25m");
    }
}
