package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.aeron.AeronDriver;
import dev.zeroshard.sharding.aeron.RingSpec;
import dev.zeroshard.sharding.aeron.TransportConfig;
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
 * N ranks as threads in this JVM: opens their communicators concurrently (opening blocks until the ring is
 * connected), runs a task on every rank at once and closes everything, failing loudly on a hang.
 */
final class RingHarness implements AutoCloseable {
    /** Work of one rank. */
    interface RankTask<T> {
        T run(int rank, Communicator communicator) throws Exception;
    }

    private static final AtomicInteger NEXT_STREAM_ID = new AtomicInteger(1000);
    private static final AtomicInteger NEXT_EPOCH = new AtomicInteger(1);
    private static final long TASK_TIMEOUT_S = 30;

    private final AeronDriver sharedDriver;
    private final List<Communicator> communicators;
    private final ExecutorService ranks;
    private final int worldSize;

    private RingHarness(final AeronDriver sharedDriver, final List<Communicator> communicators,
                        final ExecutorService ranks) {
        this.sharedDriver = sharedDriver;
        this.communicators = communicators;
        this.ranks = ranks;
        this.worldSize = communicators.size();
    }

    /** Test transport settings: a private base directory, a small term, short liveness timeouts. */
    static TransportConfig transport(final Path baseDir, final ThreadingMode threading) {
        return new TransportConfig()
            .baseDirectory(baseDir.toString())
            .threadingMode(threading)
            .termLength(1024 * 1024)
            .receiverWindowLength(256 * 1024)
            .socketBufferLength(256 * 1024)
            .clientLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .imageLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .publicationConnectionTimeoutNs(TimeUnit.SECONDS.toNanos(2));
    }

    /** Test settings: a fixed deadline (short enough for failure tests), a small grace and connect timeout. */
    static CommSettings settings(final long deadlineMs, final int chunkLengthBytes) {
        return new CommSettings()
            .deadlineNs(TimeUnit.MILLISECONDS.toNanos(deadlineMs))
            .failureGraceNs(TimeUnit.MILLISECONDS.toNanos(Math.min(300, deadlineMs / 4)))
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .closeLingerNs(TimeUnit.MILLISECONDS.toNanos(500))
            .chunkLength(chunkLengthBytes);
    }

    /** N ranks over IPC, every client on one shared embedded driver that the ranks' threads run in turn. */
    static RingHarness ipc(final int worldSize, final Path baseDir, final CommSettings settings) {
        final AeronDriver driver = AeronDriver.launchEmbedded(transport(baseDir, ThreadingMode.INVOKER).conclude());
        try {
            final RingSpec ring = RingSpec.ipc(worldSize, NEXT_STREAM_ID.getAndAdd(worldSize));
            final int epoch = NEXT_EPOCH.getAndIncrement();
            return openAll(driver, worldSize, rank -> Communicator.open(new CommSpec(rank, epoch, ring), settings,
                driver));
        } catch (final RuntimeException ex) {
            driver.close();
            throw ex;
        }
    }

    /** N ranks over UDP loopback, each with its own embedded driver run by its communicator (INVOKER). */
    static RingHarness udp(final int worldSize, final Path baseDir, final CommSettings settings) {
        final RingSpec ring = udpRing(worldSize);
        final int epoch = NEXT_EPOCH.getAndIncrement();
        return openAll(null, worldSize, rank -> Communicator.open(new CommSpec(rank, epoch, ring), settings,
            transport(baseDir, ThreadingMode.INVOKER)));
    }

    /** A UDP loopback ring on ports that were free a moment ago. */
    static RingSpec udpRing(final int worldSize) {
        return RingSpec.udpLoopbackOnFreePorts(worldSize, 7);
    }

    private interface Opener {
        Communicator open(int rank);
    }

    private static RingHarness openAll(final AeronDriver sharedDriver, final int worldSize, final Opener opener) {
        final ExecutorService ranks = Executors.newFixedThreadPool(worldSize, task -> {
            final Thread thread = new Thread(task, "test-rank");
            thread.setDaemon(true);
            return thread;
        });
        final List<Future<Communicator>> opened = new ArrayList<>();
        for (int rank = 0; rank < worldSize; rank++) {
            final int r = rank;
            opened.add(ranks.submit(() -> opener.open(r)));
        }
        final List<Communicator> communicators = new ArrayList<>();
        Throwable failure = null;
        for (final Future<Communicator> future : opened) {
            try {
                communicators.add(future.get(TASK_TIMEOUT_S, TimeUnit.SECONDS));
            } catch (final ExecutionException ex) {
                failure = failure == null ? ex.getCause() : failure;
            } catch (final InterruptedException | TimeoutException ex) {
                failure = failure == null ? ex : failure;
            }
        }
        if (failure != null) {
            communicators.forEach(Communicator::close);
            ranks.shutdownNow();
            throw new AssertionError("opening the ring failed", failure);
        }
        return new RingHarness(sharedDriver, communicators, ranks);
    }

    int worldSize() {
        return worldSize;
    }

    Communicator communicator(final int rank) {
        return communicators.get(rank);
    }

    /** Runs {@code task} on every rank at once; returns the results in rank order or throws the first failure. */
    <T> List<T> run(final RankTask<T> task) {
        final List<Future<T>> futures = submit(task);
        final List<T> results = new ArrayList<>();
        for (int rank = 0; rank < worldSize; rank++) {
            try {
                results.add(futures.get(rank).get(TASK_TIMEOUT_S, TimeUnit.SECONDS));
            } catch (final ExecutionException ex) {
                throw new AssertionError("rank " + rank + " failed", ex.getCause());
            } catch (final InterruptedException | TimeoutException ex) {
                throw new AssertionError("rank " + rank + " did not finish in " + TASK_TIMEOUT_S + " s", ex);
            }
        }
        return results;
    }

    /** Runs {@code task} on every rank at once; returns each rank's exception, or null where it succeeded. */
    List<Throwable> runCollectingFailures(final RankTask<?> task) {
        final List<? extends Future<?>> futures = submit(task);
        final List<Throwable> failures = new ArrayList<>();
        for (int rank = 0; rank < worldSize; rank++) {
            try {
                futures.get(rank).get(TASK_TIMEOUT_S, TimeUnit.SECONDS);
                failures.add(null);
            } catch (final ExecutionException ex) {
                failures.add(ex.getCause());
            } catch (final InterruptedException | TimeoutException ex) {
                throw new AssertionError("rank " + rank + " did not finish in " + TASK_TIMEOUT_S + " s", ex);
            }
        }
        return failures;
    }

    /** Submits {@code task} for every rank without waiting. */
    <T> List<Future<T>> submit(final RankTask<T> task) {
        final List<Future<T>> futures = new ArrayList<>();
        for (int rank = 0; rank < worldSize; rank++) {
            final int r = rank;
            futures.add(ranks.submit(() -> task.run(r, communicators.get(r))));
        }
        return futures;
    }

    /** Closes every communicator at once (as a job's ranks would), then the shared driver. */
    @Override
    public void close() {
        final List<Future<?>> closing = new ArrayList<>();
        for (final Communicator communicator : communicators) {
            closing.add(ranks.submit(communicator::close));
        }
        for (final Future<?> future : closing) {
            try {
                future.get(TASK_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (final InterruptedException | ExecutionException | TimeoutException ex) {
                throw new AssertionError("closing a communicator failed", ex);
            }
        }
        ranks.shutdownNow();
        try {
            ranks.awaitTermination(TASK_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if (sharedDriver != null) {
            sharedDriver.close();
        }
    }
}
