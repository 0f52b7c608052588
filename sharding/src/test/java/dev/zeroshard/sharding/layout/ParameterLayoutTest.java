package dev.zeroshard.sharding.layout;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParameterLayoutTest {
    @Test
    void shouldPackTensorsBackToBackInOrder() {
        final ParameterLayout layout = ParameterLayout.builder()
            .add("a", 3, 4)
            .add("b", 5)
            .add("c", 2, 2, 2)
            .build();

        assertThat(layout.tensors()).extracting(TensorRange::offsetElements).containsExactly(0L, 12L, 17L);
        assertThat(layout.totalElements()).isEqualTo(25);
        assertThat(layout.tensor("b").endElements()).isEqualTo(17);
        assertThat(layout.tensor("a").isMatrix()).isTrue();
        assertThat(layout.tensor("b").isMatrix()).isFalse();
    }

    @Test
    void shouldRefuseDuplicateNamesAndEmptyDimensions() {
        assertThatThrownBy(() -> ParameterLayout.builder().add("a", 1).add("a", 2))
            .hasMessageContaining("tensor a added twice");
        assertThatThrownBy(() -> ParameterLayout.builder().add("z", 3, 0))
            .hasMessageContaining("tensor z").hasMessageContaining("[3, 0]");
    }

    @Test
    void shouldNameMissingTensor() {
        final ParameterLayout layout = ParameterLayout.builder().add("a", 1).build();

        assertThatThrownBy(() -> layout.tensor("nope")).hasMessageContaining("no tensor named nope");
    }
}
