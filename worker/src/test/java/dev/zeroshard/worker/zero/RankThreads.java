package dev.zeroshard.worker.zero;

import dev.zeroshard.sharding.aeron.AeronDriver;
import dev.zeroshard.sharding.aeron.RingSpec;
import dev.zeroshard.sharding.aeron.TransportConfig;
import dev.zeroshard.sharding.collective.CollectiveException;
import dev.zeroshard.sharding.collective.CommSettings;
import dev.zeroshard.sharding.collective.CommSpec;
import dev.zeroshard.sharding.collective.Communicator;
import io.aeron.driver.ThreadingMode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N ranks as threads of this JVM, each with its own communicator on one shared embedded Aeron driver (IPC): the
 * fast way to run the real data plane in unit tests.
 */
final class RankThreads implements AutoCloseable {
    /** Small pipeline chunks, so that small test models still span many chunks and buckets. */
    static final int CHUNK_BYTES = 1024;
    private static final AtomicInteger NEXT_STREAM_ID = new AtomicInteger(5000);
    private static final AtomicInteger NEXT_EPOCH = new AtomicInteger(1);
    private static final long TASK_TIMEOUT_S = 120;

    private final AeronDriver driver;
    private final ExecutorService threads;

    /** Work one rank does with its communicator. */
    interface RankTask<T> {
        T run(Communicator comm) throws Exception;
    }

    RankThreads(final Path baseDir) {
        this.driver = AeronDriver.launchEmbedded(new TransportConfig()
            .baseDirectory(baseDir.toString())
            .threadingMode(ThreadingMode.SHARED)
            .termLength(1024 * 1024)
            .receiverWindowLength(256 * 1024)
            .socketBufferLength(256 * 1024)
            .clientLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .imageLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .publicationConnectionTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .conclude());
        this.threads = Executors.newCachedThreadPool(task -> {
            final Thread thread = new Thread(task, "rank");
            thread.setDaemon(true);
            return thread;
        });
    }

    static CommSettings settings() {
        return new CommSettings()
            .deadlineNs(TimeUnit.SECONDS.toNanos(60))
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(20))
            .closeLingerNs(TimeUnit.MILLISECONDS.toNanos(200))
            .chunkLength(CHUNK_BYTES);
    }

    /** Opens a fresh ring of {@code worldSize} ranks and runs {@code task} on each; results in rank order. */
    <T> List<T> run(final int worldSize, final RankTask<T> task) throws Exception {
        final RingSpec ring = RingSpec.ipc(worldSize, NEXT_STREAM_ID.getAndAdd(worldSize));
        final int epoch = NEXT_EPOCH.getAndIncrement();
        final List<Future<T>> futures = new ArrayList<>();
        for (int rank = 0; rank < worldSize; rank++) {
            final int r = rank;
            futures.add(threads.submit(() -> {
                try (Communicator comm = Communicator.open(new CommSpec(r, epoch, ring), settings(), driver)) {
                    return task.run(comm);
                }
            }));
        }
        final List<T> results = new ArrayList<>();
        final List<Throwable> failures = new ArrayList<>();
        for (final Future<T> future : futures) {
            try {
                results.add(future.get(TASK_TIMEOUT_S, TimeUnit.SECONDS));
            } catch (final ExecutionException ex) {
                failures.add(ex.getCause());
            } catch (final TimeoutException ex) {
                failures.add(ex);
            }
        }
        if (!failures.isEmpty()) {
            // the rank that failed first in its own right, not a peer that lost it
            final Throwable root = failures.stream().filter(f -> !(f instanceof CollectiveException)).findFirst()
                .orElse(failures.get(0));
            final AssertionError error = new AssertionError("a rank failed: " + root, root);
            failures.stream().filter(f -> f != root).forEach(error::addSuppressed);
            throw error;
        }
        return results;
    }

    @Override
    public void close() {
        threads.shutdownNow();
        driver.close();
    }
}
