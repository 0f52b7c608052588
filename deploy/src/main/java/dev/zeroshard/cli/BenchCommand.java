package dev.zeroshard.cli;

import dev.zeroshard.sharding.collective.CollectiveBench;
import dev.zeroshard.worker.backend.cpu.Gemm;
import dev.zeroshard.worker.backend.cpu.Gemms;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptInitializer;
import dev.zeroshard.worker.model.ModelFlops;
import dev.zeroshard.worker.model.Precision;
import dev.zeroshard.worker.ops.Parallel;
import dev.zeroshard.worker.train.BenchmarkTrainer;
import dev.zeroshard.worker.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code zeroshard bench}: measured performance, printed for people or as JSON lines. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks (see BENCHMARKS.md).",
    subcommands = {BenchCommand.Train.class, BenchCommand.Collectives.class, BenchZeroCommand.class,
        BenchRestCommand.class})
final class BenchCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing benchmark: 'train', 'collectives' or 'zero'");
    }

    /** The configurations bench/compare-torch.sh measures on both sides. */
    enum Preset {
        TINY(GptConfig.gpt2(256, 64, 64, 2, 4), 8, 64),
        SMALL(GptConfig.gpt2(256, 256, 256, 4, 8), 8, 256),
        GPT2S(GptConfig.gpt2(50257, 1024, 768, 12, 12), 4, 256);

        final GptConfig config;
        final int batch;
        final int seqLen;

        Preset(final GptConfig config, final int batch, final int seqLen) {
            this.config = config;
            this.batch = batch;
            this.seqLen = seqLen;
        }
    }

    @Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Time training steps (forward + backward + AdamW) on random tokens: median of the timed steps",
            "after warm-up; tokens/s and model GFLOP/s (6 N + 12 L T C per token, as PaLM and nanoGPT)."})
    static final class Train implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        /** --config, --batch, --seq, --warmup, --steps. */
        @Mixin
        private BenchShapeOptions shape;

        @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16",
            description = "fp32, or bf16 mixed precision (default: ${DEFAULT-VALUE})")
        private String precision;

        @Mixin
        private ThreadsOption threads;

        @Option(names = "--json", description = "one JSON object per line")
        private boolean json;

        @Override
        public Integer call() {
            final Preset preset = shape.preset();
            final Precision mode = switch (precision) {
                case "fp32" -> Precision.FP32;
                case "bf16" -> Precision.BF16;
                default -> throw new ParameterException(spec.commandLine(),
                    "--precision=" + precision + ": must be fp32 or bf16");
            };
            threads.apply();
            final int b = shape.batch(preset);
            final int t = shape.seq(preset);
            final Gemm gemm = mode == Precision.BF16 ? Gemms.bestBf16() : Gemms.best();
            final CpuGpt model = new CpuGpt(preset.config, b, t, mode, gemm);
            GptInitializer.initialize(model.layout(), 1, model.parameters());
            final Trainer trainer = BenchmarkTrainer.onRandomTokens(model, 7);
            for (int i = 0; i < shape.warmup(); i++) {
                trainer.trainStep();
            }
            final int steps = shape.steps();
            final double[] seconds = new double[steps];
            for (int i = 0; i < steps; i++) {
                seconds[i] = trainer.trainStep().stepSeconds();
            }
            Arrays.sort(seconds);
            final double median = seconds[steps / 2];
            final double tokensPerS = (double)b * t / median;
            final double gflops = ModelFlops.perStep(model.layout(), b, t) / median / 1e9;
            final PrintWriter out = spec.commandLine().getOut();
            final String name = preset.name().toLowerCase(Locale.ROOT);
            if (json) {
                out.println(String.format(Locale.ROOT,
                    "{\"impl\":\"zeroshard\",\"config\":\"%s\",\"precision\":\"%s\",\"tokens_per_s\":%.1f,"
                        + "\"step_s\":%.4f,\"gflops\":%.2f,\"batch\":%d,\"seq_len\":%d,\"params\":%d,\"threads\":%d,"
                        + "\"gemm\":\"%s\",\"peak_heap_bytes\":%d}",
                    name, precision, tokensPerS, median, gflops, b, t, model.layout().totalElements(),
                    Parallel.shared().threads(), gemm.name(), peakHeapBytes()));
            } else {
                out.println(String.format(Locale.ROOT,
                    "%s %s: %,.0f tokens/s, %.3f s/step, %.1f GFLOP/s (B=%d T=%d, %,d params, %d threads, gemm %s,"
                        + " peak heap %,d MiB)",
                    name, precision, tokensPerS, median, gflops, b, t, model.layout().totalElements(),
                    Parallel.shared().threads(), gemm.name(), peakHeapBytes() >> 20));
            }
            return 0;
        }

        private static long peakHeapBytes() {
            long peak = 0;
            for (final MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            return peak;
        }
    }

    @Command(
        name = "collectives",
        mixinStandardHelpOptions = true,
        description = {
            "Time ring collectives over Aeron, ranks as threads of this JVM (nccl-tests figures:",
            "time, algbw, busbw in GB/s = 1e9 bytes/s; median after warm-up). Options:",
            "  --ranks 2,4  --sizes 1MiB,8MiB,64MiB,256MiB  --op allreduce,reducescatter,allgather",
            "  --transport ipc|udp[,..]  --iters N  --warmup N  --driver auto|shared|per-rank  --memcpy  --json",
            "Needs a heap of about ranks x largest size + 1 GiB (ZEROSHARD_JAVA_OPTS=-Xmx4g)."})
    static final class Collectives implements Runnable {
        @Spec
        private CommandSpec spec;

        @Unmatched
        private List<String> args = new ArrayList<>();

        @Override
        public void run() {
            final CollectiveBench bench;
            try {
                bench = CollectiveBench.parse(args.toArray(new String[0]), System.out);
            } catch (final IllegalArgumentException usage) {
                // the options are the bench's own: a bad one is a usage error, as picocli's are
                throw new ParameterException(spec.commandLine(), usage.getMessage(), usage);
            }
            bench.run();
        }
    }
}
