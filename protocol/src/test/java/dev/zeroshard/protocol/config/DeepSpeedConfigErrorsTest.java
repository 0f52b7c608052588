package dev.zeroshard.protocol.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class DeepSpeedConfigErrorsTest {
    private static final ResolveContext WORLD_4 = ResolveContext.ofWorldSize(4);

    static Stream<Arguments> badConfigs() {
        return Stream.of(
            // the document
            arguments("root is an array", "[1, 2]", "$", "must be a JSON object"),
            arguments("not JSON", "{\"zero_optimization\": ", "$", "is not valid JSON"),
            arguments("duplicate key", "{\"steps_per_print\": 1, \"steps_per_print\": 2}", "$", "Duplicate field"),
            arguments("misspelt section", "{\"zero_optimisation\": {}}", "zero_optimisation",
                "unknown key; did you mean zero_optimization?"),
            arguments("unsupported section", "{\"activation_checkpointing\": {}}", "activation_checkpointing",
                "not supported by zeroshard"),
            arguments("wandb enabled", "{\"wandb\": {\"enabled\": true}}", "wandb.enabled", "use csv_monitor"),
            arguments("flops profiler enabled", "{\"flops_profiler\": {\"enabled\": true}}", "flops_profiler.enabled",
                "only enabled false"),
            // batch
            arguments("batch product mismatch",
                "{\"train_batch_size\": 96, \"train_micro_batch_size_per_gpu\": 4, \"gradient_accumulation_steps\": 8}",
                "train_batch_size", "must equal micro_batch(4) * grad_accum(8) * world_size(4) = 128"),
            arguments("train not divisible by micro * world",
                "{\"train_batch_size\": 100, \"train_micro_batch_size_per_gpu\": 3}",
                "train_batch_size", "not divisible by micro_batch(3) * world_size(4) = 12"),
            arguments("train not divisible by accum * world",
                "{\"train_batch_size\": 100, \"gradient_accumulation_steps\": 3}",
                "train_batch_size", "not divisible by grad_accum(3) * world_size(4) = 12"),
            arguments("train not divisible by world", "{\"train_batch_size\": 10}", "train_batch_size",
                "not divisible by world_size(4)"),
            arguments("zero train batch", "{\"train_batch_size\": 0}", "train_batch_size", "must be an integer >= 1"),
            arguments("micro batch beyond int", "{\"train_micro_batch_size_per_gpu\": 1e10}",
                "train_micro_batch_size_per_gpu", "between 1 and 2147483647"),
            arguments("fractional accumulation", "{\"gradient_accumulation_steps\": 2.5}", "gradient_accumulation_steps",
                "must be an integer"),
            // zero_optimization
            arguments("zero section as boolean", "{\"zero_optimization\": true}", "zero_optimization",
                "must be a JSON object"),
            arguments("stage as string", "{\"zero_optimization\": {\"stage\": \"2\"}}", "zero_optimization.stage",
                "must be an integer"),
            arguments("stage 4", "{\"zero_optimization\": {\"stage\": 4}}", "zero_optimization.stage",
                "between 0 and 3"),
            arguments("stage auto", "{\"zero_optimization\": {\"stage\": \"auto\"}}", "zero_optimization.stage",
                "\"auto\" is not allowed here"),
            arguments("allgather bucket auto", "{\"zero_optimization\": {\"allgather_bucket_size\": \"auto\"}}",
                "zero_optimization.allgather_bucket_size", "\"auto\" is not allowed here"),
            arguments("zero bucket", "{\"zero_optimization\": {\"reduce_bucket_size\": 0}}",
                "zero_optimization.reduce_bucket_size", "must be an integer >= 1"),
            arguments("bucket beyond long", "{\"zero_optimization\": {\"reduce_bucket_size\": 1e30}}",
                "zero_optimization.reduce_bucket_size", "between 1 and 9223372036854775807"),
            arguments("boolean as string", "{\"zero_optimization\": {\"overlap_comm\": \"true\"}}",
                "zero_optimization.overlap_comm", "must be a boolean"),
            arguments("nvme offload", "{\"zero_optimization\": {\"stage\": 3, \"offload_param\": {\"device\": \"nvme\"}}}",
                "zero_optimization.offload_param.device", "nvme offload is not supported; use cpu"),
            arguments("upper-case device",
                "{\"zero_optimization\": {\"stage\": 2, \"offload_optimizer\": {\"device\": \"CPU\"}}}",
                "zero_optimization.offload_optimizer.device", "must be one of none, cpu"),
            arguments("param offload below stage 3",
                "{\"zero_optimization\": {\"stage\": 2, \"offload_param\": {\"device\": \"cpu\"}}}",
                "zero_optimization.offload_param.device", "needs zero_optimization.stage 3"),
            arguments("optimizer offload at stage 0",
                "{\"zero_optimization\": {\"offload_optimizer\": {\"device\": \"cpu\"}}}",
                "zero_optimization.offload_optimizer.device", "needs zero_optimization.stage >= 1"),
            arguments("partial offload",
                "{\"zero_optimization\": {\"stage\": 3, \"offload_optimizer\": {\"device\": \"cpu\", \"ratio\": 0.3}}}",
                "zero_optimization.offload_optimizer.ratio", "partial optimizer offload is not supported"),
            arguments("quantized weights", "{\"zero_optimization\": {\"zero_quantized_weights\": true}}",
                "zero_optimization.zero_quantized_weights", "not supported by zeroshard"),
            arguments("hierarchical partitions", "{\"zero_optimization\": {\"zero_hpz_partition_size\": 8}}",
                "zero_optimization.zero_hpz_partition_size", "not supported by zeroshard"),
            arguments("MiCS", "{\"zero_optimization\": {\"mics_shard_size\": 4}}",
                "zero_optimization.mics_shard_size", "not supported by zeroshard"),
            arguments("deprecated cpu_offload", "{\"zero_optimization\": {\"cpu_offload\": true}}",
                "zero_optimization.cpu_offload", "use offload_optimizer.device cpu"),
            arguments("misspelt zero key", "{\"zero_optimization\": {\"stage3_prefetch_bucket_sise\": 5e7}}",
                "zero_optimization.stage3_prefetch_bucket_sise", "did you mean stage3_prefetch_bucket_size?"),
            // precision
            arguments("fp16 enabled", "{\"fp16\": {\"enabled\": true}}", "fp16.enabled", "trains in bf16 or fp32"),
            arguments("bf16 and fp16 enabled", "{\"bf16\": {\"enabled\": true}, \"fp16\": {\"enabled\": true}}",
                "fp16.enabled", "cannot be true together with bf16.enabled true"),
            arguments("bf16 and its alias", "{\"bf16\": {\"enabled\": true}, \"bfloat16\": {\"enabled\": true}}",
                "bfloat16", "duplicates section bf16"),
            arguments("bf16 enabled as number", "{\"bf16\": {\"enabled\": 1}}", "bf16.enabled", "must be a boolean"),
            arguments("unknown fp16 key", "{\"fp16\": {\"enabled\": false, \"loss_scal\": 0}}", "fp16.loss_scal",
                "did you mean loss_scale?"),
            // optimizer
            arguments("unsupported optimizer", "{\"optimizer\": {\"type\": \"Lamb\"}}", "optimizer.type",
                "not supported by zeroshard; use Adam or AdamW"),
            arguments("optimizer without type", "{\"optimizer\": {\"params\": {\"lr\": 1e-4}}}", "optimizer.type",
                "is required"),
            arguments("zero lr", "{\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 0}}}",
                "optimizer.params.lr", "must be > 0"),
            arguments("three betas", "{\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"betas\": [0.9, 0.99, 0.999]}}}",
                "optimizer.params.betas", "must be an array of 2 numbers"),
            arguments("beta of one", "{\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"betas\": [0.9, 1.0]}}}",
                "optimizer.params.betas[1]", "must be in [0, 1)"),
            arguments("negative eps", "{\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"eps\": -1e-8}}}",
                "optimizer.params.eps", "must be > 0"),
            arguments("negative weight decay",
                "{\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"weight_decay\": -0.1}}}",
                "optimizer.params.weight_decay", "must be >= 0"),
            arguments("AdamW without w mode",
                "{\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"adam_w_mode\": false}}}",
                "optimizer.params.adam_w_mode", "contradicts optimizer.type \"AdamW\""),
            arguments("unknown optimizer param",
                "{\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"amsgrad\": true}}}",
                "optimizer.params.amsgrad", "unknown key"),
            // scheduler
            arguments("unsupported scheduler", "{\"scheduler\": {\"type\": \"OneCycle\"}}", "scheduler.type",
                "not supported by zeroshard"),
            arguments("misspelt scheduler", "{\"scheduler\": {\"type\": \"WarmupCosine\"}}", "scheduler.type",
                "did you mean WarmupCosineLR?"),
            arguments("decay without total", "{\"scheduler\": {\"type\": \"WarmupDecayLR\", \"params\": {}}}",
                "scheduler.params.total_num_steps", "is required for WarmupDecayLR"),
            arguments("auto total without max steps",
                "{\"scheduler\": {\"type\": \"WarmupCosineLR\", \"params\": {\"total_num_steps\": \"auto\"}}}",
                "scheduler.params.total_num_steps", "\"auto\" needs the job's max_steps; set it"),
            arguments("one warmup step", "{\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_num_steps\": 1}}}",
                "scheduler.params.warmup_num_steps", "DeepSpeed silently raises smaller values to 2"),
            arguments("total below warmup",
                "{\"scheduler\": {\"type\": \"WarmupDecayLR\", \"params\": {\"total_num_steps\": 500}}}",
                "scheduler.params.total_num_steps", "must be >= warmup_num_steps(1000)"),
            arguments("unknown warmup type",
                "{\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_type\": \"cosine\"}}}",
                "scheduler.params.warmup_type", "must be one of log, linear"),
            arguments("max lr below min lr",
                "{\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\": 1e-3, \"warmup_max_lr\": 1e-4}}}",
                "scheduler.params.warmup_max_lr", "must be >= warmup_min_lr(0.001)"),
            arguments("cosine ratio above one",
                "{\"scheduler\": {\"type\": \"WarmupCosineLR\", \"params\": {\"total_num_steps\": 2000, \"cos_min_ratio\": 1.5}}}",
                "scheduler.params.cos_min_ratio", "must be in [0, 1]"),
            arguments("cosine key in WarmupLR",
                "{\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"cos_min_ratio\": 0.1}}}",
                "scheduler.params.cos_min_ratio", "unknown key"),
            // top-level scalars
            arguments("negative clipping", "{\"gradient_clipping\": -1.0}", "gradient_clipping", "must be >= 0"),
            arguments("clipping as string", "{\"gradient_clipping\": \"1.0\"}", "gradient_clipping", "must be a number"),
            arguments("infinite clipping", "{\"gradient_clipping\": 1e400}", "gradient_clipping", "must be a finite number"),
            arguments("zero steps per print", "{\"steps_per_print\": 0}", "steps_per_print", "must be an integer"),
            arguments("prescaled gradients", "{\"prescale_gradients\": true}", "prescale_gradients", "only false"),
            arguments("predivide factor", "{\"gradient_predivide_factor\": 2.0}", "gradient_predivide_factor", "only 1.0"),
            arguments("bf16 communication", "{\"communication_data_type\": \"bf16\"}", "communication_data_type",
                "must be \"fp32\" or null"),
            arguments("output path as number", "{\"tensorboard\": {\"enabled\": true, \"output_path\": 5}}",
                "tensorboard.output_path", "must be a string"),
            arguments("misspelt monitor key", "{\"csv_monitor\": {\"jobname\": \"x\"}}", "csv_monitor.jobname",
                "did you mean job_name?"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void shouldReportPathAndRuleWhenConfigIsInvalid(
        final String description, final String json, final String path, final String ruleFragment) {
        assertThatThrownBy(() -> DeepSpeedConfigReader.resolve(json, WORLD_4))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .as(ex.getMessage())
                .anySatisfy(error -> {
                    assertThat(error.path()).isEqualTo(path);
                    assertThat(error.rule()).contains(ruleFragment);
                }));
    }

    @Test
    void shouldReportEveryErrorWhenFileHasSeveral() {
        final String json = """
            {"zero_optimisation": {"stage": 2},
             "train_batch_size": 100, "train_micro_batch_size_per_gpu": 3,
             "optimizer": {"type": "AdamW", "params": {"lr": -1, "betas": [0.9, 2]}},
             "scheduler": {"type": "WarmupDecayLR", "params": {"warmup_num_steps": 0}},
             "gradient_clipping": "auto", "steps_per_print": "10"}""";

        assertThatThrownBy(() -> DeepSpeedConfigReader.resolve(json, WORLD_4))
            .isInstanceOfSatisfying(ConfigException.class, ex -> {
                assertThat(ex.errors()).extracting(ConfigError::path, ConfigError::value).containsExactly(
                    tuple("zero_optimisation", "{\"stage\":2}"),
                    tuple("train_batch_size", "100"),
                    tuple("optimizer.params.lr", "-1"),
                    tuple("optimizer.params.betas[1]", "2"),
                    tuple("scheduler.params.warmup_num_steps", "0"),
                    tuple("scheduler.params.total_num_steps", ConfigError.ABSENT),
                    tuple("steps_per_print", "\"10\""));
                assertThat(ex.getMessage().lines()).hasSize(7);
            });
    }

    @Test
    void shouldReportErrorsOfSeveralSectionsWhenEachHasOne() {
        final String json = """
            {"zero_optimization": {"stage": "3", "offload_param": {"device": "nvme"}},
             "bf16": {"enabled": "yes"}, "fp16": {"enabled": true},
             "wandb": {"enabled": true}}""";

        assertThatThrownBy(() -> DeepSpeedConfigReader.resolve(json, WORLD_4))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .extracting(ConfigError::toString).containsExactlyInAnyOrder(
                    "bf16.enabled=\"yes\": must be a boolean (true or false)",
                    "fp16.enabled=true: " + PrecisionReader.FP16_REFUSED,
                    "zero_optimization.stage=\"3\": must be an integer",
                    "zero_optimization.offload_param.device=\"nvme\": nvme offload is not supported; use cpu",
                    "wandb.enabled=true: not supported by zeroshard; use csv_monitor"));
    }

    @Test
    void shouldSayThatAnAutoTotalIsTheJobsStepsWhenTheyAreFewerThanTheWarmup() {
        final String json = """
            {"scheduler": {"type": "WarmupDecayLR", "params": {"warmup_num_steps": 20, "total_num_steps": "auto"}}}""";

        assertThatThrownBy(() -> DeepSpeedConfigReader.resolve(json, WORLD_4.withTotalSteps(10)))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .extracting(ConfigError::toString).containsExactly("scheduler.params.total_num_steps=\"auto\": "
                    + "\"auto\" is the job's total steps(10) here, fewer than warmup_num_steps(20): train for at "
                    + "least 20 steps or lower warmup_num_steps"));
        assertThat(DeepSpeedConfigReader.resolve(json, WORLD_4.withTotalSteps(20)).config().scheduler())
            .isEqualTo(new SchedulerConfig.WarmupDecayLR(20, 0.0, 0.001, 20, WarmupType.LOG));
    }

    @Test
    void shouldNotReportFollowUpErrorsWhenAFieldIsAlreadyInvalid() {
        final String json = """
            {"zero_optimization": {"stage": "3", "offload_param": {"device": "cpu"}}}""";

        assertThatThrownBy(() -> DeepSpeedConfigReader.resolve(json, WORLD_4))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .extracting(ConfigError::path).containsExactly("zero_optimization.stage"));
    }

    @Test
    void shouldValidateRecordsWhenBuiltInCode() {
        assertThatThrownBy(() -> new BatchConfig(96, 4, 8, 4))
            .isInstanceOf(ConfigException.class)
            .hasMessage("train_batch_size=96: must equal micro_batch(4) * grad_accum(8) * world_size(4) = 128");
        assertThatThrownBy(() -> new OptimizerConfig(OptimizerConfig.Type.ADAMW, 0, 0.9, 1.0, 1e-8, 0))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .extracting(ConfigError::path).containsExactly("optimizer.params.lr", "optimizer.params.betas[1]"));
        assertThatThrownBy(() -> new ZeroConfig(1, 1, 1, false, true, true, true, ZeroConfig.OffloadDevice.NONE,
            ZeroConfig.OffloadDevice.CPU, 0, 0, 0, 0))
            .hasMessage("zero_optimization.offload_param.device=\"cpu\": parameter offload needs zero_optimization.stage 3, not 1");
        assertThatThrownBy(() -> new GradientClipping(-1)).hasMessage("gradient_clipping=-1.0: must be >= 0");
    }
}
