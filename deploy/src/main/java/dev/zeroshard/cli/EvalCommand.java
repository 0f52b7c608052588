package dev.zeroshard.cli;

import dev.zeroshard.checkpoints.safetensors.Gpt2Safetensors;
import dev.zeroshard.protocol.job.ModelConfigs;
import dev.zeroshard.worker.backend.cpu.Gemms;
import dev.zeroshard.worker.data.TokenFile;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.Precision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code zeroshard eval}: the mean loss of a model's weights on the start of a token file. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = "Print the mean loss of safetensors weights on the first B x (T+1) tokens of a token file: row b "
        + "is tokens[b(T+1) .. b(T+1)+T]; inputs are its first T tokens, targets its last T.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "CONFIG_JSON", description = "Hugging Face GPT-2 config.json")
    private Path modelFile;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "safetensors weights")
    private Path weights;

    @Option(names = "--tokens", required = true, paramLabel = "FILE", description = "token file (llm.c/nanoGPT layout)")
    private Path tokensFile;

    @Option(names = "--batch", required = true, paramLabel = "B", description = "rows")
    private int batch;

    @Option(names = "--seq", required = true, paramLabel = "T", description = "sequence length")
    private int seq;

    @Mixin
    private ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || seq < 1) {
            throw new ParameterException(spec.commandLine(), "--batch=" + batch + " and --seq=" + seq + " must be >= 1");
        }
        threads.apply();
        final GptConfig config = GptConfig.of(ModelConfigs.read(modelFile));
        final CpuGpt model = new CpuGpt(config, batch, seq, Precision.FP32, Gemms.best());
        Gpt2Safetensors.load(weights, model.layout().parameters(), model.parameters(), 0);
        final int[] inputs = new int[batch * seq];
        final int[] targets = new int[batch * seq];
        final TokenFile tokens = TokenFile.open(tokensFile);
        final long needed = (long)batch * (seq + 1);
        if (tokens.length() < needed) {
            throw new IllegalArgumentException(tokensFile + " has " + tokens.length() + " tokens; --batch "
                + batch + " x (--seq " + seq + " + 1) needs " + needed);
        }
        final int[] row = new int[seq + 1];
        for (int b = 0; b < batch; b++) {
            tokens.read((long)b * (seq + 1), row, 0, seq + 1);
            System.arraycopy(row, 0, inputs, b * seq, seq);
            System.arraycopy(row, 1, targets, b * seq, seq);
        }
        final float loss = model.forward(inputs, targets);
        spec.commandLine().getOut().println(String.format(Locale.ROOT, "loss=%.6f", loss));
        return 0;
    }
}
