package org.xgradcam.models;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Finding classes by name in the shipped ImageNet labels: names, whole lines, WordNet ids, the names ImageNet repeats. */
class LabelLookupTest {
    private final Labels imagenet = Labels.resource("imagenet");

    @Test
    void namesLinesAndWordNetIdsFindTheirClass() {
        assertThat(imagenet.indexesOf("Rhodesian ridgeback")).containsExactly(159);
        assertThat(imagenet.indexesOf("  rhodesian RIDGEBACK ")).containsExactly(159);
        assertThat(imagenet.indexesOf("n02087394")).containsExactly(159);
        assertThat(imagenet.indexesOf("n02087394 Rhodesian ridgeback")).containsExactly(159);
        assertThat(imagenet.indexesOf("ridgeback")).isEmpty();
        assertThat(imagenet.indexesOf("n0208739")).isEmpty();
    }

    @Test
    void repeatedNamesDenoteEveryClassOfThatName() {
        assertThat(new Labels(java.util.List.of("round", "square", "Round")).indexesOf("round")).containsExactly(0, 2);
        // the shipped names tell ImageNet's two cranes apart
        assertThat(imagenet.indexesOf("crane")).containsExactly(517);
        assertThat(imagenet.indexesOf("crane bird")).containsExactly(134);
    }

    @Test
    void suggestionsAreTheLinesContainingTheText() {
        assertThat(imagenet.containing("ridgeback", 5)).containsExactly("159 Rhodesian ridgeback");
        assertThat(imagenet.containing("retriever", 3)).hasSize(3).allMatch(s -> s.contains("retriever"));
        assertThat(imagenet.containing("  ", 5)).isEmpty();
    }
}
