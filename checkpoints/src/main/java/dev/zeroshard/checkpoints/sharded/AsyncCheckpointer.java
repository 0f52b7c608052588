package dev.zeroshard.checkpoints.sharded;

import dev.zeroshard.protocol.v1.CheckpointManifest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * One rank's background checkpoint writer. {@link #save} returns as soon as the caller's snapshot (already copied
 * to host memory) is handed over; the shard is written, and on rank 0 the step committed, on a thread of its own.
 * A save waits for the previous one first, so at most one is in flight, and a failed save is reported by the next
 * call (training does not go on believing it is protected when it is not).
 */
public final class AsyncCheckpointer implements AutoCloseable {
    private final CheckpointStore store;
    private final int rank;
    private final String runId;
    private final int keepLast;
    private final long commitTimeoutNs;
    private final FaultInjector faults;
    private final Consumer<String> log;
    private final Set<Path> protectedDirectories;
    private final ExecutorService thread;
    private Future<?> pending;

    /**
     * @param runId           the same on every rank of this run; names the staging directory.
     * @param keepLast        committed checkpoints to keep (0: all); rank 0 prunes after each commit.
     * @param commitTimeoutNs how long rank 0 waits for the other ranks' shards.
     * @param loaded          the checkpoint this run resumed from, never pruned (null: none).
     */
    public AsyncCheckpointer(final CheckpointStore store, final int rank, final String runId, final int keepLast,
                             final long commitTimeoutNs, final Path loaded, final FaultInjector faults,
                             final Consumer<String> log) {
        this.store = store;
        this.rank = rank;
        this.runId = runId;
        this.keepLast = keepLast;
        this.commitTimeoutNs = commitTimeoutNs;
        this.faults = faults;
        this.log = log;
        this.protectedDirectories = loaded == null ? Set.of() : Set.of(loaded.toAbsolutePath().normalize());
        this.thread = Executors.newSingleThreadExecutor(task -> {
            final Thread t = new Thread(task, "checkpoint-writer-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Saves step {@code manifest.getStep()}: waits for the previous save, then writes {@code shard} (and on rank 0
     * commits with {@code manifest}, which lacks only the shard records) in the background.
     *
     * @throws UncheckedIOException when the previous save failed.
     */
    public void save(final ShardSnapshot shard, final CheckpointManifest manifest) {
        awaitPrevious();
        final Path staging = store.staging(manifest.getStep(), runId);
        pending = thread.submit(() -> {
            final long start = System.nanoTime();
            final long bytes = ShardWriter.write(staging, shard, faults).getSizeBytes();
            final long written = System.nanoTime();
            if (rank == 0) {
                final Path committed = CheckpointCommitter.commit(store.root(), staging, manifest, commitTimeoutNs,
                    faults);
                log.accept(String.format(Locale.ROOT, "checkpoint %s committed (this rank's shard: %.1f MiB written "
                        + "in %.2f s; commit after all ranks: %.2f s)", committed, bytes / 1048576.0,
                    (written - start) / 1e9, (System.nanoTime() - start) / 1e9));
                for (final Path deleted : store.retain(keepLast, protectedDirectories, runId)) {
                    log.accept("deleted " + deleted + (deleted.getFileName().toString().startsWith(
                        CheckpointFiles.STAGING_PREFIX) ? " (left unfinished by an earlier run)"
                        : " (keep_last=" + keepLast + ")"));
                }
            }
            return null;
        });
    }

    /** Waits until the last save is durable (on rank 0: committed). */
    public void awaitPrevious() {
        if (pending == null) {
            return;
        }
        try {
            pending.get();
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a checkpoint to be written", ex);
        } catch (final ExecutionException ex) {
            final Throwable cause = ex.getCause();
            throw new UncheckedIOException(cause instanceof IOException io ? io
                : new IOException("checkpoint failed: " + cause, cause));
        } finally {
            pending = null;
        }
    }

    /** Waits for the last save and stops the writer thread. */
    @Override
    public void close() {
        try {
            awaitPrevious();
        } finally {
            thread.shutdownNow();
        }
    }
}
