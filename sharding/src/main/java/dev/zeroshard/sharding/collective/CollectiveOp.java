package dev.zeroshard.sharding.collective;

/**
 * One collective on one rank: what to move ({@link ElementBuffer}, {@link Partition}, root), its plan (the send
 * and receive phases of this rank, each a contiguous range cut into chunks) and its progress. Built by the caller,
 * planned and run by the communicator's thread only.
 *
 * <p>Phase j of the sends may depend on receive phase {@code sendDependency[j]}: chunk c may leave only once chunk
 * c of that receive phase has been reduced or stored, because it carries the result. That dependency, chunk by
 * chunk, is the pipeline: chunk k + 1 arrives while chunk k is reduced and sent on. Receives never wait for sends
 * (results go to the caller's array or the partial scratch), so no ring of full buffers can deadlock.
 */
final class CollectiveOp {
    /** Where a sent chunk's elements come from. */
    enum Source {
        /** The caller's own elements, as fp32 (first step of a reduction). */
        OWN_FP32,
        /** Partial sums, as fp32 (later steps of a reduction). */
        PARTIAL_FP32,
        /** The caller's elements in their own type (gathers, broadcast). */
        NATIVE
    }

    /** What a received chunk does. */
    enum Action {
        /** Add own elements and keep the partial sum to pass on. */
        REDUCE_PARTIAL,
        /** Add own elements: the sum of this rank's segment is complete. */
        REDUCE_FINAL,
        /** Store the elements as they are. */
        COPY
    }

    final CollectiveKind kind;
    final int bucket;
    /** The caller's training step when it started this collective, or -1 (named in errors only). */
    final long trainingStep;
    final ElementBuffer elements;
    final Partition partition;
    final int root;
    final int signature;
    final CollectiveHandle handle;

    int opSeq;
    int chunkElements;
    boolean reduces;
    long wireBytes;

    int sendCount;
    int[] sendStep;
    int[] sendFrom;
    int[] sendLength;
    int[] sendDependency;
    int[] sendWireBytes;
    Source[] sendSource;

    int recvCount;
    int[] recvStep;
    int[] recvFrom;
    int[] recvLength;
    int[] recvWireBytes;
    Action[] recvAction;

    int sendPhase;
    int sendChunk;
    int recvPhase;
    int recvChunk;

    long beginNs;
    long deadlineNs;

    CollectiveOp(final CollectiveKind kind, final int bucket, final long trainingStep, final ElementBuffer elements,
                 final Partition partition, final int root, final CollectiveHandle handle) {
        this.kind = kind;
        this.bucket = bucket;
        this.trainingStep = trainingStep;
        this.elements = elements;
        this.partition = partition;
        this.root = root;
        this.handle = handle;
        this.signature = signature(kind, elements, partition, root);
    }

    /** Plans this rank's phases; {@code chunkElements} is the pipeline's chunk, in elements. */
    void plan(final int rank, final int worldSize, final int chunkElements) {
        this.chunkElements = chunkElements;
        switch (kind) {
            case ALL_REDUCE:
                planRing(rank, worldSize, 0, 2 * worldSize - 3);
                break;
            case REDUCE_SCATTER:
                planRing(rank, worldSize, 0, worldSize - 2);
                break;
            case ALL_GATHER:
            case BARRIER:
                planRing(rank, worldSize, worldSize - 1, 2 * worldSize - 3);
                break;
            case BROADCAST:
                planBroadcast(rank, worldSize);
                break;
            default:
                throw new IllegalStateException("cannot plan " + kind);
        }
        long bytes = 0;
        for (int j = 0; j < sendCount; j++) {
            bytes += (long) sendLength[j] * sendWireBytes[j];
        }
        for (int i = 0; i < recvCount; i++) {
            bytes = Math.max(bytes, (long) recvLength[i] * recvWireBytes[i]);
        }
        wireBytes = bytes;
    }

    /** Number of messages of a phase of {@code length} elements: at least one, so every step is seen. */
    int chunks(final int length) {
        return length == 0 ? 1 : (length + chunkElements - 1) / chunkElements;
    }

    /** Elements in chunk {@code chunk} of a phase of {@code length} elements. */
    int chunkLength(final int length, final int chunk) {
        return Math.min(chunkElements, length - chunk * chunkElements);
    }

    /** Whether chunk {@code chunk} of receive phase {@code phase} has been handled. */
    boolean hasReceived(final int phase, final int chunk) {
        return recvPhase > phase || (recvPhase == phase && recvChunk > chunk);
    }

    boolean needsReceives() {
        return recvPhase < recvCount;
    }

    boolean needsSends() {
        return sendPhase < sendCount;
    }

    boolean isComplete() {
        return sendPhase == sendCount && recvPhase == recvCount;
    }

    /** The global step this rank is waiting on: its next receive, else its next send, else -1. */
    int currentStep() {
        if (recvPhase < recvCount) {
            return recvStep[recvPhase];
        }
        if (sendPhase < sendCount) {
            return sendStep[sendPhase];
        }
        return -1;
    }

    /** Moves the send cursor past one chunk. */
    void advanceSend() {
        if (++sendChunk >= chunks(sendLength[sendPhase])) {
            sendChunk = 0;
            sendPhase++;
        }
    }

    /** Moves the receive cursor past one chunk. */
    void advanceReceive() {
        if (++recvChunk >= chunks(recvLength[recvPhase])) {
            recvChunk = 0;
            recvPhase++;
        }
    }

    /** Where this rank stands, for messages. */
    String progress() {
        final StringBuilder text = new StringBuilder();
        if (recvPhase < recvCount) {
            text.append("waiting to receive step ").append(recvStep[recvPhase]).append(" chunk ").append(recvChunk)
                .append(" of ").append(chunks(recvLength[recvPhase]));
        } else {
            text.append("all received");
        }
        if (sendPhase < sendCount) {
            text.append(", waiting to send step ").append(sendStep[sendPhase]).append(" chunk ").append(sendChunk)
                .append(" of ").append(chunks(sendLength[sendPhase]));
        } else {
            text.append(", all sent");
        }
        return text.toString();
    }

    /** {@code allreduce fp32 x1000}, for messages. */
    String describe() {
        return kind.label() + " " + elements.typeName() + " x" + elements.length
            + (kind == CollectiveKind.BROADCAST ? " from root " + root : "");
    }

    private void planRing(final int rank, final int worldSize, final int firstStep, final int lastStep) {
        final int count = lastStep - firstStep + 1;
        allocate(count, count);
        final int reduceSteps = worldSize - 1;
        for (int j = 0; j < count; j++) {
            final int step = firstStep + j;
            final boolean reducing = step < reduceSteps;
            reduces |= reducing;
            final int sendSegment = RingSchedule.sendSegment(rank, step, worldSize);
            sendStep[j] = step;
            sendFrom[j] = partition.offset(sendSegment);
            sendLength[j] = partition.length(sendSegment);
            sendDependency[j] = j == 0 ? -1 : j - 1;
            sendWireBytes[j] = reducing ? Float.BYTES : elements.nativeBytes();
            sendSource[j] = !reducing ? Source.NATIVE : step == 0 ? Source.OWN_FP32 : Source.PARTIAL_FP32;

            final int receiveSegment = RingSchedule.receiveSegment(rank, step, worldSize);
            recvStep[j] = step;
            recvFrom[j] = partition.offset(receiveSegment);
            recvLength[j] = partition.length(receiveSegment);
            recvWireBytes[j] = sendWireBytes[j];
            recvAction[j] = !reducing ? Action.COPY : step < reduceSteps - 1 ? Action.REDUCE_PARTIAL
                : Action.REDUCE_FINAL;
        }
    }

    /** A pipelined chain from the root around the ring; the rank before the root only receives. */
    private void planBroadcast(final int rank, final int worldSize) {
        final int position = Math.floorMod(rank - root, worldSize);
        final boolean sends = position <= worldSize - 2;
        final boolean receives = position >= 1;
        allocate(sends ? 1 : 0, receives ? 1 : 0);
        if (sends) {
            sendStep[0] = position;
            sendFrom[0] = 0;
            sendLength[0] = elements.length;
            sendDependency[0] = receives ? 0 : -1;
            sendWireBytes[0] = elements.nativeBytes();
            sendSource[0] = Source.NATIVE;
        }
        if (receives) {
            recvStep[0] = position - 1;
            recvFrom[0] = 0;
            recvLength[0] = elements.length;
            recvWireBytes[0] = elements.nativeBytes();
            recvAction[0] = Action.COPY;
        }
    }

    private void allocate(final int sends, final int receives) {
        sendCount = sends;
        sendStep = new int[sends];
        sendFrom = new int[sends];
        sendLength = new int[sends];
        sendDependency = new int[sends];
        sendWireBytes = new int[sends];
        sendSource = new Source[sends];
        recvCount = receives;
        recvStep = new int[receives];
        recvFrom = new int[receives];
        recvLength = new int[receives];
        recvWireBytes = new int[receives];
        recvAction = new Action[receives];
    }

    private static int signature(final CollectiveKind kind, final ElementBuffer elements, final Partition partition,
                                 final int root) {
        int hash = kind.ordinal();
        hash = 31 * hash + elements.nativeBytes();
        hash = 31 * hash + elements.length;
        hash = 31 * hash + root;
        hash = 31 * hash + (partition == null ? 0 : partition.hashCode());
        return hash;
    }
}
