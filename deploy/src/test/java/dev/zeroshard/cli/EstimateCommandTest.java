package dev.zeroshard.cli;

import dev.zeroshard.sharding.zero.ShardPlan;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class EstimateCommandTest {
    private static final String MODEL = """
        {"vocab_size": 256, "n_positions": 64, "n_embd": 64, "n_layer": 2, "n_head": 2}""";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args) {
        return ZeroshardCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void shouldPrintEveryKindAndTheStagesSideBySide(@TempDir final Path dir) throws Exception {
        final Path model = Files.writeString(dir.resolve("config.json"), MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), """
            {"train_micro_batch_size_per_gpu": 4, "bf16": {"enabled": true}, "zero_optimization": {"stage": 3}}""");

        final int status = run("estimate", "--model", model.toString(), "--deepspeed", ds.toString(),
            "--world-size", "4", "--seq", "32");

        assertThat(status).as(err.toString()).isZero();
        assertThat(out.toString()).contains("ZeRO stage 3, 4 ranks, micro-batch 4 x 32 tokens, bf16",
            "compute parameters", "gradients", "fp32 master weights", "optimizer moments", "communication bufs",
            "activations", "<- configured");
    }

    @Test
    void shouldGiveStageThreeModelStatesOfEighteenBytesPerShardElementAsJson(@TempDir final Path dir)
        throws Exception {
        final Path model = Files.writeString(dir.resolve("config.json"), MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), """
            {"train_micro_batch_size_per_gpu": 4, "bf16": {"enabled": true}, "zero_optimization": {"stage": 3}}""");

        run("estimate", "--model", model.toString(), "--deepspeed", ds.toString(), "--world-size", "4", "--json");

        final long shard = ShardPlan.of(new GptLayout(GptConfig.gpt2(256, 64, 64, 2, 2)).totalElements(), 4)
            .shardLength();
        assertThat(out.toString()).contains("\"compute_parameters\":" + 2 * shard, "\"gradients\":" + 4 * shard,
            "\"master_weights\":" + 4 * shard, "\"optimizer_moments\":" + 8 * shard);
    }

    @Test
    void shouldRefuseASequenceLongerThanTheModelAllows(@TempDir final Path dir) throws Exception {
        final Path model = Files.writeString(dir.resolve("config.json"), MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), "{\"train_micro_batch_size_per_gpu\": 4}");

        final int status = run("estimate", "--model", model.toString(), "--deepspeed", ds.toString(), "--seq", "65");

        assertThat(status).isEqualTo(ZeroshardCli.EXIT_INVALID_INPUT);
        assertThat(err.toString()).contains("--seq=65", "n_positions=64");
    }
}
