package dev.zeroshard.worker.ops;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;

/**
 * Throughput of {@link FlashAttention} on the shapes GPT-2 training uses. Not a test: run its
 * {@code main} on the test classpath, e.g.
 * {@code java -cp worker/target/classes:worker/target/test-classes dev.zeroshard.worker.ops.FlashAttentionBench}.
 * FLOPs are the causal matrix products: forward 2·2·B·NH·hs·T²/2, backward 2.5 times that.
 * Reports the median wall time of the timed repetitions and, beside it, the throughput by the CPU
 * time the process used over all repetitions divided by the thread count: the figure that stays
 * meaningful when other work shares the cores.
 */
public final class FlashAttentionBench {
    private FlashAttentionBench() {
    }

    public static void main(final String[] args) {
        System.out.printf("threads=%d%n", Parallel.shared().threads());
        // the JIT settles on vector widths from what it profiled, so every shape runs before any is timed
        for (final boolean timed : new boolean[] {false, true}) {
            run(8, 256, 256, 8, timed);
            run(4, 256, 768, 12, timed);
            run(1, 1024, 768, 12, timed);
        }
    }

    private static void run(final int B, final int T, final int C, final int NH, final boolean timed) {
        final Random random = new Random(1);
        final float[] qkv = gaussian(random, B * T * 3 * C);
        final float[] dout = gaussian(random, B * T * C);
        final float[] out = new float[B * T * C];
        final float[] lse = new float[B * NH * T];
        final float[] dqkv = new float[B * T * 3 * C];
        final double forwardFlops = 2.0 * B * NH * (C / NH) * (double)T * T;
        final double backwardFlops = 2.5 * forwardFlops;
        final int reps = Math.max(5, (int)(2e10 / forwardFlops / 3.5));
        final long[] forwardNs = new long[reps];
        final long[] backwardNs = new long[reps];
        final long[] forwardCpuNs = new long[reps];
        final long[] backwardCpuNs = new long[reps];
        for (int warm = 0; warm < 3; warm++) {
            FlashAttention.forward(out, 0, lse, 0, qkv, 0, B, T, C, NH);
            FlashAttention.backward(dqkv, 0, dout, 0, out, 0, lse, 0, qkv, 0, B, T, C, NH);
        }
        if (!timed) {
            return;
        }
        for (int rep = 0; rep < reps; rep++) {
            final long c0 = processCpuNs();
            final long t0 = System.nanoTime();
            FlashAttention.forward(out, 0, lse, 0, qkv, 0, B, T, C, NH);
            final long t1 = System.nanoTime();
            final long c1 = processCpuNs();
            FlashAttention.backward(dqkv, 0, dout, 0, out, 0, lse, 0, qkv, 0, B, T, C, NH);
            final long t2 = System.nanoTime();
            final long c2 = processCpuNs();
            forwardNs[rep] = t1 - t0;
            backwardNs[rep] = t2 - t1;
            forwardCpuNs[rep] = c1 - c0;
            backwardCpuNs[rep] = c2 - c1;
        }
        final int threads = Parallel.shared().threads();
        final double fwd = median(forwardNs);
        final double bwd = median(backwardNs);
        final double fwdCpu = (double)Arrays.stream(forwardCpuNs).sum() / reps / threads;
        final double bwdCpu = (double)Arrays.stream(backwardCpuNs).sum() / reps / threads;
        System.out.printf("B=%d T=%d C=%d NH=%d  forward %.2f ms %.1f GFLOP/s (cpu %.1f)  "
                + "backward %.2f ms %.1f GFLOP/s (cpu %.1f)%n",
            B, T, C, NH, fwd / 1e6, forwardFlops / fwd, forwardFlops / fwdCpu,
            bwd / 1e6, backwardFlops / bwd, backwardFlops / bwdCpu);
    }

    private static long processCpuNs() {
        return ((com.sun.management.OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime();
    }

    private static double median(final long[] ns) {
        final long[] sorted = ns.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static float[] gaussian(final Random random, final int n) {
        final float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float)random.nextGaussian();
        }
        return a;
    }
}
