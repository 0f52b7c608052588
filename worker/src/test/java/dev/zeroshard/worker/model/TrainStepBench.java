package dev.zeroshard.worker.model;

import dev.zeroshard.worker.backend.cpu.Gemm;
import dev.zeroshard.worker.backend.cpu.Gemms;
import dev.zeroshard.worker.backend.cpu.MatrixBuffer;
import dev.zeroshard.worker.backend.cpu.Operand;
import dev.zeroshard.worker.ops.Parallel;
import dev.zeroshard.worker.train.BenchmarkTrainer;
import dev.zeroshard.worker.train.Trainer;

import java.util.Arrays;
import java.util.Locale;

/**
 * Training-step benchmark with a per-op breakdown, set up as {@code zeroshard bench train} does
 * (same presets, initialisation, optimizer and random tokens). Not a test: run its main on the
 * module's test classpath with {@code OMP_NUM_THREADS} equal to the thread count.
 *
 * <pre>
 *   TrainStepBench small|gpt2s|tiny fp32|bf16 [warmup=2] [steps=5]
 * </pre>
 */
public final class TrainStepBench {
    private TrainStepBench() {
    }

    /** Times every product by shape: {nanoseconds, flops}. */
    private static final class TimedGemm implements Gemm {
        final Gemm inner;
        final java.util.Map<String, long[]> nanosByShape = new java.util.HashMap<>();

        TimedGemm(final Gemm inner) {
            this.inner = inner;
        }

        private void record(final boolean transA, final boolean transB, final int m, final int n, final int k,
            final float beta, final long nanos) {
            final long[] entry = nanosByShape.computeIfAbsent((transA ? "T" : "N") + (transB ? "T" : "N") + " m=" + m
                + " n=" + n + " k=" + k + (beta == 0f ? " b0" : ""), key -> new long[2]);
            entry[0] += nanos;
            entry[1] += 2L * m * n * k;
        }

        @Override
        public void multiply(final boolean transA, final boolean transB, final int m, final int n, final int k,
            final float alpha, final Operand a, final Operand b, final float beta, final float[] c, final int cOff,
            final int ldc, final float[] bias, final int biasOff) {
            final long t0 = System.nanoTime();
            inner.multiply(transA, transB, m, n, k, alpha, a, b, beta, c, cOff, ldc, bias, biasOff);
            record(transA, transB, m, n, k, beta, System.nanoTime() - t0);
        }

        @Override
        public MatrixBuffer newBuffer(final long length, final boolean bf16) {
            return inner.newBuffer(length, bf16);
        }

        @Override
        public String name() {
            return inner.name();
        }
    }

    public static void main(final String[] args) {
        final String name = args.length > 0 ? args[0] : "small";
        final Precision precision = args.length > 1 && args[1].equals("bf16") ? Precision.BF16 : Precision.FP32;
        final int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        final int steps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        final GptConfig config;
        final int b;
        final int t;
        switch (name) {
            case "tiny" -> {
                config = GptConfig.gpt2(256, 64, 64, 2, 4);
                b = 8;
                t = 64;
            }
            case "small" -> {
                config = GptConfig.gpt2(256, 256, 256, 4, 8);
                b = 8;
                t = 256;
            }
            case "gpt2s" -> {
                config = GptConfig.gpt2(50257, 1024, 768, 12, 12);
                b = 4;
                t = 256;
            }
            default -> throw new IllegalArgumentException("preset " + name + ": tiny, small or gpt2s");
        }
        Parallel.configure(Runtime.getRuntime().availableProcessors());
        final Gemm native_ = precision == Precision.BF16 ? Gemms.bestBf16() : Gemms.best();
        final TimedGemm gemm = new TimedGemm(native_);
        final CpuGpt model = new CpuGpt(config, b, t, precision, gemm);
        GptInitializer.initialize(model.layout(), 1, model.parameters());
        final Trainer trainer = BenchmarkTrainer.onRandomTokens(model, 7);
        for (int i = 0; i < warmup; i++) {
            trainer.trainStep();
        }
        model.enableOpTiming();
        gemm.nanosByShape.clear();
        final double[] seconds = new double[steps];
        float loss = 0f;
        for (int i = 0; i < steps; i++) {
            final var metrics = trainer.trainStep();
            seconds[i] = metrics.stepSeconds();
            loss = (float)metrics.loss();
        }
        final double total = Arrays.stream(seconds).sum();
        Arrays.sort(seconds);
        final double median = seconds[steps / 2];
        System.out.printf(Locale.ROOT, "%s %s: %,.0f tokens/s (median %.4f s/step, min %.4f, max %.4f), loss %.4f,"
                + " gemm %s, %d threads%n", name, precision, (double)b * t / median, median, seconds[0],
            seconds[steps - 1], loss, gemm.name(), Parallel.shared().threads());
        final long[] ops = model.opNanos();
        double modelSeconds = 0;
        for (final CpuGpt.Op op : CpuGpt.Op.values()) {
            modelSeconds += ops[op.ordinal()] / 1e9;
        }
        for (final CpuGpt.Op op : CpuGpt.Op.values()) {
            System.out.printf(Locale.ROOT, "  %-14s %7.1f ms/step %5.1f%%%n", op, ops[op.ordinal()] / 1e6 / steps,
                100.0 * ops[op.ordinal()] / 1e9 / total);
        }
        System.out.printf(Locale.ROOT, "  %-14s %7.1f ms/step %5.1f%%%n", "OPTIMIZER+REST",
            (total - modelSeconds) * 1e3 / steps, 100.0 * (total - modelSeconds) / total);
        gemm.nanosByShape.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
            .forEach(e -> System.out.printf(Locale.ROOT, "    gemm %-34s %7.1f ms/step %6.1f GFLOP/s%n", e.getKey(),
                e.getValue()[0] / 1e6 / steps, e.getValue()[1] / (double)e.getValue()[0]));
    }
}
