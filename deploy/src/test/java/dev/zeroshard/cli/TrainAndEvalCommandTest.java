package dev.zeroshard.cli;

import dev.zeroshard.checkpoints.safetensors.SafetensorsReader;
import dev.zeroshard.worker.data.TokenFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TrainAndEvalCommandTest {
    /** The PyTorch fixture the worker's model tests use (tools/reference/make_gpt2_fixture.py). */
    private static final Path REFERENCE = Path.of("../worker/src/test/resources/reference");
    private static final String TINY_MODEL = """
        {"vocab_size": 256, "n_positions": 32, "n_embd": 32, "n_layer": 2, "n_head": 2}""";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args) {
        return ZeroshardCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void shouldPrintThePyTorchLossWhenEvaluatingTheReferenceWeights(@TempDir final Path dir) throws IOException {
        final int[] tokens = new int[4 * 65];
        final float[] loss = new float[1];
        try (SafetensorsReader reader = SafetensorsReader.open(REFERENCE.resolve("tiny-gpt2-expected.safetensors"))) {
            reader.readInts("tokens", tokens, 0);
            reader.read("loss", loss, 0);
        }
        final Path tokenFile = dir.resolve("tokens.bin");
        TokenFile.write(tokenFile, tokens);

        assertThat(run("eval", "--model", REFERENCE.resolve("tiny-gpt2-config.json").toString(),
            "--weights", REFERENCE.resolve("tiny-gpt2.safetensors").toString(), "--tokens", tokenFile.toString(),
            "--batch", "4", "--seq", "64")).as(err.toString()).isZero();

        final Matcher printed = Pattern.compile("loss=([0-9.]+)").matcher(out.toString());
        assertThat(printed.find()).as(out.toString()).isTrue();
        assertThat(Double.parseDouble(printed.group(1))).isCloseTo(loss[0], within(1e-5));
    }

    @Test
    void shouldTrainOnATextFileAndWriteOneMetricsLinePerStep(@TempDir final Path dir) throws IOException {
        final Path model = Files.writeString(dir.resolve("config.json"), TINY_MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), """
            {"train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 2,
             "optimizer": {"type": "AdamW", "params": {"lr": 1e-3}}}""");
        final Path text = Files.writeString(dir.resolve("corpus.txt"), "the quick brown fox jumps over the lazy dog. ".repeat(200));
        final Path metrics = dir.resolve("metrics.jsonl");
        final Path weights = dir.resolve("final.safetensors");

        assertThat(run("train", "--deepspeed", ds.toString(), "--model", model.toString(), "--data", text.toString(),
            "--steps", "3", "--seq", "16", "--threads", "2", "--metrics-out", metrics.toString(),
            "--save-weights", weights.toString())).as(err.toString()).isZero();

        final List<String> lines = Files.readAllLines(metrics);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(2)).startsWith("{\"step\":3,\"loss\":").contains("\"lr\":", "\"grad_norm\":", "\"tokens_per_s\":");
        assertThat(out.toString()).contains("step 3/3", "done: loss", "weights written to");
        assertThat(weights).exists();
    }

    @Test
    void shouldNameFileAndOffsetWhenATokenIsOutsideTheVocabulary(@TempDir final Path dir) throws IOException {
        final Path model = Files.writeString(dir.resolve("config.json"), TINY_MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), "{\"train_micro_batch_size_per_gpu\": 1}");
        final int[] tokens = new int[200];
        tokens[150] = 300;
        final Path tokenFile = dir.resolve("bad.bin");
        TokenFile.write(tokenFile, tokens);

        assertThat(run("train", "--deepspeed", ds.toString(), "--model", model.toString(), "--data",
            tokenFile.toString(), "--steps", "1", "--seq", "16")).isEqualTo(1);

        assertThat(err.toString()).contains("bad.bin", "300");
    }

    @Test
    void shouldNameTheDataFieldWhenItsFileIsMissing(@TempDir final Path dir) throws IOException {
        final Path model = Files.writeString(dir.resolve("config.json"), TINY_MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), "{\"train_micro_batch_size_per_gpu\": 1}");
        final Path missing = dir.resolve("nodata.bin");

        assertThat(run("train", "--deepspeed", ds.toString(), "--model", model.toString(), "--data",
            missing.toString(), "--steps", "1", "--seq", "16")).isEqualTo(1);

        assertThat(err.toString()).contains(missing + ": no such file on this host (data.token_file)");
    }

    @Test
    void shouldRefuseAnOutputItCouldNotWriteBeforeTrainingRatherThanAfter(@TempDir final Path dir) throws IOException {
        final Path model = Files.writeString(dir.resolve("config.json"), TINY_MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), "{\"train_micro_batch_size_per_gpu\": 1}");
        final Path missing = dir.resolve("no-such-dir").resolve("w.safetensors");

        assertThat(run("train", "--deepspeed", ds.toString(), "--model", model.toString(), "--steps", "1", "--seq",
            "16", "--save-weights", missing.toString())).isEqualTo(1);

        assertThat(err.toString()).contains("--save-weights=" + missing + ": the directory " + missing.getParent()
            + " does not exist");
        assertThat(out.toString()).doesNotContain("step 1/1");
    }

    @Test
    void shouldRefuseToSkipNonFiniteStepsInOneProcessWhichAlwaysStops(@TempDir final Path dir) throws IOException {
        final Path model = Files.writeString(dir.resolve("config.json"), TINY_MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), "{}");

        assertThat(run("train", "--deepspeed", ds.toString(), "--model", model.toString(), "--steps", "1",
            "--on-nonfinite", "skip")).isEqualTo(2);

        assertThat(err.toString()).contains("--on-nonfinite=skip needs --ranks > 1");
    }

    @Test
    void shouldRefuseASequenceLongerThanTheModelsPositions(@TempDir final Path dir) throws IOException {
        final Path model = Files.writeString(dir.resolve("config.json"), TINY_MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), "{}");

        assertThat(run("train", "--deepspeed", ds.toString(), "--model", model.toString(), "--steps", "1",
            "--seq", "64")).isEqualTo(1);

        assertThat(err.toString()).contains("data.seq_len", "n_positions(32)");
    }
}
