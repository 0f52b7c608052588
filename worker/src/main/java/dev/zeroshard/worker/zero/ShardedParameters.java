package dev.zeroshard.worker.zero;

import dev.zeroshard.sharding.collective.CollectiveHandle;
import dev.zeroshard.sharding.collective.Communicator;
import dev.zeroshard.sharding.collective.Partition;
import dev.zeroshard.sharding.zero.BucketPlan;
import dev.zeroshard.sharding.zero.ShardPlan;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.ParameterView;
import dev.zeroshard.worker.ops.Bf16Convert;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * One rank's parameters under ZeRO: the compute weights the model reads (fp32, or bf16 bits in BF16 mode) and the
 * fp32 master weights the optimizer updates.
 *
 * <ul>
 *   <li>Stages 0–2 keep the compute weights whole. Stage 0 also keeps whole master weights; stages 1 and 2 keep
 *   the master weights of the rank's shard only and, after each step, all-gather the updated compute weights in
 *   {@code allgather_bucket_size} buckets.</li>
 *   <li>Stage 3 keeps only the shard of the compute weights. A unit (the embeddings, a block, the final norm) is
 *   all-gathered into a gather buffer when the model first reads it in a step, the next block's gather is started
 *   while the current one computes (prefetch), and two rotating block buffers mean a block is freed as soon as the
 *   block after next needs the room. A gathered unit stays valid until the weights change, so the last blocks of
 *   forward are reused by the first of backward without a second gather. Units smaller than
 *   {@code stage3_param_persistence_threshold} get a buffer of their own and are gathered once per step.</li>
 * </ul>
 *
 * In FP32 mode the compute weights are the master weights (no second copy); in BF16 mode the compute weights are
 * the master weights rounded to bf16 (round to nearest even), and the fp32 values a unit's LayerNorms and biases
 * need are widened from the bits into a one-unit scratch when the model acquires it.
 */
final class ShardedParameters {
    private final GptLayout layout;
    private final ShardPlan plan;
    private final int rank;
    private final int stage;
    private final boolean bf16;
    private final Communicator comm;
    private final CommClock clock;
    private final ZeroSettings settings;
    private final float[] full32;
    private final short[] fullBits;
    private final float[] shard32;
    private final short[] shardBits;
    private final float[] master;
    private final float[] blockValues;
    private final float[] finalValues;
    private final Slot[] unitSlots;
    private final Slot[] blockPair;
    private final List<Slot> slots = new ArrayList<>();
    private long epoch;
    private boolean backward;
    private Slot blockInUse;

    /** A gather buffer and what it holds. */
    private static final class Slot {
        final float[] values;
        final short[] bits;
        int unit = -1;
        long epoch = -1;
        CollectiveHandle pending;

        Slot(final int length, final boolean bf16) {
            this.values = bf16 ? null : new float[length];
            this.bits = bf16 ? new short[length] : null;
        }

        long bytes() {
            return values != null ? (long) Float.BYTES * values.length : (long) Short.BYTES * bits.length;
        }
    }

    ShardedParameters(final GptLayout layout, final ShardPlan plan, final int rank, final ZeroSettings settings,
                      final boolean bf16, final Communicator comm, final CommClock clock) {
        this.layout = layout;
        this.plan = plan;
        this.rank = rank;
        this.stage = settings.stage();
        this.bf16 = bf16;
        this.comm = comm;
        this.clock = clock;
        this.settings = settings;
        final int elements = layout.totalElements();
        final boolean partitioned = stage == 3;
        this.full32 = !partitioned && !bf16 ? new float[elements] : null;
        this.fullBits = !partitioned && bf16 ? new short[elements] : null;
        this.shard32 = partitioned && !bf16 ? new float[plan.shardLength()] : null;
        this.shardBits = partitioned && bf16 ? new short[plan.shardLength()] : null;
        this.master = bf16 ? new float[stage == 0 ? elements : plan.shardLength()] : null;
        int maxBlock = 0;
        for (int layer = 0; layer < layout.config().layers(); layer++) {
            maxBlock = Math.max(maxBlock, unitLength(GptLayout.blockUnit(layer)));
        }
        this.blockValues = bf16 ? new float[maxBlock] : null;
        this.finalValues = bf16 ? new float[unitLength(layout.finalNormUnit())] : null;
        this.unitSlots = new Slot[layout.unitCount()];
        this.blockPair = new Slot[2];
        if (partitioned) {
            unitSlots[GptLayout.embeddingUnit()] = newSlot(unitLength(GptLayout.embeddingUnit()));
            unitSlots[layout.finalNormUnit()] = newSlot(unitLength(layout.finalNormUnit()));
            boolean anyGathered = false;
            for (int layer = 0; layer < layout.config().layers(); layer++) {
                final int unit = GptLayout.blockUnit(layer);
                if (unitLength(unit) < settings.persistenceThreshold()) {
                    unitSlots[unit] = newSlot(unitLength(unit));
                } else {
                    anyGathered = true;
                }
            }
            if (anyGathered) {
                blockPair[0] = newSlot(maxBlock);
                blockPair[1] = newSlot(maxBlock);
            }
        }
    }

    private Slot newSlot(final int length) {
        final Slot slot = new Slot(length, bf16);
        slots.add(slot);
        return slot;
    }

    /** Sets every weight from {@code initial} (Ψ fp32 values, the same on every rank). */
    void initialize(final float[] initial) {
        final int start = (int) plan.shardStart(rank);
        final int owned = plan.ownedElements(rank);
        if (full32 != null) {
            System.arraycopy(initial, 0, full32, 0, initial.length);
        }
        if (shard32 != null) {
            System.arraycopy(initial, start, shard32, 0, owned);
        }
        if (master != null) {
            if (stage == 0) {
                System.arraycopy(initial, 0, master, 0, initial.length);
            } else {
                System.arraycopy(initial, start, master, 0, owned);
            }
        }
        if (fullBits != null) {
            Bf16Convert.toBits(initial, 0, fullBits, 0, initial.length);
        }
        if (shardBits != null) {
            Bf16Convert.toBits(initial, start, shardBits, 0, owned);
        }
        epoch++;
    }

    /** The array the optimizer updates ({@link #masterBase()} is where the optimizer's range starts in it). */
    float[] masterArray() {
        if (master != null) {
            return master;
        }
        return full32 != null ? full32 : shard32;
    }

    /** Index in {@link #masterArray()} of the first element of the optimizer's range. */
    int masterBase() {
        return full32 != null && stage != 0 ? (int) plan.shardStart(rank) : 0;
    }

    /** The model is about to run forward (and then backward) on a micro-batch. */
    void enterForward() {
        backward = false;
    }

    /** Backward has started. */
    void enterBackward() {
        backward = true;
    }

    void acquire(final int unit, final ParameterView view) {
        final int start = layout.unitStart(unit);
        // a model that holds this version already (a GPU's copy) does not read the widened values
        final boolean widen = view.heldVersion() != epoch;
        if (stage < 3) {
            if (!bf16) {
                view.set(full32, 0, null, 0, epoch);
            } else if (unit == GptLayout.embeddingUnit()) {
                view.set(null, 0, fullBits, 0, epoch);
            } else {
                final float[] scratch = unit == layout.finalNormUnit() ? finalValues : blockValues;
                if (widen) {
                    Bf16Convert.toFloats(fullBits, start, scratch, 0, unitLength(unit));
                }
                view.set(scratch, -start, fullBits, 0, epoch);
            }
            return;
        }
        final Slot slot = gathered(unit);
        if (isRotatingBlock(unit)) {
            blockInUse = slot;
            prefetchAfter(unit);
        }
        if (!bf16) {
            view.set(slot.values, -start, null, 0, epoch);
        } else if (unit == GptLayout.embeddingUnit()) {
            view.set(null, 0, slot.bits, -start, epoch);
        } else {
            final float[] scratch = unit == layout.finalNormUnit() ? finalValues : blockValues;
            if (widen) {
                Bf16Convert.toFloats(slot.bits, 0, scratch, 0, unitLength(unit));
            }
            view.set(scratch, -start, slot.bits, -start, epoch);
        }
    }

    void release(final int unit) {
        if (stage == 3 && isRotatingBlock(unit) && blockInUse != null && blockInUse.unit == unit) {
            blockInUse = null;
        }
    }

    /**
     * After the optimizer updated the rank's master weights: brings the compute weights up to date (stages 1 and
     * 2 all-gather them; stage 3 refreshes only the shard, gathered again when next read).
     */
    void publish() {
        final int start = (int) plan.shardStart(rank);
        final int owned = plan.ownedElements(rank);
        if (stage == 0) {
            if (fullBits != null) {
                Bf16Convert.toBits(master, 0, fullBits, 0, master.length);
            }
        } else if (stage < 3) {
            if (fullBits != null && owned > 0) {
                Bf16Convert.toBits(master, 0, fullBits, start, owned);
            }
            final BucketPlan buckets = BucketPlan.backwardOrder(layout.totalElements(), settings.gatherBucketElements());
            final List<CollectiveHandle> handles = new ArrayList<>();
            for (final BucketPlan.Bucket bucket : buckets.buckets()) {
                final Partition segments = plan.segments(bucket.start(), bucket.end());
                handles.add(clock.track(full32 != null
                    ? comm.startAllGather(bucket.index(), full32, (int) bucket.start(), bucket.length(), segments)
                    : comm.startAllGather(bucket.index(), fullBits, (int) bucket.start(), bucket.length(), segments)));
            }
            for (final CollectiveHandle handle : handles) {
                clock.await(handle);
            }
        } else if (shardBits != null && owned > 0) {
            Bf16Convert.toBits(master, 0, shardBits, 0, owned);
        }
        epoch++;
    }

    /** The full fp32 master weights, on every rank (a collective in stages 1–3: every rank must call it). */
    float[] gatherMasterWeights() {
        final int elements = layout.totalElements();
        if (stage == 0) {
            return (master != null ? master : full32).clone();
        }
        if (master == null && full32 != null) {
            return full32.clone();
        }
        final float[] shard = master != null ? master : shard32;
        final float[] full = new float[(int) plan.paddedElements()];
        System.arraycopy(shard, 0, full, (int) plan.shardStart(rank), plan.shardLength());
        comm.allGather(full, 0, full.length, Partition.even(full.length, plan.worldSize()));
        return Arrays.copyOf(full, elements);
    }

    /**
     * CRC32C of the full compute weights (fp32 or bf16 bits, little-endian): equal on every rank when the ranks
     * agree. In stage 3 the shards are gathered for it (a collective: every rank must call it).
     */
    long computeWeightsChecksum() {
        final int elements = layout.totalElements();
        final CRC32C crc = new CRC32C();
        if (bf16) {
            final short[] bits;
            if (fullBits != null) {
                bits = fullBits;
            } else {
                final short[] full = new short[(int) plan.paddedElements()];
                System.arraycopy(shardBits, 0, full, (int) plan.shardStart(rank), plan.shardLength());
                comm.allGather(full, 0, full.length, Partition.even(full.length, plan.worldSize()));
                bits = full;
            }
            final ByteBuffer bytes = ByteBuffer.allocate(elements * Short.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asShortBuffer().put(bits, 0, elements);
            crc.update(bytes.array());
        } else {
            final float[] values;
            if (full32 != null) {
                values = full32;
            } else {
                final float[] full = new float[(int) plan.paddedElements()];
                System.arraycopy(shard32, 0, full, (int) plan.shardStart(rank), plan.shardLength());
                comm.allGather(full, 0, full.length, Partition.even(full.length, plan.worldSize()));
                values = full;
            }
            final ByteBuffer bytes = ByteBuffer.allocate(elements * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values, 0, elements);
            crc.update(bytes.array());
        }
        return crc.getValue();
    }

    /** Bytes of compute weights this rank holds. */
    long computeBytes() {
        return bytes(full32) + bytes(fullBits) + bytes(shard32) + bytes(shardBits);
    }

    /** Bytes of fp32 master weights held apart from the compute weights (BF16 mode only). */
    long masterBytes() {
        return bytes(master);
    }

    /** Bytes of gather buffers and the fp32 scratch of BF16 views. */
    long bufferBytes() {
        long total = bytes(blockValues) + bytes(finalValues);
        for (final Slot slot : slots) {
            total += slot.bytes();
        }
        return total;
    }

    // ---------------------------------------------------------------- stage 3 gathering

    private boolean isRotatingBlock(final int unit) {
        return unit != GptLayout.embeddingUnit() && unit != layout.finalNormUnit() && unitSlots[unit] == null;
    }

    /** The slot holding {@code unit}'s current weights, gathering them now unless already there or on the way. */
    private Slot gathered(final int unit) {
        Slot slot = holding(unit);
        if (slot == null) {
            slot = isRotatingBlock(unit) ? freeBlockSlot() : unitSlots[unit];
            startGather(unit, slot);
        }
        if (slot.pending != null) {
            final CollectiveHandle pending = slot.pending;
            slot.pending = null;
            clock.await(pending);
        }
        return slot;
    }

    /** Starts gathering the block the model will read after {@code unit}, if it fits the prefetch budget. */
    private void prefetchAfter(final int unit) {
        final int layer = unit - 1;
        final int nextLayer = backward ? layer - 1 : layer + 1;
        if (settings.prefetchElements() <= 0 || nextLayer < 0 || nextLayer >= layout.config().layers()) {
            return;
        }
        final int next = GptLayout.blockUnit(nextLayer);
        if (!isRotatingBlock(next) || unitLength(next) > settings.prefetchElements() || holding(next) != null) {
            return;
        }
        startGather(next, freeBlockSlot());
    }

    private Slot holding(final int unit) {
        if (isRotatingBlock(unit)) {
            for (final Slot slot : blockPair) {
                if (slot.unit == unit && slot.epoch == epoch) {
                    return slot;
                }
            }
            return null;
        }
        final Slot slot = unitSlots[unit];
        return slot.unit == unit && slot.epoch == epoch ? slot : null;
    }

    /** The block buffer not in use (the other one may be overwritten once its own gather has landed). */
    private Slot freeBlockSlot() {
        final Slot slot = blockPair[0] == blockInUse ? blockPair[1] : blockPair[0];
        if (slot.pending != null) {
            final CollectiveHandle pending = slot.pending;
            slot.pending = null;
            clock.await(pending);
        }
        return slot;
    }

    private void startGather(final int unit, final Slot slot) {
        final int start = layout.unitStart(unit);
        final int end = layout.unitEnd(unit);
        final Partition segments = plan.segments(start, end);
        final int own = segments.offset(rank);
        final int length = segments.length(rank);
        final int from = start + own - (int) plan.shardStart(rank);
        final CollectiveHandle handle;
        if (bf16) {
            if (length > 0) {
                System.arraycopy(shardBits, from, slot.bits, own, length);
            }
            handle = comm.startAllGather(unit, slot.bits, 0, end - start, segments);
        } else {
            if (length > 0) {
                System.arraycopy(shard32, from, slot.values, own, length);
            }
            handle = comm.startAllGather(unit, slot.values, 0, end - start, segments);
        }
        slot.unit = unit;
        slot.epoch = epoch;
        slot.pending = clock.track(handle);
    }

    private int unitLength(final int unit) {
        return layout.unitEnd(unit) - layout.unitStart(unit);
    }

    private static long bytes(final float[] array) {
        return array == null ? 0 : (long) Float.BYTES * array.length;
    }

    private static long bytes(final short[] array) {
        return array == null ? 0 : (long) Short.BYTES * array.length;
    }
}
