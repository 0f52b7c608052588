package dev.zeroshard.protocol.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroshard.protocol.config.ResolvedValue.Source;
import dev.zeroshard.protocol.config.ZeroConfig.OffloadDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class DeepSpeedConfigReaderTest {
    private static final ResolveContext WORLD_4 = ResolveContext.ofWorldSize(4);

    @Test
    void shouldResolveDeepSpeedZero2Bf16ExampleWhenWorldSizeIsFour() {
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve(resource("zero2_bf16.json"), WORLD_4);

        assertThat(resolved.config()).isEqualTo(new DeepSpeedConfig(
            new BatchConfig(16, 1, 4, 4),
            new ZeroConfig(2, 500_000_000L, 500_000_000L, true, true, true, true, OffloadDevice.NONE, OffloadDevice.NONE,
                50_000_000L, 100_000L, 1_000_000_000L, 1_000_000_000L),
            new PrecisionConfig(true),
            OptimizerConfig.DEFAULT,
            SchedulerConfig.NONE,
            new GradientClipping(1.0),
            MonitorConfig.DISABLED,
            new LoggingConfig(10, false)));
        assertThat(resolved.values()).extracting(ResolvedValue::path, ResolvedValue::value, ResolvedValue::source)
            .contains(
                tuple("train_batch_size", "16", Source.AUTO),
                tuple("train_micro_batch_size_per_gpu", "1", Source.AUTO),
                tuple("gradient_accumulation_steps", "4", Source.FILE),
                tuple("bf16.enabled", "true", Source.FILE),
                tuple("fp16.enabled", "false", Source.DEFAULT),
                tuple("optimizer.type", "AdamW", Source.DEFAULT),
                tuple("optimizer.params.lr", "0.001", Source.DEFAULT),
                tuple("scheduler.type", "none", Source.DEFAULT),
                tuple("zero_optimization.stage", "2", Source.FILE),
                tuple("zero_optimization.reduce_bucket_size", "500000000", Source.FILE),
                tuple("zero_optimization.allgather_bucket_size", "500000000", Source.FILE),
                tuple("zero_optimization.overlap_comm", "true", Source.FILE),
                tuple("zero_optimization.offload_optimizer.device", "none", Source.DEFAULT),
                tuple("zero_optimization.stage3_prefetch_bucket_size", "50000000", Source.DEFAULT),
                tuple("gradient_clipping", "1.0", Source.FILE),
                tuple("steps_per_print", "10", Source.DEFAULT));
        assertThat(resolved.value("train_batch_size").orElseThrow().detail())
            .isEqualTo("micro_batch(1) * grad_accum(4) * world_size(4)");
    }

    @Test
    void shouldResolveDeepSpeedZero2Bf16ExampleWhenWorldSizeIsOne() {
        final ResolvedDeepSpeedConfig resolved =
            DeepSpeedConfigReader.resolve(resource("zero2_bf16.json"), ResolveContext.ofWorldSize(1));

        assertThat(resolved.config().batch()).isEqualTo(new BatchConfig(4, 1, 4, 1));
        assertThat(resolved.value("train_batch_size").orElseThrow())
            .isEqualTo(new ResolvedValue("train_batch_size", "4", Source.AUTO, "micro_batch(1) * grad_accum(4) * world_size(1)"));
        assertThat(resolved.config().zero().stage()).isEqualTo(2);
        assertThat(resolved.config().precision().bf16()).isTrue();
    }

    @Test
    void shouldResolveZero3OffloadConfigWhenHiddenSizeIsKnown() {
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve(
            resource("zero3_offload_cosine.json"), ResolveContext.ofWorldSize(8).withHiddenSize(1024));
        final DeepSpeedConfig config = resolved.config();

        assertThat(config.batch()).isEqualTo(new BatchConfig(256, 8, 4, 8));
        assertThat(config.precision().bf16()).isTrue();
        assertThat(config.optimizer()).isEqualTo(new OptimizerConfig(OptimizerConfig.Type.ADAMW, 3e-4, 0.9, 0.95, 1e-8, 0.1));
        assertThat(config.scheduler()).isEqualTo(new SchedulerConfig.WarmupCosineLR(10_000, 0.0, 500, 0.1, WarmupType.LINEAR));
        assertThat(config.zero()).isEqualTo(new ZeroConfig(3, 1_048_576L, 500_000_000L, true, true, true, true,
            OffloadDevice.CPU, OffloadDevice.CPU, 943_718L, 10_240L, 1_000_000_000L, 1_000_000_000L));
        assertThat(config.gradientClipping()).isEqualTo(new GradientClipping(1.0));
        assertThat(config.monitor().csvMonitor()).isEqualTo(new MonitorTarget(true, "logs/", "gpt2-350m"));
        assertThat(config.logging()).isEqualTo(new LoggingConfig(100, false));
        assertThat(resolved.values()).extracting(ResolvedValue::path, ResolvedValue::source, ResolvedValue::detail)
            .contains(
                tuple("gradient_accumulation_steps", Source.INFERRED, "train_batch_size(256) / (micro_batch(8) * world_size(8))"),
                tuple("bfloat16.enabled", Source.FILE, ""),
                tuple("optimizer.type", Source.FILE, "\"Adam\" with adam_w_mode true (DeepSpeed's default) is AdamW"),
                tuple("zero_optimization.overlap_comm", Source.DEFAULT, "DeepSpeed turns it on for stage 3"),
                tuple("zero_optimization.reduce_bucket_size", Source.AUTO, "hidden_size(1024)^2"),
                tuple("zero_optimization.stage3_prefetch_bucket_size", Source.AUTO, "floor(0.9 * hidden_size(1024)^2)"),
                tuple("zero_optimization.stage3_param_persistence_threshold", Source.AUTO, "10 * hidden_size(1024)"),
                tuple("zero_optimization.sub_group_size", Source.FILE, "no effect in zeroshard"),
                tuple("zero_optimization.stage3_gather_16bit_weights_on_model_save", Source.FILE, "no effect in zeroshard"),
                tuple("gradient_clipping", Source.AUTO, "Hugging Face's default max_grad_norm"),
                tuple("zero_allow_untested_optimizer", Source.FILE, "no effect in zeroshard"),
                tuple("communication_data_type", Source.FILE, ""));
    }

    @Test
    void shouldFallBackToDeepSpeedDefaultsWhenAutoSizesHaveNoHiddenSize() {
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve("""
            {"zero_optimization": {"stage": 3, "reduce_bucket_size": "auto",
              "stage3_prefetch_bucket_size": "auto", "stage3_param_persistence_threshold": "auto"}}""", WORLD_4);

        final ZeroConfig zero = resolved.config().zero();
        assertThat(zero.reduceBucketSize()).isEqualTo(ZeroConfig.REDUCE_BUCKET_SIZE_DEFAULT);
        assertThat(zero.stage3PrefetchBucketSize()).isEqualTo(ZeroConfig.STAGE3_PREFETCH_BUCKET_SIZE_DEFAULT);
        assertThat(zero.stage3ParamPersistenceThreshold()).isEqualTo(ZeroConfig.STAGE3_PARAM_PERSISTENCE_THRESHOLD_DEFAULT);
        assertThat(resolved.value("zero_optimization.reduce_bucket_size").orElseThrow())
            .isEqualTo(new ResolvedValue("zero_optimization.reduce_bucket_size", "500000000", Source.AUTO,
                "DeepSpeed's default: hidden size unknown"));
    }

    @Test
    void shouldResolveAutoOptimizerAndSchedulerParamsWhenContextHasTotalSteps() {
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve("""
            {"optimizer": {"type": "AdamW", "params": {"lr": "auto", "betas": "auto", "eps": "auto", "weight_decay": "auto"}},
             "scheduler": {"type": "WarmupDecayLR", "params": {"warmup_min_lr": "auto", "warmup_max_lr": "auto",
               "warmup_num_steps": "auto", "total_num_steps": "auto"}},
             "bf16": {"enabled": "auto"}, "fp16": {"enabled": "auto"}}""", WORLD_4.withTotalSteps(5000));

        assertThat(resolved.config().optimizer()).isEqualTo(OptimizerConfig.DEFAULT);
        assertThat(resolved.config().scheduler())
            .isEqualTo(new SchedulerConfig.WarmupDecayLR(5000, 0.0, 1e-3, 1000, WarmupType.LOG));
        assertThat(resolved.config().precision().bf16()).isFalse();
        assertThat(resolved.values()).extracting(ResolvedValue::path, ResolvedValue::value, ResolvedValue::source)
            .contains(
                tuple("optimizer.params.betas", "[0.9, 0.999]", Source.AUTO),
                tuple("scheduler.params.total_num_steps", "5000", Source.AUTO),
                tuple("scheduler.params.warmup_max_lr", "0.001", Source.AUTO),
                tuple("bf16.enabled", "false", Source.AUTO),
                tuple("fp16.enabled", "false", Source.AUTO));
    }

    @Test
    void shouldTakeWarmupMaxLrFromOptimizerWhenWarmupLrOmitsIt() {
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve("""
            {"optimizer": {"type": "AdamW", "params": {"lr": 6e-4}},
             "scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 100}}}""", WORLD_4);

        assertThat(resolved.config().scheduler()).isEqualTo(new SchedulerConfig.WarmupLR(0.0, 6e-4, 100, WarmupType.LOG));
        assertThat(resolved.value("scheduler.params.warmup_max_lr").orElseThrow().source()).isEqualTo(Source.INFERRED);
    }

    @Test
    void shouldReadAdamWithoutDecoupledDecayWhenAdamWModeIsFalse() {
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve("""
            {"optimizer": {"type": "adam", "params": {"adam_w_mode": false, "weight_decay": 0.01}}}""", WORLD_4);

        assertThat(resolved.config().optimizer().type()).isEqualTo(OptimizerConfig.Type.ADAM);
        assertThat(resolved.value("optimizer.type").orElseThrow().value()).isEqualTo("Adam");
    }

    @Test
    void shouldReadScientificNotationWhereverNumbersAreExpected() {
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve("""
            {"train_batch_size": 3.2e1, "train_micro_batch_size_per_gpu": 4e0,
             "optimizer": {"type": "AdamW", "params": {"lr": 1e-4, "eps": 1E-6, "weight_decay": 1e-2}},
             "zero_optimization": {"stage": 2.0, "reduce_bucket_size": 5e8, "allgather_bucket_size": 2E8,
               "sub_group_size": 1e12},
             "gradient_clipping": 1e0, "steps_per_print": 1e2}""", WORLD_4);

        final DeepSpeedConfig config = resolved.config();
        assertThat(config.batch()).isEqualTo(new BatchConfig(32, 4, 2, 4));
        assertThat(config.optimizer().lr()).isEqualTo(1e-4);
        assertThat(config.optimizer().eps()).isEqualTo(1e-6);
        assertThat(config.zero().stage()).isEqualTo(2);
        assertThat(config.zero().reduceBucketSize()).isEqualTo(500_000_000L);
        assertThat(config.zero().allgatherBucketSize()).isEqualTo(200_000_000L);
        assertThat(config.logging().stepsPerPrint()).isEqualTo(100);
        assertThat(resolved.value("optimizer.params.lr").orElseThrow().value()).isEqualTo("1e-4");
        assertThat(resolved.value("zero_optimization.sub_group_size").orElseThrow().value()).isEqualTo("1000000000000");
    }

    @Test
    void shouldApplyDeepSpeedDefaultsWhenConfigIsEmpty() {
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve("{}", WORLD_4);

        assertThat(resolved.config()).isEqualTo(new DeepSpeedConfig(
            new BatchConfig(4, 1, 1, 4),
            new ZeroConfig(0, 500_000_000L, 500_000_000L, false, true, true, true, OffloadDevice.NONE, OffloadDevice.NONE,
                50_000_000L, 100_000L, 1_000_000_000L, 1_000_000_000L),
            PrecisionConfig.FP32, OptimizerConfig.DEFAULT, SchedulerConfig.NONE, GradientClipping.OFF,
            MonitorConfig.DISABLED, new LoggingConfig(10, false)));
        assertThat(resolved.values()).extracting(ResolvedValue::source)
            .containsOnly(Source.DEFAULT, Source.INFERRED);
    }

    @Test
    void shouldListEveryResolvedKeyWithItsSourceWhenDescribed() {
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve(
            resource("zero3_offload_cosine.json"), ResolveContext.ofWorldSize(8).withHiddenSize(1024));

        final List<String> lines = resolved.describe().lines().toList();

        assertThat(lines).hasSize(resolved.values().size());
        for (int i = 0; i < lines.size(); i++) {
            final ResolvedValue value = resolved.values().get(i);
            assertThat(lines.get(i)).startsWith(value.path() + " ").contains(" " + value.value() + " ")
                .endsWith(value.describeSource());
        }
        assertThat(resolved.describe())
            .containsPattern("(?m)^zero_optimization\\.stage +3 +\\(file\\)$")
            .containsPattern("(?m)^zero_optimization\\.reduce_bucket_size +1048576 +\\(auto \u2192 hidden_size\\(1024\\)\\^2\\)$")
            .containsPattern("(?m)^gradient_accumulation_steps +4 +\\(inferred from train_batch_size\\(256\\)");
        assertThat(lines.get(0)).startsWith("train_batch_size");
    }

    @ParameterizedTest
    @ValueSource(strings = {"zero2_bf16.json", "zero3_offload_cosine.json"})
    void shouldRoundTripThroughToJsonWhenResolvedAgain(final String file) {
        final ResolveContext context = ResolveContext.ofWorldSize(8).withHiddenSize(768).withTotalSteps(20_000);
        final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve(resource(file), context);

        final ObjectNode json = resolved.toJson();
        final ResolvedDeepSpeedConfig again = DeepSpeedConfigReader.resolve(json, context);
        final ResolvedDeepSpeedConfig fromText = DeepSpeedConfigReader.resolve(json.toPrettyString(), context);

        assertThat(again.config()).isEqualTo(resolved.config());
        assertThat(fromText.config()).isEqualTo(resolved.config());
        assertThat(again.values()).extracting(ResolvedValue::source).doesNotContain(Source.AUTO, Source.INFERRED);
    }

    @Test
    void shouldRoundTripEverySchedulerAndOptimizerTypeWhenResolvedAgain() {
        final List<String> sections = List.of(
            "\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_type\": \"linear\", \"warmup_min_lr\": 1e-5}}",
            "\"scheduler\": {\"type\": \"WarmupDecayLR\", \"params\": {\"total_num_steps\": 3000}}",
            "\"scheduler\": {\"type\": \"WarmupCosineLR\", \"params\": {\"total_num_steps\": 3000, \"warmup_min_ratio\": 0.1}}",
            "\"optimizer\": {\"type\": \"Adam\", \"params\": {\"adam_w_mode\": false, \"betas\": [0.8, 0.99]}}");
        for (final String section : sections) {
            final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve("{" + section + "}", WORLD_4);

            assertThat(DeepSpeedConfigReader.resolve(resolved.toJson(), WORLD_4).config())
                .as(section).isEqualTo(resolved.config());
        }
    }

    @Test
    void shouldWriteNumbersAsJsonNumbersWhenConvertedToJson() {
        final ObjectNode json = DeepSpeedConfigReader.resolve(resource("zero2_bf16.json"), WORLD_4).toJson();

        assertThat(json.get("train_batch_size").isIntegralNumber()).isTrue();
        assertThat(json.get("train_batch_size").longValue()).isEqualTo(16);
        assertThat(json.get("zero_optimization").get("reduce_bucket_size").isIntegralNumber()).isTrue();
        assertThat(json.get("optimizer").get("params").get("lr").isFloatingPointNumber()).isTrue();
        assertThat(json.get("optimizer").get("params").get("betas").get(1).doubleValue()).isEqualTo(0.999);
        assertThat(json.get("bf16").get("enabled").isBoolean()).isTrue();
        assertThat(json.has("scheduler")).isFalse();
    }

    @Test
    void shouldNameTheFileWhenItIsMissing(@TempDir final Path dir) {
        final Path missing = dir.resolve("ds_config.json");

        assertThatThrownBy(() -> DeepSpeedConfigReader.resolve(missing, WORLD_4))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors()).singleElement()
                .satisfies(error -> {
                    assertThat(error.path()).isEqualTo("$");
                    assertThat(error.value()).isEqualTo(missing.toString());
                    assertThat(error.rule()).isEqualTo("no such file");
                }));
    }

    @Test
    void shouldNameTheFileAndPositionWhenItIsNotJson(@TempDir final Path dir) throws IOException {
        final Path broken = Files.writeString(dir.resolve("ds_config.json"), "{\n  \"train_batch_size\": 8,\n}");

        assertThatThrownBy(() -> DeepSpeedConfigReader.resolve(broken, WORLD_4))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors()).singleElement()
                .satisfies(error -> {
                    assertThat(error.path()).isEqualTo("$");
                    assertThat(error.value()).startsWith(broken.toString()).contains("line 3");
                    assertThat(error.rule()).startsWith("is not valid JSON");
                }));
    }

    @Test
    void shouldShowPathValueAndRuleWhenErrorIsPrinted() {
        assertThatThrownBy(() -> DeepSpeedConfigReader.resolve("""
            {"zero_optimization": {"stage": "2"}}""", WORLD_4))
            .isInstanceOf(ConfigException.class)
            .hasMessage("zero_optimization.stage=\"2\": must be an integer");
        assertThatThrownBy(() -> DeepSpeedConfigReader.resolve("""
            {"train_batch_size": 96, "train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": 8}""", WORLD_4))
            .hasMessage("train_batch_size=96: must equal micro_batch(4) * grad_accum(8) * world_size(4) = 128");
        assertThatThrownBy(() -> DeepSpeedConfigReader.resolve("""
            {"train_batch_size": 100, "train_micro_batch_size_per_gpu": 3}""", WORLD_4))
            .hasMessage("train_batch_size=100: not divisible by micro_batch(3) * world_size(4) = 12");
    }

    @Test
    void shouldRefuseContextWhenWorldSizeIsBelowOne() {
        assertThatThrownBy(() -> ResolveContext.ofWorldSize(0)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("worldSize=0");
    }

    static Path resource(final String name) {
        try {
            return Path.of(Objects.requireNonNull(
                DeepSpeedConfigReaderTest.class.getResource("/deepspeed/" + name), name).toURI());
        } catch (final URISyntaxException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
