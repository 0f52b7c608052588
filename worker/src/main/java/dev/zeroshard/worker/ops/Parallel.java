package dev.zeroshard.worker.ops;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Data-parallel loops for the CPU kernels: {@code forRange(n, body)} splits {@code [0, n)} into
 * contiguous chunks run on a fixed pool of worker threads (the caller's thread takes part). The
 * split depends only on {@code n} and the thread count, so results are deterministic as long as
 * each index writes its own outputs.
 */
public final class Parallel {
    /** A loop body over the index range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static volatile Parallel shared = new Parallel(Runtime.getRuntime().availableProcessors());

    private final int threads;
    private final ForkJoinPool pool;

    private Parallel(final int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads=" + threads + " < 1");
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    /** The pool the kernels use. */
    public static Parallel shared() {
        return shared;
    }

    /** Sets the number of compute threads (the CLI's {@code --threads}); call once at start. */
    public static synchronized void configure(final int threads) {
        if (shared.threads != threads) {
            final Parallel previous = shared;
            shared = new Parallel(threads);
            if (previous.pool != null) {
                previous.pool.shutdown();
            }
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body} over {@code [0, n)} in at most {@code threads} contiguous chunks. */
    public void forRange(final int n, final RangeBody body) {
        forRange(n, 1, body);
    }

    /**
     * As {@link #forRange(int, RangeBody)}, but does not split below {@code minChunk} indices, so
     * that tiny loops do not pay for a hand-off.
     */
    public void forRange(final int n, final int minChunk, final RangeBody body) {
        final int chunks = Math.min(threads, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || pool == null) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        pool.invoke(new Chunk(body, n, chunks, 0, chunks));
    }

    private static final class Chunk extends RecursiveAction {
        private final RangeBody body;
        private final int n;
        private final int chunks;
        private final int firstChunk;
        private final int endChunk;

        Chunk(final RangeBody body, final int n, final int chunks, final int firstChunk, final int endChunk) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.firstChunk = firstChunk;
            this.endChunk = endChunk;
        }

        @Override
        protected void compute() {
            if (endChunk - firstChunk == 1) {
                final int from = (int)((long)n * firstChunk / chunks);
                final int to = (int)((long)n * (firstChunk + 1) / chunks);
                body.run(from, to);
                return;
            }
            final int middle = (firstChunk + endChunk) >>> 1;
            invokeAll(new Chunk(body, n, chunks, firstChunk, middle), new Chunk(body, n, chunks, middle, endChunk));
        }
    }
}
