package dev.zeroshard.cli;

import dev.zeroshard.worker.data.TokenFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class CheckpointCommandTest {
    private static final String MODEL = """
        {"vocab_size": 256, "n_positions": 32, "n_embd": 32, "n_layer": 2, "n_head": 2}""";
    private static final String DEEPSPEED = """
        {"train_micro_batch_size_per_gpu": 2, "zero_optimization": {"stage": 1},
         "optimizer": {"type": "AdamW", "params": {"lr": 3e-3}}}""";

    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();

    private int run(final String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return ZeroshardCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private String eval(final Path config, final Path weights, final Path tokens) {
        assertThat(run("eval", "--model", config.toString(), "--weights", weights.toString(), "--tokens",
            tokens.toString(), "--batch", "2", "--seq", "16")).as(err.toString()).isZero();
        final Matcher loss = Pattern.compile("loss=([0-9.]+)").matcher(out.toString());
        assertThat(loss.find()).as(out.toString()).isTrue();
        return loss.group(1);
    }

    @Test
    void shouldExportWeightsThatEvaluateLikeTheLiveModelAndVerifyEveryCheckpoint(@TempDir final Path dir)
        throws Exception {
        final Path model = Files.writeString(dir.resolve("config.json"), MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), DEEPSPEED);
        final Path checkpoints = dir.resolve("ckpt");
        final Path live = dir.resolve("live.safetensors");
        assertThat(run("train", "--deepspeed", ds.toString(), "--model", model.toString(), "--steps", "6", "--seq",
            "16", "--threads", "1", "--checkpoint-dir", checkpoints.toString(), "--save-every", "3",
            "--save-weights", live.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("checkpoint " + checkpoints.resolve("step-00000003") + " committed",
            "checkpoint " + checkpoints.resolve("step-00000006") + " committed");

        assertThat(run("checkpoint", "ls", checkpoints.toString())).isZero();
        assertThat(out.toString()).contains("step-00000006", "ok (sizes) (latest)", "step-00000003");
        assertThat(run("checkpoint", "verify", checkpoints.toString())).as(err.toString()).isZero();

        final Path exported = dir.resolve("export");
        assertThat(run("checkpoint", "export", checkpoints.toString(), "--out", exported.toString()))
            .as(err.toString()).isZero();
        assertThat(out.toString()).contains("exported step 6");
        final int[] tokens = new int[2 * 17];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7 + 3) % 256;
        }
        final Path tokenFile = dir.resolve("tokens.bin");
        TokenFile.write(tokenFile, tokens);

        assertThat(eval(exported.resolve("config.json"), exported.resolve("model.safetensors"), tokenFile))
            .as("loss of the exported checkpoint vs the live model's weights")
            .isEqualTo(eval(model, live, tokenFile));

        Files.delete(checkpoints.resolve("step-00000003").resolve("rank-00000.safetensors"));
        assertThat(run("checkpoint", "verify", checkpoints.toString())).isEqualTo(ZeroshardCli.EXIT_INVALID_INPUT);
        assertThat(err.toString()).contains("INVALID", "step-00000003", "rank-00000.safetensors", "missing");
        assertThat(run("checkpoint", "verify", checkpoints.resolve("step-00000006").toString())).isZero();
    }

    @Test
    void shouldContinueFromTheLatestCheckpointToTheRequestedTotal(@TempDir final Path dir) throws Exception {
        final Path model = Files.writeString(dir.resolve("config.json"), MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), DEEPSPEED);
        final Path checkpoints = dir.resolve("ckpt");
        final Path metrics = dir.resolve("metrics.jsonl");
        assertThat(run("train", "--deepspeed", ds.toString(), "--model", model.toString(), "--steps", "4", "--seq",
            "16", "--threads", "1", "--checkpoint-dir", checkpoints.toString(), "--metrics-out", metrics.toString()))
            .as(err.toString()).isZero();
        // the run got one step past its last checkpoint before it stopped
        Files.writeString(metrics, "{\"step\":5,\"loss\":9.0}\n", StandardOpenOption.APPEND);

        assertThat(run("train", "--deepspeed", ds.toString(), "--model", model.toString(), "--steps", "6", "--seq",
            "16", "--threads", "1", "--checkpoint-dir", checkpoints.toString(), "--resume", "latest",
            "--metrics-out", metrics.toString())).as(err.toString()).isZero();

        assertThat(out.toString()).contains("resumed from " + checkpoints.resolve("step-00000004") + " (step 4",
            "step 6/6", "over 2 steps (steps 5 to 6)");
        final List<String> lines = Files.readAllLines(metrics);
        assertThat(lines).extracting(line -> line.substring(0, line.indexOf(','))).containsExactly(
            "{\"step\":1", "{\"step\":2", "{\"step\":3", "{\"step\":4", "{\"step\":5", "{\"step\":6");
        assertThat(lines.get(4)).doesNotContain("\"loss\":9.0");
    }

    @Test
    void shouldRefuseResumeLatestWithoutACheckpointDir(@TempDir final Path dir) throws Exception {
        final Path model = Files.writeString(dir.resolve("config.json"), MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), DEEPSPEED);

        assertThat(run("train", "--deepspeed", ds.toString(), "--model", model.toString(), "--steps", "2",
            "--resume", "latest")).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("--resume latest need --checkpoint-dir");
    }
}
