package dev.zeroshard.worker.data;

import java.util.Objects;

/**
 * Cuts a token sequence into batches of next-token-prediction samples, in a shuffled order that is
 * the same whatever the number of data-parallel ranks.
 *
 * <p><b>Samples.</b> Sample {@code k} is the {@code T + 1} tokens starting at {@code k * T}: its
 * inputs are the first {@code T}, its targets the last {@code T}. Consecutive samples share one
 * token, so the input windows do not overlap and every token (but the last few) is predicted exactly
 * once per epoch, as in llm.c. There are {@code S = (N - 1) / T} samples in {@code N} tokens.
 *
 * <p><b>Global order.</b> Epoch {@code e} visits the samples in a permutation that depends only on
 * the seed, {@code e} and {@code S}: a Fisher-Yates shuffle driven by SplitMix64 seeded from
 * {@code (seed, e)}, both written out here so the order does not depend on the JDK. (With
 * {@link Order#SEQUENTIAL} the permutation is the identity, for evaluation.)
 *
 * <p><b>Sharding.</b> With global batch {@code G = B * worldSize}, step {@code s} of an epoch takes
 * positions {@code [s*G, (s+1)*G)} of the permutation and rank {@code r} the {@code B} of them that
 * start at {@code s*G + r*B}. So N ranks with batch B read, in rank order, exactly the sequences one
 * process with batch N*B reads, step for step: the global batch of every step is the same whatever
 * the world size, which is what makes ZeRO's results independent of it. An epoch has
 * {@code S / G} steps; the {@code S mod G} samples left over in an epoch's order are skipped (a
 * different few each epoch). With gradient accumulation each micro-step calls {@link #next} once,
 * so a step of A micro-steps covers {@code A * G} consecutive positions; splitting the same
 * {@code A * G} differently between A, B and worldSize gives the same steps within an epoch, but
 * the epoch boundary falls after a whole number of {@code G}, so keep {@code G} itself fixed when
 * exact equality across epochs matters.
 *
 * <p><b>Resuming.</b> {@link #position()} is the (epoch, sequences consumed) of the next batch;
 * {@link #seek} restores it. A position is valid for any loader over the same tokens, {@code T},
 * seed and order, so a job may resume with another world size if {@code B * worldSize} stays the
 * same (and, if the index is a multiple of the new G, even when it does not).
 *
 * <p>One thread only (the training loop's); no allocation after construction except one
 * permutation per epoch.
 */
public final class DataLoader {
    /** The order in which an epoch visits its samples. */
    public enum Order {
        /** A seeded permutation per epoch (training). */
        SHUFFLED,
        /** Samples in file order, every epoch the same (evaluation). */
        SEQUENTIAL
    }

    /**
     * Where a loader stands: the next batch is the one at {@code index} (counted in sequences of the
     * global order) of {@code epoch}.
     */
    public record Position(int epoch, int index) {
        public Position {
            if (epoch < 0 || index < 0) {
                throw new IllegalArgumentException("position (epoch=" + epoch + ", index=" + index + ") must not be negative");
            }
        }
    }

    private final TokenSequence tokens;
    private final int batchSize;
    private final int seqLen;
    private final long seed;
    private final int rank;
    private final int worldSize;
    private final Order order;
    private final int sequencesPerEpoch;
    private final int globalBatch;
    private final int[] sample;
    private int[] permutation;
    private int permutationEpoch = -1;
    private int epoch;
    private int index;

    /** A shuffling loader that does not check token ids against a vocabulary. */
    public DataLoader(final TokenSequence tokens, final int batchSize, final int seqLen, final long seed,
        final int rank, final int worldSize) {
        this(tokens, batchSize, seqLen, seed, rank, worldSize, Integer.MAX_VALUE, Order.SHUFFLED);
    }

    /**
     * A loader over {@code tokens} for rank {@code rank} of {@code worldSize}, yielding {@code batchSize}
     * sequences of {@code seqLen} per {@link #next}. Every token is checked against
     * {@code vocabSize} here, in one pass, so a bad file fails before training starts.
     *
     * @throws MalformedDataException naming the source and offset of the first id {@code >= vocabSize}.
     * @throws IllegalArgumentException if the tokens do not fill one global batch.
     */
    public DataLoader(final TokenSequence tokens, final int batchSize, final int seqLen, final long seed,
        final int rank, final int worldSize, final int vocabSize, final Order order) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.order = Objects.requireNonNull(order, "order");
        if (batchSize < 1 || seqLen < 1) {
            throw new IllegalArgumentException("batchSize=" + batchSize + " and seqLen=" + seqLen + " must be >= 1");
        }
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank=" + rank + " must lie in [0, worldSize=" + worldSize + ")");
        }
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabSize=" + vocabSize + " < 1");
        }
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.seed = seed;
        this.rank = rank;
        this.worldSize = worldSize;
        final long length = tokens.length();
        if (length < seqLen + 1L) {
            throw new IllegalArgumentException(tokens.name() + " has " + length + " tokens, fewer than one sequence of seqLen + 1 = "
                + (seqLen + 1L));
        }
        final long sequences = (length - 1) / seqLen;
        final long global = (long)batchSize * worldSize;
        if (sequences < global) {
            throw new IllegalArgumentException(tokens.name() + " has " + length + " tokens = " + sequences
                + " sequences of " + seqLen + " (+1), fewer than one global batch of batchSize * worldSize = "
                + batchSize + " * " + worldSize + " = " + global + " sequences; it needs at least " + (global * seqLen + 1) + " tokens");
        }
        if (sequences > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(tokens.name() + ": " + sequences + " sequences of " + seqLen
                + " tokens are more than one loader indexes (" + Integer.MAX_VALUE + "); split the file or raise seqLen");
        }
        this.sequencesPerEpoch = (int)sequences;
        this.globalBatch = Math.toIntExact(global);
        this.sample = new int[seqLen + 1];
        if (vocabSize < Integer.MAX_VALUE) {
            checkVocab(tokens, vocabSize);
        }
    }

    /**
     * Fills {@code inputs} (B,T) and {@code targets} (B,T), row-major, with this rank's part of the
     * next global batch, moving to the next epoch when the current one has no full batch left.
     */
    public void next(final int[] inputs, final int[] targets) {
        final int batchTokens = batchSize * seqLen;
        if (inputs.length < batchTokens || targets.length < batchTokens) {
            throw new IllegalArgumentException("inputs (" + inputs.length + ") and targets (" + targets.length
                + ") must hold B*T = " + batchTokens + " tokens");
        }
        if (index + (long)globalBatch > sequencesPerEpoch) {
            epoch = Math.addExact(epoch, 1);
            index = 0;
        }
        final int first = index + rank * batchSize;
        for (int b = 0; b < batchSize; b++) {
            final long start = (long)sequenceAt(first + b) * seqLen;
            tokens.read(start, sample, 0, seqLen + 1);
            System.arraycopy(sample, 0, inputs, b * seqLen, seqLen);
            System.arraycopy(sample, 1, targets, b * seqLen, seqLen);
        }
        index += globalBatch;
    }

    /** The position of the next batch, to save in a checkpoint. */
    public Position position() {
        return new Position(epoch, index);
    }

    /** Continues from {@code position}, as saved by {@link #position()} (of this or another world size). */
    public void seek(final Position position) {
        if (position.index() > sequencesPerEpoch) {
            throw new IllegalArgumentException("position " + position + " lies beyond the " + sequencesPerEpoch
                + " sequences of an epoch of " + tokens.name() + " (other data or seqLen?)");
        }
        this.epoch = position.epoch();
        this.index = position.index();
    }

    /** Samples of seqLen + 1 tokens in the data, S. */
    public int sequencesPerEpoch() {
        return sequencesPerEpoch;
    }

    /** Steps per epoch: S / (B * worldSize). */
    public int batchesPerEpoch() {
        return sequencesPerEpoch / globalBatch;
    }

    public int batchSize() {
        return batchSize;
    }

    public int seqLen() {
        return seqLen;
    }

    public int rank() {
        return rank;
    }

    public int worldSize() {
        return worldSize;
    }

    public TokenSequence tokens() {
        return tokens;
    }

    @Override
    public String toString() {
        return "DataLoader[" + tokens.name() + ", B=" + batchSize + ", T=" + seqLen + ", rank " + rank + "/" + worldSize
            + ", " + order + ", seed=" + seed + ", at " + position() + "]";
    }

    /** The sample at position {@code p} of the current epoch's order. */
    private int sequenceAt(final int p) {
        if (order == Order.SEQUENTIAL) {
            return p;
        }
        if (permutationEpoch != epoch) {
            permutation = shuffle(sequencesPerEpoch, seed, epoch, permutation);
            permutationEpoch = epoch;
        }
        return permutation[p];
    }

    /** Fisher-Yates over [0, n) driven by SplitMix64; reuses {@code previous} when it fits. */
    static int[] shuffle(final int n, final long seed, final int epoch, final int[] previous) {
        final int[] permutation = previous != null && previous.length == n ? previous : new int[n];
        for (int i = 0; i < n; i++) {
            permutation[i] = i;
        }
        final SplitMix64 random = new SplitMix64(SplitMix64.mix(seed) ^ SplitMix64.mix(0x5EED_0000_0000_0000L + epoch));
        for (int i = n - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int swap = permutation[i];
            permutation[i] = permutation[j];
            permutation[j] = swap;
        }
        return permutation;
    }

    private static void checkVocab(final TokenSequence tokens, final int vocabSize) {
        final int[] buffer = new int[1 << 16];
        final long length = tokens.length();
        for (long from = 0; from < length; from += buffer.length) {
            final int count = (int)Math.min(buffer.length, length - from);
            tokens.read(from, buffer, 0, count);
            for (int i = 0; i < count; i++) {
                if (buffer[i] < 0 || buffer[i] >= vocabSize) {
                    throw new MalformedDataException(tokens.name() + ": token " + buffer[i] + " at " + tokens.locate(from + i)
                        + " is outside the vocabulary of " + vocabSize + " tokens");
                }
            }
        }
    }

    /** SplitMix64 (Steele, Lea, Flood 2014), written out so the shuffle is fixed by this file. */
    static final class SplitMix64 {
        private static final long GAMMA = 0x9E3779B97F4A7C15L;

        private long state;

        SplitMix64(final long seed) {
            this.state = seed;
        }

        static long mix(final long z0) {
            long z = (z0 ^ (z0 >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        long nextLong() {
            state += GAMMA;
            return mix(state);
        }

        /** Uniform in [0, bound), without modulo bias (Lemire's multiply-and-reject). */
        int nextInt(final int bound) {
            long product = (nextLong() >>> 32) * bound;
            long low = product & 0xFFFFFFFFL;
            if (low < bound) {
                final long threshold = (0x1_0000_0000L - bound) % bound;
                while (low < threshold) {
                    product = (nextLong() >>> 32) * bound;
                    low = product & 0xFFFFFFFFL;
                }
            }
            return (int)(product >>> 32);
        }
    }
}
