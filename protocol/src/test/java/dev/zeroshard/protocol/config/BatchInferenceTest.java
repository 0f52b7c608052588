package dev.zeroshard.protocol.config;

import dev.zeroshard.protocol.config.ResolvedValue.Source;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** DeepSpeed's rules for the batch keys not given: any two determine the third, else one accumulation step. */
class BatchInferenceTest {
    @ParameterizedTest(name = "{0} at world size {1}")
    @CsvSource(delimiter = '|', textBlock = """
        {}                                                                                    | 4 |   4 | 1 | 1 | INFERRED | DEFAULT  | DEFAULT
        {"gradient_accumulation_steps": 4}                                                    | 2 |   8 | 1 | 4 | INFERRED | DEFAULT  | FILE
        {"train_batch_size": 32}                                                              | 4 |  32 | 8 | 1 | FILE     | INFERRED | DEFAULT
        {"train_micro_batch_size_per_gpu": 4}                                                 | 2 |   8 | 4 | 1 | INFERRED | FILE     | DEFAULT
        {"train_batch_size": 64, "train_micro_batch_size_per_gpu": 4}                         | 4 |  64 | 4 | 4 | FILE     | FILE     | INFERRED
        {"train_batch_size": 64, "gradient_accumulation_steps": 2}                            | 4 |  64 | 8 | 2 | FILE     | INFERRED | FILE
        {"train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": 8}               | 4 | 128 | 4 | 8 | INFERRED | FILE     | FILE
        {"train_batch_size": 128, "train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": 8} | 4 | 128 | 4 | 8 | FILE | FILE | FILE
        {"train_batch_size": "auto", "train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": "auto"} | 2 | 8 | 4 | 1 | AUTO | FILE | AUTO
        {"train_batch_size": 48, "train_micro_batch_size_per_gpu": "auto", "gradient_accumulation_steps": 3} | 8 | 48 | 2 | 3 | FILE | AUTO | FILE
        """)
    void shouldInferMissingBatchValuesWhenSomeAreGiven(final String json, final int worldSize, final long train,
        final int micro, final int accum, final Source trainSource, final Source microSource, final Source accumSource) {
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve(json, ResolveContext.ofWorldSize(worldSize));

        assertThat(resolved.config().batch()).isEqualTo(new BatchConfig(train, micro, accum, worldSize));
        assertThat(resolved.value(BatchConfig.TRAIN_BATCH_SIZE).orElseThrow().source()).isEqualTo(trainSource);
        assertThat(resolved.value(BatchConfig.MICRO_BATCH_PER_GPU).orElseThrow().source()).isEqualTo(microSource);
        assertThat(resolved.value(BatchConfig.GRADIENT_ACCUMULATION_STEPS).orElseThrow().source()).isEqualTo(accumSource);
    }
}
