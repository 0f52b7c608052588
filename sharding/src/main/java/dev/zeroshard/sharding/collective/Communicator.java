package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.aeron.AeronDriver;
import dev.zeroshard.sharding.aeron.TransportConfig;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AgentRunner;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One rank's end of a ring of ranks: runs allreduce, reduce-scatter, allgather, broadcast and barrier over fp32
 * ({@code float[]}) and bf16 ({@code short[]} bit patterns) buffers, peer to peer over Aeron.
 *
 * <p><b>Contract.</b> Every rank starts the same collectives in the same order, with the same kind, element type,
 * length, partition and root (a mismatch fails naming the rank). Collectives run one after another on the
 * communicator's own thread, in the order started; {@code start...} returns at once with a
 * {@link CollectiveHandle} to {@link CollectiveHandle#await() await} later, so computation can overlap the
 * reduction of earlier buckets; the blocking methods are {@code start...} followed by {@code await}. The buffer
 * belongs to the communicator until its handle completes.
 *
 * <p><b>Results.</b> Bit-identical on every rank and run to run: each element is summed in fp32 in the fixed ring
 * order of {@link RingSchedule} (bf16 rounded once at the end). Lengths of 0, 1 or not divisible by the world size
 * are fine; a world of one rank completes every collective at once and opens no Aeron resources.
 *
 * <p><b>Failures.</b> Every collective has a deadline ({@link CommSettings}); a peer that dies, leaves or stops
 * sending makes every surviving rank throw a {@link CollectiveTimeoutException} naming the collective, the bucket,
 * the step and the rank(s) that did not deliver, by that deadline. {@link #abort(String)} stops everything at once
 * ({@link CollectiveAbortedException} for every waiter here; the peers learn it from the ring). After a failure,
 * an abort or {@link #close()}, every Aeron resource of the communicator is released (and an owned embedded
 * driver's directory deleted); build a new communicator, with a new epoch and fresh streams, for the survivors.
 *
 * <p>Thread-safe: any thread may start, await, abort or close.
 */
public final class Communicator implements AutoCloseable {
    private static final long STOP_MARGIN_NS = TimeUnit.SECONDS.toNanos(5);

    private final CommSpec spec;
    private final CommSettings settings;
    private final CollectiveAgent agent;
    private final AgentRunner runner;
    private volatile boolean trivialClosed;
    /** The caller's training step, named in the errors of the collectives started while it holds; -1: none. */
    private volatile long trainingStep = -1;

    private Communicator(final CommSpec spec, final CommSettings settings, final CollectiveAgent agent,
                         final AgentRunner runner) {
        this.spec = spec;
        this.settings = settings;
        this.agent = agent;
        this.runner = runner;
    }

    /**
     * Opens this rank's end of the ring with a driver of its own: an embedded driver launched in a fresh
     * directory (run by this communicator's thread in {@code INVOKER} mode, closed and deleted with it), or the
     * external driver {@code transport} names. Blocks until both neighbours are connected. Over IPC all ranks
     * must reach one driver: name an external one here, or use {@link #open(CommSpec, CommSettings, AeronDriver)}.
     *
     * @throws CollectiveTimeoutException naming the missing neighbour(s) when the ring does not connect within
     *                                    {@link CommSettings#connectTimeoutNs()}.
     */
    public static Communicator open(final CommSpec spec, final CommSettings settings,
                                    final TransportConfig transport) {
        Objects.requireNonNull(spec, "spec");
        concluded(settings);
        if (spec.worldSize() == 1) {
            return new Communicator(spec, settings, null, null);
        }
        final AeronDriver driver = AeronDriver.launch(transport);
        try {
            return start(spec, settings, driver, true);
        } catch (final RuntimeException | Error ex) {
            driver.close();
            throw ex;
        }
    }

    /**
     * Opens this rank's end of the ring on a driver shared with other communicators of this JVM (for instance
     * ranks run as threads); the driver outlives the communicator. An INVOKER-mode driver is run by the
     * communicators' threads in turn.
     */
    public static Communicator open(final CommSpec spec, final CommSettings settings, final AeronDriver driver) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(driver, "driver");
        concluded(settings);
        if (spec.worldSize() == 1) {
            return new Communicator(spec, settings, null, null);
        }
        return start(spec, settings, driver, false);
    }

    private static Communicator start(final CommSpec spec, final CommSettings settings, final AeronDriver driver,
                                      final boolean ownsDriver) {
        final CollectiveAgent agent = new CollectiveAgent(spec, settings, driver, ownsDriver);
        final AgentRunner runner = new AgentRunner(driver.config().newIdleStrategy(),
            error -> { }, null, agent);
        AgentRunner.startOnThread(runner, task -> {
            final Thread thread = new Thread(task, agent.roleName() + "-e" + spec.epoch());
            thread.setDaemon(true);
            return thread;
        });
        final Communicator communicator = new Communicator(spec, settings, agent, runner);
        final boolean settled;
        try {
            settled = agent.awaitConnected(settings.connectTimeoutNs() + STOP_MARGIN_NS);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            communicator.abort("rank " + spec.rank() + " was interrupted while connecting");
            throw new CollectiveAbortedException(CollectiveKind.CONNECT, -1, -1, spec.rank(),
                "interrupted while connecting");
        }
        if (!settled) {
            communicator.abort("ring did not settle");
        }
        final CollectiveAgent.Failure failure = agent.terminalFailure();
        if (failure != null || agent.state() != CollectiveAgent.State.ACTIVE) {
            communicator.stopRunner();
            throw (failure != null ? failure : new CollectiveAgent.Failure(CollectiveAgent.Cause.INTERNAL,
                new int[0], "communicator did not connect")).toException(CollectiveKind.CONNECT, -1, -1,
                spec.rank());
        }
        return communicator;
    }

    public int rank() {
        return spec.rank();
    }

    public int worldSize() {
        return spec.worldSize();
    }

    public CommSpec spec() {
        return spec;
    }

    /** Elements per message of the pipeline (fp32), as derived from the settings and the channel's MTU. */
    public int chunkElements() {
        return agent == null ? settings.chunkLength() / Float.BYTES : agent.chunkElements();
    }

    // ---------------------------------------------------------------- allreduce

    /** Sums {@code buffer} over all ranks, in place; every rank ends with the same bits. */
    public void allReduce(final float[] buffer) {
        startAllReduce(-1, buffer, 0, buffer.length).await();
    }

    /** Sums {@code buffer[offset, offset + length)} over all ranks, in place. */
    public void allReduce(final float[] buffer, final int offset, final int length) {
        startAllReduce(-1, buffer, offset, length).await();
    }

    /** Sums bf16 values over all ranks in place, accumulating in fp32 and rounding once. */
    public void allReduce(final short[] bf16, final int offset, final int length) {
        startAllReduce(-1, bf16, offset, length).await();
    }

    /** Starts an allreduce of {@code buffer[offset, offset + length)} for {@code bucket} (-1 for none). */
    public CollectiveHandle startAllReduce(final int bucket, final float[] buffer, final int offset,
                                           final int length) {
        return submit(CollectiveKind.ALL_REDUCE, bucket, new Fp32Buffer(buffer, offset, length),
            Partition.even(length, worldSize()), -1);
    }

    /** Starts a bf16 allreduce (fp32 accumulation, one rounding) for {@code bucket} (-1 for none). */
    public CollectiveHandle startAllReduce(final int bucket, final short[] bf16, final int offset, final int length) {
        return submit(CollectiveKind.ALL_REDUCE, bucket, new Bf16Buffer(bf16, offset, length),
            Partition.even(length, worldSize()), -1);
    }

    /**
     * Starts an allreduce whose reduce-scatter half cuts the range by {@code partition} instead of evenly: each
     * element is then summed in the ring order its segment fixes ({@link RingSchedule}), so a caller that cuts
     * every range by one ownership rule gets the same bits however the buffer was split into buckets.
     */
    public CollectiveHandle startAllReduce(final int bucket, final float[] buffer, final int offset, final int length,
                                           final Partition partition) {
        return submit(CollectiveKind.ALL_REDUCE, bucket, new Fp32Buffer(buffer, offset, length),
            checked(partition, length), -1);
    }

    /**
     * As {@link #startAllReduce(int, float[], int, int, Partition)} over native-order floats in an Agrona buffer
     * (pinned or other native memory is read and summed where it lies); {@code offset} and {@code length} count
     * floats. The buffer must stay untouched until the handle completes.
     */
    public CollectiveHandle startAllReduce(final int bucket, final MutableDirectBuffer fp32, final int offset,
                                           final int length, final Partition partition) {
        return submit(CollectiveKind.ALL_REDUCE, bucket, new Fp32Buffer(fp32, offset, length),
            checked(partition, length), -1);
    }

    // ---------------------------------------------------------------- reduce-scatter

    /**
     * Sums the range over all ranks into this rank's segment of {@code partition} (relative to {@code offset});
     * the rest of the range holds partial sums afterwards.
     */
    public void reduceScatter(final float[] buffer, final int offset, final int length, final Partition partition) {
        startReduceScatter(-1, buffer, offset, length, partition).await();
    }

    /** bf16 reduce-scatter: this rank's segment gets the fp32-accumulated sum rounded once; the rest is kept. */
    public void reduceScatter(final short[] bf16, final int offset, final int length, final Partition partition) {
        startReduceScatter(-1, bf16, offset, length, partition).await();
    }

    /** Starts a reduce-scatter for {@code bucket} (-1 for none). */
    public CollectiveHandle startReduceScatter(final int bucket, final float[] buffer, final int offset,
                                               final int length, final Partition partition) {
        return submit(CollectiveKind.REDUCE_SCATTER, bucket, new Fp32Buffer(buffer, offset, length),
            checked(partition, length), -1);
    }

    /**
     * A reduce-scatter over native-order floats in an Agrona buffer; {@code offset} and {@code length} count
     * floats. The buffer must stay untouched until the handle completes.
     */
    public CollectiveHandle startReduceScatter(final int bucket, final MutableDirectBuffer fp32, final int offset,
                                               final int length, final Partition partition) {
        return submit(CollectiveKind.REDUCE_SCATTER, bucket, new Fp32Buffer(fp32, offset, length),
            checked(partition, length), -1);
    }

    /** Starts a bf16 reduce-scatter for {@code bucket} (-1 for none). */
    public CollectiveHandle startReduceScatter(final int bucket, final short[] bf16, final int offset,
                                               final int length, final Partition partition) {
        return submit(CollectiveKind.REDUCE_SCATTER, bucket, new Bf16Buffer(bf16, offset, length),
            checked(partition, length), -1);
    }

    // ---------------------------------------------------------------- allgather

    /** Fills every rank's segment of {@code partition} (relative to {@code offset}) from its owner. */
    public void allGather(final float[] buffer, final int offset, final int length, final Partition partition) {
        startAllGather(-1, buffer, offset, length, partition).await();
    }

    /** bf16 allgather: the bits travel as they are. */
    public void allGather(final short[] bf16, final int offset, final int length, final Partition partition) {
        startAllGather(-1, bf16, offset, length, partition).await();
    }

    /** Starts an allgather for {@code bucket} (-1 for none). */
    public CollectiveHandle startAllGather(final int bucket, final float[] buffer, final int offset,
                                           final int length, final Partition partition) {
        return submit(CollectiveKind.ALL_GATHER, bucket, new Fp32Buffer(buffer, offset, length),
            checked(partition, length), -1);
    }

    /** An allgather over native-order floats in an Agrona buffer; {@code offset} and {@code length} count floats. */
    public CollectiveHandle startAllGather(final int bucket, final MutableDirectBuffer fp32, final int offset,
                                           final int length, final Partition partition) {
        return submit(CollectiveKind.ALL_GATHER, bucket, new Fp32Buffer(fp32, offset, length),
            checked(partition, length), -1);
    }

    /** Starts a bf16 allgather for {@code bucket} (-1 for none). */
    public CollectiveHandle startAllGather(final int bucket, final short[] bf16, final int offset, final int length,
                                           final Partition partition) {
        return submit(CollectiveKind.ALL_GATHER, bucket, new Bf16Buffer(bf16, offset, length),
            checked(partition, length), -1);
    }

    // ---------------------------------------------------------------- broadcast and barrier

    /** Copies {@code root}'s range to every rank. */
    public void broadcast(final float[] buffer, final int offset, final int length, final int root) {
        startBroadcast(-1, buffer, offset, length, root).await();
    }

    /** Copies {@code root}'s bf16 range to every rank. */
    public void broadcast(final short[] bf16, final int offset, final int length, final int root) {
        startBroadcast(-1, bf16, offset, length, root).await();
    }

    /** Starts a broadcast from {@code root} for {@code bucket} (-1 for none). */
    public CollectiveHandle startBroadcast(final int bucket, final float[] buffer, final int offset,
                                           final int length, final int root) {
        return submit(CollectiveKind.BROADCAST, bucket, new Fp32Buffer(buffer, offset, length), null,
            checkedRoot(root));
    }

    /** A broadcast over native-order floats in an Agrona buffer; {@code offset} and {@code length} count floats. */
    public CollectiveHandle startBroadcast(final int bucket, final MutableDirectBuffer fp32, final int offset,
                                           final int length, final int root) {
        return submit(CollectiveKind.BROADCAST, bucket, new Fp32Buffer(fp32, offset, length), null,
            checkedRoot(root));
    }

    /** Starts a bf16 broadcast from {@code root} for {@code bucket} (-1 for none). */
    public CollectiveHandle startBroadcast(final int bucket, final short[] bf16, final int offset, final int length,
                                           final int root) {
        return submit(CollectiveKind.BROADCAST, bucket, new Bf16Buffer(bf16, offset, length), null,
            checkedRoot(root));
    }

    /** Returns once every rank has entered the barrier. */
    public void barrier() {
        startBarrier().await();
    }

    /** Starts a barrier: one empty message per step around the ring, as an allgather of nothing. */
    public CollectiveHandle startBarrier() {
        return submit(CollectiveKind.BARRIER, -1, new Fp32Buffer(new float[0], 0, 0),
            Partition.even(0, worldSize()), -1);
    }

    // ---------------------------------------------------------------- life cycle

    /**
     * Stops this communicator now: the running and queued collectives fail with a
     * {@link CollectiveAbortedException} carrying {@code reason}, the next rank is told (so every peer fails
     * naming this rank), and every Aeron resource is released before this returns. Idempotent.
     */
    public void abort(final String reason) {
        if (agent == null) {
            trivialClosed = true;
            return;
        }
        agent.requestAbort(reason == null ? "aborted" : reason);
        awaitStopped();
    }

    /**
     * Closes this communicator: tells the next rank it leaves, lets the last messages out and releases every
     * Aeron resource (deleting an owned embedded driver's directory). Collectives still in flight fail as by an
     * abort. Idempotent.
     */
    @Override
    public void close() {
        if (agent == null) {
            trivialClosed = true;
            return;
        }
        agent.requestClose();
        awaitStopped();
    }

    /** Whether the communicator has stopped (closed, aborted or failed) and released its resources. */
    public boolean isClosed() {
        return agent == null ? trivialClosed : agent.state() == CollectiveAgent.State.TERMINATED;
    }

    /**
     * Why the communicator stopped, as the first collective it hit saw it (kind {@code COMMUNICATOR} when it
     * stopped between collectives); not thrown. Null while it runs.
     */
    public CollectiveException failure() {
        if (agent == null) {
            return trivialClosed ? new CollectiveAbortedException(CollectiveKind.COMMUNICATOR, -1, -1, rank(),
                "closed") : null;
        }
        return agent.terminalException();
    }

    /**
     * The collective under way, when it has received nothing from the previous rank for at least
     * {@code thresholdNs}: a slow or stuck peer named long before the deadline fires. Any thread may ask.
     */
    public Optional<CollectiveStall> stalledFor(final long thresholdNs) {
        return agent == null ? Optional.empty()
            : Optional.ofNullable(agent.currentStall(System.nanoTime(), thresholdNs));
    }

    /** Element bytes this rank has sent to the next rank (payload only). */
    public long bytesSent() {
        return agent == null ? 0 : agent.bytesSent();
    }

    /** Element bytes this rank has received from the previous rank (payload only). */
    public long bytesReceived() {
        return agent == null ? 0 : agent.bytesReceived();
    }

    /** Collectives completed successfully. */
    public long collectivesCompleted() {
        return agent == null ? 0 : agent.collectivesCompleted();
    }

    /** The directory of the media driver this communicator uses (null for a world of one). */
    public String aeronDirectoryName() {
        return agent == null ? null : agent.aeronDirectoryName();
    }

    @Override
    public String toString() {
        return "Communicator{rank=" + rank() + " of " + worldSize() + ", epoch=" + spec.epoch() + ", transport="
            + spec.ring().kind() + '}';
    }

    /**
     * Names the caller's training step (the optimizer step a ZeRO engine is in), so that a collective started from
     * now on that fails says which step it belonged to; -1 names none. The ring's own step is a different count.
     */
    public void trainingStep(final long step) {
        if (step < -1) {
            throw new IllegalArgumentException("training step " + step + " < -1");
        }
        this.trainingStep = step;
    }

    /** Called by waiters: throws if the communicator's thread died without completing them (a bug). */
    void checkAlive() {
        if (runner != null && runner.isClosed() && agent.state() != CollectiveAgent.State.TERMINATED) {
            throw new CollectiveException(CollectiveKind.COMMUNICATOR, -1, -1, rank(), new int[0],
                "the communicator's thread stopped unexpectedly");
        }
    }

    private CollectiveHandle submit(final CollectiveKind kind, final int bucket, final ElementBuffer elements,
                                    final Partition partition, final int root) {
        final long step = trainingStep;
        final CollectiveHandle handle = new CollectiveHandle(this, kind, bucket, step);
        if (agent == null) {
            if (trivialClosed) {
                handle.fail(new CollectiveAbortedException(kind, bucket, step, -1, rank(), "communicator is closed"));
            } else {
                handle.complete();
            }
            return handle;
        }
        agent.enqueue(new CollectiveOp(kind, bucket, step, elements, partition, root, handle));
        return handle;
    }

    private Partition checked(final Partition partition, final int length) {
        Objects.requireNonNull(partition, "partition");
        if (partition.worldSize() != worldSize() || partition.length() != length) {
            throw new IllegalArgumentException(partition + " covers " + partition.length() + " elements for "
                + partition.worldSize() + " ranks; this collective has length=" + length + " and worldSize="
                + worldSize());
        }
        return partition;
    }

    private int checkedRoot(final int root) {
        if (root < 0 || root >= worldSize()) {
            throw new IllegalArgumentException("root=" + root + " must lie in 0.." + (worldSize() - 1));
        }
        return root;
    }

    private void awaitStopped() {
        final long waitNs = settings.closeLingerNs() + settings.failureGraceNs() + STOP_MARGIN_NS;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    agent.awaitTerminated(waitNs);
                    break;
                } catch (final InterruptedException ex) {
                    interrupted = true;
                }
            }
        } finally {
            stopRunner();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void stopRunner() {
        if (runner.thread() != Thread.currentThread()) {
            runner.close();
        }
    }

    private static CommSettings concluded(final CommSettings settings) {
        Objects.requireNonNull(settings, "settings");
        return settings.isConcluded() ? settings : settings.conclude();
    }
}
