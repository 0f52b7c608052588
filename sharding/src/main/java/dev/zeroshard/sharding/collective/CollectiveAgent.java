package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.aeron.AeronDriver;
import dev.zeroshard.sharding.aeron.RingFrameAdapter;
import dev.zeroshard.sharding.aeron.RingFrameFlyweight;
import dev.zeroshard.sharding.aeron.RingFrameFlyweight.ControlKind;
import dev.zeroshard.sharding.aeron.RingPublisher;
import dev.zeroshard.sharding.aeron.RingSpec;
import dev.zeroshard.sharding.aeron.TransportKind;
import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.exceptions.AeronException;
import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.NanoClock;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The duty cycle of one rank's communicator: it runs the owned media driver (when in invoker mode) and the Aeron
 * client, connects the ring, runs the queued collectives one after another, detects peers that do not deliver and
 * releases every Aeron resource when it stops. Only this agent's thread touches Aeron and the collectives'
 * buffers; other threads talk to it through {@link #enqueue}, {@link #requestAbort} and {@link #requestClose}.
 *
 * <p>States, one handler each: {@code CONNECTING} (waits for both neighbours), {@code ACTIVE} (runs
 * collectives), {@code FAILING} (tells the ring, collects reports, names the culprit), {@code CLOSING} (tells the
 * next rank it leaves, lets the last messages out) and {@code TERMINATED}.
 *
 * <p>Failure detection: a definitive cause (the stream from the previous rank went away while data was still due,
 * the next rank's subscription went away while data was still to send, a peer's report, an abort) fails at once
 * and tells the next rank, which passes it on. Without one, the collective's deadline fires {@code failureGrace}
 * early: the rank reports the timeout downstream and listens for the grace to the others' reports; the culprit is
 * the first rank upstream that did not report (a dead or hung rank neither reports nor passes reports on).
 */
final class CollectiveAgent implements Agent, RingFrameAdapter.Listener {
    /** The communicator's life. */
    enum State {
        CONNECTING, ACTIVE, FAILING, CLOSING, TERMINATED
    }

    /** Why a communicator stopped. */
    enum Cause {
        /** A peer did not deliver before the deadline. */
        TIMEOUT,
        /** A peer failed, left, or sent what it should not have. */
        PEER_FAILED,
        /** This rank was aborted or closed. */
        ABORTED,
        /** A bug or an Aeron error on this rank. */
        INTERNAL
    }

    /** Why a communicator stopped, as the waiters and later callers see it. */
    static final class Failure {
        final Cause cause;
        final int[] culprits;
        final String detail;

        Failure(final Cause cause, final int[] culprits, final String detail) {
            this.cause = cause;
            this.culprits = culprits.clone();
            this.detail = detail;
        }

        CollectiveException toException(final CollectiveKind kind, final int bucket, final int step, final int rank) {
            return toException(kind, bucket, -1, step, rank);
        }

        CollectiveException toException(final CollectiveOp op, final int step, final int rank) {
            return toException(op.kind, op.bucket, op.trainingStep, step, rank);
        }

        private CollectiveException toException(final CollectiveKind kind, final int bucket, final long trainingStep,
                                                final int step, final int rank) {
            switch (cause) {
                case ABORTED:
                    return new CollectiveAbortedException(kind, bucket, trainingStep, step, rank, detail);
                case TIMEOUT:
                case PEER_FAILED:
                    return new CollectiveTimeoutException(kind, bucket, trainingStep, step, rank, culprits, detail);
                default:
                    return new CollectiveException(kind, bucket, trainingStep, step, rank, culprits, detail);
            }
        }
    }

    /** A control message waiting to go out. */
    private static final class ControlMessage {
        final ControlKind kind;
        final int opSeq;
        final int step;
        final int originRank;
        final int suspectRank;
        final int bucket;
        final String reason;

        ControlMessage(final ControlKind kind, final int opSeq, final int step, final int originRank,
                       final int suspectRank, final int bucket, final String reason) {
            this.kind = kind;
            this.opSeq = opSeq;
            this.step = step;
            this.originRank = originRank;
            this.suspectRank = suspectRank;
            this.bucket = bucket;
            this.reason = reason;
        }

        static ControlMessage copyOf(final RingFrameFlyweight frame) {
            return new ControlMessage(frame.controlKind(), frame.opSeq(), frame.step(), frame.originRank(),
                frame.suspectRank(), frame.bucket(), frame.reason());
        }
    }

    private static final System.Logger LOG = System.getLogger(CollectiveAgent.class.getName());
    private static final int FRAGMENT_LIMIT = 8;
    private static final int SEND_BURST = 8;

    private final int rank;
    private final int worldSize;
    private final int previousRank;
    private final int nextRank;
    private final int epoch;
    private final CommSettings settings;
    private final NanoClock clock;
    private final long graceNs;
    private final AeronDriver driver;
    private final boolean ownsDriver;
    private final Aeron aeron;
    private final AgentInvoker driverInvoker;
    private final AgentInvoker clientInvoker;
    private final RingPublisher publisher;
    private final RingFrameAdapter adapter;
    private final RingPublisher controlPublisher;
    private final RingFrameAdapter controlAdapter;
    private final int chunkElements;
    private final boolean ipcOnOwnDriver;
    private final float[] chunkScratch;
    private final float[] secondChunkScratch;
    private float[] partialScratch = new float[0];
    private final boolean[] reported;

    private final Queue<CollectiveOp> pending = new ConcurrentLinkedQueue<>();
    private final ArrayDeque<ControlMessage> controlBacklog = new ArrayDeque<>();
    private final CountDownLatch connectedLatch = new CountDownLatch(1);
    private final CountDownLatch terminatedLatch = new CountDownLatch(1);
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong collectivesCompleted = new AtomicLong();

    private volatile State state = State.CONNECTING;
    private volatile String abortReason;
    private volatile boolean closeRequested;
    private volatile Throwable aeronError;
    private volatile Failure terminal;
    private volatile CollectiveException terminalException;

    private long cycleNs;
    private CollectiveOp current;
    /** The collective under way, for {@link #currentStall}; read by other threads. */
    private volatile CollectiveOp watched;
    /** When the collective under way last received data (or began). */
    private volatile long progressNs;
    private int nextOpSeq = 1;
    private boolean previousLeft;
    private boolean released;
    private final long connectDeadlineNs;

    private Cause failureCause;
    private int[] failureCulprits = new int[0];
    private String failureDetail;
    private boolean failureDecided;
    private boolean failureSuspected;
    private long decideAtNs;
    private long releaseAtNs;
    private CollectiveOp failedOp;

    private long closeDeadlineNs;
    private boolean leaveSent;

    /**
     * Connects an Aeron client to {@code driver} and adds the ring's subscription and publication. Opening is
     * finished by the agent's thread ({@link #awaitConnected}).
     */
    CollectiveAgent(final CommSpec spec, final CommSettings settings, final AeronDriver driver,
                    final boolean ownsDriver) {
        this.rank = spec.rank();
        this.worldSize = spec.worldSize();
        final RingSpec ring = spec.ring();
        this.previousRank = ring.previous(rank);
        this.nextRank = ring.next(rank);
        this.epoch = spec.epoch();
        this.settings = settings;
        this.clock = settings.clock();
        this.graceNs = settings.failureGraceNs();
        this.driver = driver;
        this.ownsDriver = ownsDriver;
        // an INVOKER-mode driver, owned or shared, is run by the communicators' threads (one at a time)
        this.driverInvoker = driver.agentInvoker();
        this.reported = new boolean[worldSize];
        this.aeron = driver.connectClient("zeroshard-rank-" + rank + "-epoch-" + epoch, this::onAeronError);
        final RingFrameAdapter[] adapters = new RingFrameAdapter[2];
        final RingPublisher[] publishers = new RingPublisher[2];
        try {
            adapters[0] = new RingFrameAdapter(aeron.addSubscription(
                ring.subscriptionChannel(rank, driver.config()), ring.subscriptionStreamId(rank)), epoch, this);
            adapters[1] = new RingFrameAdapter(aeron.addSubscription(
                ring.subscriptionChannel(rank, driver.config()), ring.controlSubscriptionStreamId(rank)), epoch, this);
            publishers[0] = new RingPublisher(aeron.addExclusivePublication(
                ring.publicationChannel(rank, driver.config()), ring.publicationStreamId(rank)));
            publishers[1] = new RingPublisher(aeron.addExclusivePublication(
                ring.controlPublicationChannel(rank, driver.config()), ring.controlPublicationStreamId(rank)));
        } catch (final RuntimeException ex) {
            CloseHelper.quietCloseAll(publishers[0], publishers[1], adapters[0], adapters[1], aeron);
            throw ex;
        }
        this.adapter = adapters[0];
        this.controlAdapter = adapters[1];
        this.publisher = publishers[0];
        this.controlPublisher = publishers[1];
        this.clientInvoker = aeron.conductorAgentInvoker();
        this.ipcOnOwnDriver = ring.kind() == TransportKind.IPC && ownsDriver && driver.isEmbedded();
        this.chunkElements = Math.min(settings.chunkLength(), publisher.maxPayloadBytes()) / Float.BYTES;
        this.chunkScratch = new float[chunkElements];
        this.secondChunkScratch = new float[chunkElements];
        this.connectDeadlineNs = clock.nanoTime() + settings.connectTimeoutNs();
    }

    @Override
    public String roleName() {
        return "zeroshard-comm-" + rank;
    }

    @Override
    public int doWork() {
        if (state == State.TERMINATED) {
            throw new AgentTerminationException();
        }
        final long nowNs = clock.nanoTime();
        cycleNs = nowNs;
        int work = 0;
        try {
            if (driverInvoker != null) {
                work += driverInvoker.invoke();
            }
            work += clientInvoker.invoke();
            switch (state) {
                case CONNECTING:
                    work += onConnecting(nowNs);
                    break;
                case ACTIVE:
                    work += onActive(nowNs);
                    break;
                case FAILING:
                    work += onFailing(nowNs);
                    break;
                case CLOSING:
                    work += onClosing(nowNs);
                    break;
                default:
                    break;
            }
        } catch (final AgentTerminationException ex) {
            throw ex;
        } catch (final Throwable ex) {
            LOG.log(System.Logger.Level.ERROR, "rank " + rank + ": internal error in the collective agent", ex);
            if (state == State.FAILING || state == State.CLOSING || state == State.CONNECTING) {
                failureCause = Cause.INTERNAL;
                failureCulprits = new int[0];
                failureDetail = "internal error on rank " + rank + ": " + ex;
                terminate();
            } else {
                failDefinitively(nowNs, Cause.INTERNAL, new int[0], "internal error on rank " + rank + ": " + ex,
                    control(ControlKind.PEER_FAILED, rank, "internal error: " + ex));
            }
        }
        return work;
    }

    @Override
    public void onClose() {
        if (state != State.TERMINATED) {
            if (failureCause == null) {
                failureCause = Cause.ABORTED;
                failureDetail = "communicator of rank " + rank + " was stopped";
            }
            terminate();
        }
    }

    // ---------------------------------------------------------------- requests from other threads

    void enqueue(final CollectiveOp op) {
        final Failure failure = terminal;
        if (failure != null) {
            op.handle.fail(failure.toException(op, -1, rank));
            return;
        }
        pending.add(op);
        if (terminal != null) {
            drainPending(terminal);
        }
    }

    void requestAbort(final String reason) {
        if (abortReason == null) {
            abortReason = reason;
        }
    }

    void requestClose() {
        closeRequested = true;
    }

    boolean awaitConnected(final long timeoutNs) throws InterruptedException {
        return connectedLatch.await(timeoutNs, TimeUnit.NANOSECONDS);
    }

    boolean awaitTerminated(final long timeoutNs) throws InterruptedException {
        return terminatedLatch.await(timeoutNs, TimeUnit.NANOSECONDS);
    }

    State state() {
        return state;
    }

    Failure terminalFailure() {
        return terminal;
    }

    /** The failure as the first collective it hit saw it (or as the communicator's, between collectives). */
    CollectiveException terminalException() {
        return terminalException;
    }

    long bytesSent() {
        return bytesSent.get();
    }

    long bytesReceived() {
        return bytesReceived.get();
    }

    long collectivesCompleted() {
        return collectivesCompleted.get();
    }

    int chunkElements() {
        return chunkElements;
    }

    String aeronDirectoryName() {
        return driver.directoryName();
    }

    // ---------------------------------------------------------------- state handlers

    private int onConnecting(final long nowNs) {
        final String abort = abortReason;
        if (abort != null || closeRequested) {
            failDefinitively(nowNs, Cause.ABORTED, new int[0], abort != null ? abort
                : "rank " + rank + " closed its communicator while connecting", null);
            return 1;
        }
        if (publisher.isConnected() && adapter.isConnected() && controlPublisher.isConnected()
            && controlAdapter.isConnected()) {
            state = State.ACTIVE;
            connectedLatch.countDown();
            return 1;
        }
        if (nowNs - connectDeadlineNs >= 0) {
            final boolean nextMissing = !publisher.isConnected() || !controlPublisher.isConnected();
            final boolean previousMissing = !adapter.isConnected() || !controlAdapter.isConnected();
            final int[] culprits = nextMissing && previousMissing && previousRank != nextRank
                ? sorted(previousRank, nextRank) : new int[] {nextMissing ? nextRank : previousRank};
            failDefinitively(nowNs, Cause.TIMEOUT, culprits, "ring not connected within "
                + TimeUnit.NANOSECONDS.toMillis(settings.connectTimeoutNs()) + " ms:"
                + (nextMissing ? " no subscriber from rank " + nextRank + " on " + publisher.describe() + ";" : "")
                + (previousMissing ? " no stream from rank " + previousRank + " on " + adapter.describe() : "")
                + (ipcOnOwnDriver ? "; IPC peers must share one media driver, and this rank launched its own" : ""),
                null);
            return 1;
        }
        return 0;
    }

    private int onActive(final long nowNs) {
        final String abort = abortReason;
        if (abort != null) {
            failDefinitively(nowNs, Cause.ABORTED, new int[0], abort, control(ControlKind.ABORTED, rank, abort));
            return 1;
        }
        final Throwable error = aeronError;
        if (error != null) {
            failDefinitively(nowNs, Cause.INTERNAL, new int[0], "Aeron error on rank " + rank + ": " + error,
                control(ControlKind.PEER_FAILED, rank, "Aeron error: " + error));
            return 1;
        }
        if (closeRequested) {
            if (current == null && pending.isEmpty()) {
                state = State.CLOSING;
                closeDeadlineNs = nowNs + settings.closeLingerNs();
            } else {
                final String reason = "rank " + rank + " closed its communicator with "
                    + (pending.size() + (current == null ? 0 : 1)) + " collective(s) in flight";
                failDefinitively(nowNs, Cause.ABORTED, new int[0], reason, control(ControlKind.ABORTED, rank, reason));
            }
            return 1;
        }
        int work = 0;
        if (current == null) {
            final CollectiveOp op = pending.poll();
            if (op != null) {
                begin(op, nowNs);
                work++;
            }
        }
        work += sendControlBacklog();
        work += controlAdapter.poll(FRAGMENT_LIMIT);
        if (state == State.ACTIVE) {
            work += adapter.poll(FRAGMENT_LIMIT);
        }
        if (state != State.ACTIVE) {
            return work;
        }
        final CollectiveOp op = current;
        if (op != null) {
            work += sendData(op, nowNs);
            if (state != State.ACTIVE) {
                return work;
            }
            if (op.isComplete()) {
                finish(op);
                work++;
            } else {
                checkNeighbours(op, nowNs);
                if (state == State.ACTIVE && nowNs - (op.beginNs + op.deadlineNs - graceNs) >= 0) {
                    beginTimeout(op, nowNs, false);
                }
            }
        }
        return work;
    }

    private int onFailing(final long nowNs) {
        int work = sendControlBacklog();
        work += controlAdapter.poll(FRAGMENT_LIMIT);
        work += adapter.poll(FRAGMENT_LIMIT);
        if (!failureDecided) {
            final String abort = abortReason;
            if (abort != null) {
                failureCause = Cause.ABORTED;
                failureCulprits = new int[0];
                failureDetail = abort;
                failureDecided = true;
                releaseAtNs = nowNs + graceNs / 4;
            } else if (nowNs - decideAtNs >= 0) {
                if (failureSuspected) {
                    controlBacklog.add(control(ControlKind.PEER_FAILED, failureCulprits[0], failureDetail));
                } else {
                    decideCulprit();
                }
                failureDecided = true;
                releaseAtNs = nowNs + graceNs / 4;
            }
        }
        if (failureDecided && (nowNs - releaseAtNs >= 0
            || (controlBacklog.isEmpty() && controlPublisher.isFlushed(aeron.countersReader())
            && publisher.isFlushed(aeron.countersReader())))) {
            terminate();
            return work + 1;
        }
        return work;
    }

    private int onClosing(final long nowNs) {
        if (!leaveSent) {
            final long result = publisher.offerControl(epoch, nextOpSeq - 1, -1, rank, -1, ControlKind.LEFT, -1,
                "rank " + rank + " closed its communicator");
            leaveSent = result > 0 || result == Publication.NOT_CONNECTED || result == Publication.CLOSED;
        }
        if ((leaveSent && publisher.isFlushed(aeron.countersReader())) || nowNs - closeDeadlineNs >= 0) {
            failureCause = Cause.ABORTED;
            failureDetail = "communicator of rank " + rank + " is closed";
            terminate();
            return 1;
        }
        return 0;
    }

    /** The collective under way when it has received nothing for at least {@code thresholdNs}, else null. */
    CollectiveStall currentStall(final long nowNs, final long thresholdNs) {
        final CollectiveOp op = watched;
        final long waited = nowNs - progressNs;
        if (op == null || waited < thresholdNs) {
            return null;
        }
        return new CollectiveStall(op.kind, op.bucket, rank, previousRank, waited);
    }

    // ---------------------------------------------------------------- collectives

    private void begin(final CollectiveOp op, final long nowNs) {
        op.opSeq = nextOpSeq++;
        op.plan(rank, worldSize, chunkElements);
        final int partialLength = op.reduces ? op.elements.partialScratchLength() : 0;
        if (partialLength > partialScratch.length) {
            partialScratch = new float[partialLength];
        }
        op.elements.bind(chunkScratch, secondChunkScratch, partialScratch);
        op.beginNs = nowNs;
        op.deadlineNs = settings.deadlineForBytesNs(op.wireBytes);
        Arrays.fill(reported, false);
        current = op;
        progressNs = nowNs;
        watched = op;
    }

    private void finish(final CollectiveOp op) {
        op.elements.unbind();
        current = null;
        watched = null;
        collectivesCompleted.lazySet(collectivesCompleted.get() + 1);
        op.handle.complete();
    }

    private int sendData(final CollectiveOp op, final long nowNs) {
        int sent = 0;
        while (sent < SEND_BURST && op.sendPhase < op.sendCount) {
            final int phase = op.sendPhase;
            final int chunk = op.sendChunk;
            final int dependency = op.sendDependency[phase];
            if (dependency >= 0 && !op.hasReceived(dependency, chunk)) {
                break;
            }
            final int count = op.chunkLength(op.sendLength[phase], chunk);
            final int payloadBytes = count * op.sendWireBytes[phase];
            final long result = publisher.claimData(epoch, op.opSeq, op.sendStep[phase], chunk, op.signature, count,
                payloadBytes);
            if (result > 0) {
                final int from = op.sendFrom[phase] + chunk * op.chunkElements;
                try {
                    switch (op.sendSource[phase]) {
                        case OWN_FP32:
                            op.elements.writeOwnFp32(publisher.buffer(), publisher.payloadOffset(), from, count);
                            break;
                        case PARTIAL_FP32:
                            op.elements.writePartialFp32(publisher.buffer(), publisher.payloadOffset(), from, count);
                            break;
                        default:
                            op.elements.writeNative(publisher.buffer(), publisher.payloadOffset(), from, count);
                            break;
                    }
                } catch (final RuntimeException | Error ex) {
                    publisher.abortClaim();
                    throw ex;
                }
                publisher.commit();
                bytesSent.lazySet(bytesSent.get() + payloadBytes);
                op.advanceSend();
                sent++;
            } else if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION) {
                break;
            } else {
                suspect(nowNs, nextRank, "rank " + rank + " cannot send step " + op.sendStep[phase] + " to rank "
                    + nextRank + ": " + RingPublisher.resultName(result));
                break;
            }
        }
        return sent;
    }

    @Override
    public Action onData(final RingFrameFlyweight frame, final DirectBuffer buffer, final int payloadOffset,
                         final int payloadLength) {
        if (state != State.ACTIVE) {
            return Action.CONTINUE;
        }
        final CollectiveOp op = current;
        final int opSeq = frame.opSeq();
        if (op == null || opSeq > op.opSeq) {
            return Action.ABORT;
        }
        if (opSeq < op.opSeq) {
            return Action.CONTINUE;
        }
        if (!op.needsReceives()) {
            protocolError(op, "rank " + previousRank + " sent more than " + op.describe() + " needs");
            return Action.BREAK;
        }
        if (frame.signature() != op.signature) {
            protocolError(op, "rank " + previousRank + " runs a different collective as number " + opSeq
                + " than this rank's " + op.describe() + " (collectives must be started in the same order with the"
                + " same kind, type, length and partition on every rank)");
            return Action.BREAK;
        }
        final int phase = op.recvPhase;
        final int chunk = op.recvChunk;
        final int count = op.chunkLength(op.recvLength[phase], chunk);
        final int wireBytes = op.recvWireBytes[phase];
        if (frame.step() != op.recvStep[phase] || frame.chunk() != chunk || frame.elementCount() != count
            || payloadLength != count * wireBytes) {
            protocolError(op, "expected step " + op.recvStep[phase] + " chunk " + chunk + " of " + count
                + " elements from rank " + previousRank + ", got step " + frame.step() + " chunk " + frame.chunk()
                + " of " + frame.elementCount() + " elements in " + payloadLength + " bytes");
            return Action.BREAK;
        }
        final int from = op.recvFrom[phase] + chunk * op.chunkElements;
        switch (op.recvAction[phase]) {
            case REDUCE_PARTIAL:
                op.elements.reducePartial(buffer, payloadOffset, from, count);
                break;
            case REDUCE_FINAL:
                op.elements.reduceFinal(buffer, payloadOffset, from, count);
                break;
            default:
                op.elements.readNative(buffer, payloadOffset, from, count);
                break;
        }
        op.advanceReceive();
        progressNs = cycleNs;
        bytesReceived.lazySet(bytesReceived.get() + payloadLength);
        return Action.CONTINUE;
    }

    @Override
    public Action onControl(final RingFrameFlyweight frame) {
        final int origin = frame.originRank();
        if (origin == rank || origin < 0 || origin >= worldSize
            || state == State.CLOSING || state == State.TERMINATED) {
            return Action.CONTINUE;
        }
        final ControlKind kind = frame.controlKind();
        if (kind == ControlKind.LEFT) {
            if (origin == previousRank) {
                previousLeft = true;
            }
            return Action.CONTINUE;
        }
        // pass it on first: the ranks downstream learn it as early as this one
        controlBacklog.add(ControlMessage.copyOf(frame));
        final long nowNs = cycleNs;
        if (kind == ControlKind.TIMEOUT_REPORT) {
            if (state == State.FAILING && failedOp != null && frame.opSeq() == failedOp.opSeq) {
                reported[origin] = true;
            } else if (state == State.ACTIVE && current != null && frame.opSeq() == current.opSeq) {
                reported[origin] = true;
                beginTimeout(current, nowNs, true);
            }
            return Action.BREAK;
        }
        final int suspect = kind == ControlKind.ABORTED ? origin : frame.suspectRank();
        final String detail = "rank " + origin + " reports: " + frame.reason();
        failDefinitively(nowNs, Cause.PEER_FAILED, suspect >= 0 ? new int[] {suspect} : new int[0], detail, null);
        return Action.BREAK;
    }

    private void checkNeighbours(final CollectiveOp op, final long nowNs) {
        if (op.needsReceives() && (previousLeft || !adapter.isConnected())) {
            final String what = previousLeft ? "rank " + previousRank + " closed its communicator"
                : "the stream from rank " + previousRank + " went away";
            failDefinitively(nowNs, Cause.PEER_FAILED, new int[] {previousRank}, what + " before step "
                + op.currentStep() + " of " + op.describe() + " was delivered",
                control(ControlKind.PEER_FAILED, previousRank, what));
        } else if (op.needsSends() && !publisher.isConnected()) {
            suspect(nowNs, nextRank, "the subscription of rank " + nextRank + " went away before step "
                + op.sendStep[op.sendPhase] + " of " + op.describe() + " was sent");
        }
    }

    private void protocolError(final CollectiveOp op, final String detail) {
        failDefinitively(cycleNs, Cause.PEER_FAILED, new int[] {previousRank}, detail,
            control(ControlKind.PEER_FAILED, previousRank, detail));
    }

    // ---------------------------------------------------------------- failure

    private void beginTimeout(final CollectiveOp op, final long nowNs, final boolean reportedUpstream) {
        final int suspect = op.needsReceives() ? previousRank : -1;
        final String progress = op.progress();
        controlBacklog.add(new ControlMessage(ControlKind.TIMEOUT_REPORT, op.opSeq, op.currentStep(), rank, suspect,
            op.bucket, "rank " + rank + " gave up on " + op.describe() + ": " + progress));
        state = State.FAILING;
        failureCause = Cause.TIMEOUT;
        failedOp = op;
        current = null;
        failureDecided = false;
        failureSuspected = false;
        final long deadlineAtNs = op.beginNs + op.deadlineNs;
        decideAtNs = Math.min(nowNs + graceNs * 3 / 4, deadlineAtNs - graceNs / 4);
        failureDetail = (reportedUpstream ? "a rank upstream gave up first" : "deadline of "
            + TimeUnit.NANOSECONDS.toMillis(op.deadlineNs) + " ms passed") + "; " + progress;
    }

    private void decideCulprit() {
        int candidate = previousRank;
        while (candidate != rank && reported[candidate]) {
            candidate = (candidate + worldSize - 1) % worldSize;
        }
        if (candidate == rank) {
            failureCulprits = new int[0];
            failureDetail += "; every other rank reported a timeout too, so no single rank can be named";
        } else {
            failureCulprits = new int[] {candidate};
            failureDetail += "; no report from rank " + candidate;
        }
    }

    private void failDefinitively(final long nowNs, final Cause cause, final int[] culprits, final String detail,
                                  final ControlMessage toSend) {
        if (toSend != null) {
            controlBacklog.add(toSend);
        }
        if (state == State.FAILING) {
            if (!failureDecided || failureCause == Cause.TIMEOUT) {
                failureCause = cause;
                failureCulprits = culprits.clone();
                failureDetail = detail;
                failureDecided = true;
                failureSuspected = false;
                releaseAtNs = nowNs + graceNs / 2;
            }
            return;
        }
        state = State.FAILING;
        failureCause = cause;
        failureCulprits = culprits.clone();
        failureDetail = detail;
        failureDecided = true;
        failedOp = current;
        current = null;
        releaseAtNs = nowNs + graceNs / 2;
    }

    /**
     * The next rank went away. That rank may have died, or may have given up because of a failure further round
     * the ring, whose report is then on its way here from upstream: wait half a grace for it before naming the
     * next rank.
     */
    private void suspect(final long nowNs, final int suspectRank, final String detail) {
        if (state == State.FAILING) {
            return;
        }
        state = State.FAILING;
        failureCause = Cause.PEER_FAILED;
        failureCulprits = new int[] {suspectRank};
        failureDetail = detail;
        failureDecided = false;
        failureSuspected = true;
        decideAtNs = nowNs + graceNs / 2;
        failedOp = current;
        current = null;
    }

    private ControlMessage control(final ControlKind kind, final int suspect, final String reason) {
        final CollectiveOp op = current != null ? current : failedOp;
        return new ControlMessage(kind, op == null ? nextOpSeq - 1 : op.opSeq, op == null ? -1 : op.currentStep(),
            rank, suspect, op == null ? -1 : op.bucket, reason);
    }

    private int sendControlBacklog() {
        int sent = 0;
        while (!controlBacklog.isEmpty()) {
            final ControlMessage message = controlBacklog.peekFirst();
            final long result = controlPublisher.offerControl(epoch, message.opSeq, message.step, message.originRank,
                message.suspectRank, message.kind, message.bucket, message.reason);
            if (result > 0) {
                controlBacklog.pollFirst();
                sent++;
            } else if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION) {
                break;
            } else {
                controlBacklog.clear();
                break;
            }
        }
        return sent;
    }

    /** Releases every Aeron resource, then fails whatever is still waiting, then stops. */
    private void terminate() {
        release();
        final Failure failure = new Failure(failureCause == null ? Cause.ABORTED : failureCause, failureCulprits,
            failureDetail == null ? "communicator of rank " + rank + " stopped" : failureDetail);
        final CollectiveOp op = failedOp != null ? failedOp : current;
        failedOp = null;
        current = null;
        terminalException = op != null ? failure.toException(op, op.currentStep(), rank)
            : failure.toException(state == State.CONNECTING || connectedLatch.getCount() > 0 ? CollectiveKind.CONNECT
            : CollectiveKind.COMMUNICATOR, -1, -1, rank);
        terminal = failure;
        if (op != null) {
            op.elements.unbind();
            op.handle.fail(terminalException);
        }
        drainPending(failure);
        state = State.TERMINATED;
        connectedLatch.countDown();
        terminatedLatch.countDown();
    }

    private void drainPending(final Failure failure) {
        CollectiveOp op;
        while ((op = pending.poll()) != null) {
            op.handle.fail(new Failure(failure.cause, failure.culprits, "not started: " + failure.detail)
                .toException(op, -1, rank));
        }
    }

    private void release() {
        if (released) {
            return;
        }
        released = true;
        CloseHelper.quietCloseAll(publisher, controlPublisher, adapter, controlAdapter, aeron);
        if (ownsDriver) {
            CloseHelper.quietClose(driver);
        }
    }

    private void onAeronError(final Throwable error) {
        if (error instanceof AeronException && ((AeronException) error).category() == AeronException.Category.WARN) {
            LOG.log(System.Logger.Level.WARNING, "rank " + rank + ": Aeron warning", error);
            return;
        }
        if (!released) {
            aeronError = error;
        }
    }

    private static int[] sorted(final int a, final int b) {
        return a < b ? new int[] {a, b} : new int[] {b, a};
    }
}
