package dev.zeroshard.worker.model;

import dev.zeroshard.sharding.layout.TensorRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GptLayoutTest {
    private static final GptConfig CONFIG = GptConfig.gpt2(50, 32, 16, 3, 2);

    @Test
    void shouldCoverExactlyEachUnitsVectorsWithMergedRanges() {
        final GptLayout layout = new GptLayout(CONFIG);
        final boolean[] vector = new boolean[layout.totalElements()];
        for (final TensorRange tensor : layout.parameters().tensors()) {
            for (long e = tensor.offsetElements(); e < tensor.endElements(); e++) {
                vector[(int) e] = !tensor.isMatrix();
            }
        }
        for (int unit = 0; unit < layout.unitCount(); unit++) {
            final int[] ranges = layout.vectorRanges(unit);
            final boolean[] covered = new boolean[layout.totalElements()];
            for (int i = 0; i < ranges.length; i += 2) {
                assertThat(ranges[i]).as("range %d of unit %s", i / 2, layout.unitName(unit))
                    .isGreaterThanOrEqualTo(i == 0 ? layout.unitStart(unit) : ranges[i - 1] + 1)
                    .isLessThan(ranges[i + 1]);
                for (int e = ranges[i]; e < ranges[i + 1]; e++) {
                    covered[e] = true;
                }
            }
            for (int e = layout.unitStart(unit); e < layout.unitEnd(unit); e++) {
                assertThat(covered[e]).as("element %d of unit %s", e, layout.unitName(unit)).isEqualTo(vector[e]);
            }
        }
        final int c = CONFIG.channels();
        assertThat(layout.vectorRanges(GptLayout.embeddingUnit())).as("the embeddings are matrices").isEmpty();
        // ln_1 | qkv bias | proj bias + ln_2 | fc bias | mlp proj bias
        assertThat(layout.vectorRanges(GptLayout.blockUnit(1))).hasSize(10);
        assertThat(layout.vectorRanges(layout.finalNormUnit())).containsExactly(layout.unitStart(layout.finalNormUnit()),
            layout.unitStart(layout.finalNormUnit()) + 2 * c);
    }
}
