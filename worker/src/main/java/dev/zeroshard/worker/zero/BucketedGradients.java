package dev.zeroshard.worker.zero;

import dev.zeroshard.sharding.collective.CollectiveHandle;
import dev.zeroshard.sharding.collective.Communicator;
import dev.zeroshard.sharding.collective.Partition;
import dev.zeroshard.sharding.zero.BucketPlan;
import dev.zeroshard.sharding.zero.ShardPlan;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.GptModel;
import dev.zeroshard.worker.model.GradientView;
import org.agrona.MutableDirectBuffer;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Stages 2 and 3: a rank keeps only the fp32 gradients of its shard. Backward writes each unit's gradients into a
 * one-unit scratch; when the unit is done they are copied into contiguous bucket buffers
 * ({@code contiguous_gradients}), and every bucket that is now complete is reduce-scattered at once, while
 * backward goes on with earlier layers ({@code overlap_comm}: two bucket buffers, so one fills while the other
 * is on the ring; without it, one buffer, reduced before backward continues). The owned part of each reduced
 * bucket is then added into the shard's accumulator. This happens every micro-batch: accumulating unreduced
 * gradients across micro-batches would need the full gradient buffer that stage 2 exists to avoid.
 *
 * <p>With a model that copies its gradients to host memory of its own ({@link GptModel#hostGradients()}: a GPU
 * model's pinned buffer, layout-ordered) there is no scratch and no pool: each bucket is reduce-scattered where it
 * lies in that memory, so the host neither adds nor copies a unit before the ring reads it.
 */
final class BucketedGradients implements GradientReducer {
    private final GptLayout layout;
    private final ShardPlan plan;
    private final int rank;
    private final ZeroSettings settings;
    private final Communicator comm;
    private final CommClock clock;
    private final float[] shard;
    private final BucketPlan buckets;
    private final float[] embeddingScratch;
    private final float[] blockScratch;
    private final float[] finalNormScratch;
    private final float[][] pool;
    private final ArrayDeque<float[]> free = new ArrayDeque<>();
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private final float[][] bufferOf;
    /** The model's host gradients, where every bucket is reduced in place; null: the scratch and pool above. */
    private final MutableDirectBuffer inModel;
    /** Moves the owned part of a bucket reduced in {@link #inModel} into the shard; null without a model buffer. */
    private final HostFloats hostFloats;
    private int started;
    private int microBatch;

    /** A bucket on the ring: in {@code buffer} from index 0, or, when {@code buffer} is null, in {@link #inModel}. */
    private record InFlight(BucketPlan.Bucket bucket, float[] buffer, CollectiveHandle handle) {
    }

    /**
     * @param modelGradients the model's {@link GptModel#hostGradients()}, or null to give the model arrays to add
     *                       into.
     */
    BucketedGradients(final GptLayout layout, final ShardPlan plan, final int rank, final ZeroSettings settings,
                      final Communicator comm, final CommClock clock, final MutableDirectBuffer modelGradients) {
        this.layout = layout;
        this.plan = plan;
        this.rank = rank;
        this.settings = settings;
        this.comm = comm;
        this.clock = clock;
        this.shard = new float[plan.shardLength()];
        this.buckets = BucketPlan.backwardOrder(layout.totalElements(), settings.reduceBucketElements());
        int maxBlock = 0;
        for (int layer = 0; layer < layout.config().layers(); layer++) {
            maxBlock = Math.max(maxBlock, unitLength(GptLayout.blockUnit(layer)));
        }
        this.inModel = HostFloats.checkHolds(modelGradients, layout.totalElements());
        final boolean heap = modelGradients == null;
        this.embeddingScratch = new float[heap ? unitLength(GptLayout.embeddingUnit()) : 0];
        this.blockScratch = new float[heap ? maxBlock : 0];
        this.finalNormScratch = new float[heap ? unitLength(layout.finalNormUnit()) : 0];
        this.pool = new float[heap ? settings.overlapComm() ? 2 : 1 : 0][buckets.maxBucketLength()];
        this.hostFloats = heap ? null : new HostFloats(plan.shardLength());
        this.bufferOf = new float[buckets.size()][];
    }

    @Override
    public void beginStep() {
        Arrays.fill(shard, 0f);
    }

    @Override
    public void beginMicroBatch(final int index, final boolean last) {
        microBatch = index;
        started = 0;
        free.clear();
        free.addAll(Arrays.asList(pool));
        Arrays.fill(bufferOf, null);
    }

    @Override
    public void begin(final int unit, final GradientView view) {
        if (inModel != null) {
            view.leaveInModel();
            return;
        }
        final float[] scratch = scratchFor(unit);
        Arrays.fill(scratch, 0, unitLength(unit), 0f);
        view.set(scratch, -layout.unitStart(unit));
    }

    @Override
    public void end(final int unit) {
        final int start = layout.unitStart(unit);
        final int end = layout.unitEnd(unit);
        if (end == start) {
            return;
        }
        for (int index = buckets.bucketOf(end - 1); index <= buckets.bucketOf(start); index++) {
            final BucketPlan.Bucket bucket = buckets.bucket(index);
            if (inModel != null) {
                if (bucket.start() >= start) {
                    startBucket(index);
                }
                continue;
            }
            final float[] scratch = scratchFor(unit);
            if (bufferOf[index] == null) {
                bufferOf[index] = takeBuffer();
            }
            final long from = Math.max(start, bucket.start());
            final long to = Math.min(end, bucket.end());
            System.arraycopy(scratch, (int) (from - start), bufferOf[index], (int) (from - bucket.start()),
                (int) (to - from));
            if (bucket.start() >= start) {
                startBucket(index);
            }
        }
    }

    @Override
    public void endMicroBatch() {
        while (started < buckets.size()) {
            startBucket(started);
        }
        while (!inFlight.isEmpty()) {
            completeOldest();
        }
    }

    private void startBucket(final int index) {
        if (index != started) {
            throw new IllegalStateException("bucket " + index + " completed before bucket " + started);
        }
        final BucketPlan.Bucket bucket = buckets.bucket(index);
        final Partition segments = plan.segments(bucket.start(), bucket.end());
        final float[] buffer = bufferOf[index];
        final CollectiveHandle handle;
        if (inModel != null) {
            final int from = (int) bucket.start();
            handle = settings.reduceScatter()
                ? comm.startReduceScatter(index, inModel, from, bucket.length(), segments)
                : comm.startAllReduce(index, inModel, from, bucket.length(), segments);
        } else {
            handle = settings.reduceScatter()
                ? comm.startReduceScatter(index, buffer, 0, bucket.length(), segments)
                : comm.startAllReduce(index, buffer, 0, bucket.length(), segments);
        }
        inFlight.add(new InFlight(bucket, buffer, clock.track(handle)));
        started++;
        if (!settings.overlapComm()) {
            completeOldest();
        }
    }

    private float[] takeBuffer() {
        while (free.isEmpty()) {
            if (inFlight.isEmpty()) {
                throw new IllegalStateException("no bucket buffer free and none in flight");
            }
            completeOldest();
        }
        return free.poll();
    }

    /** Awaits the oldest bucket, adds its owned part into the shard and frees its buffer. */
    private void completeOldest() {
        final InFlight done = inFlight.poll();
        clock.await(done.handle());
        final BucketPlan.Bucket bucket = done.bucket();
        final Partition segments = plan.segments(bucket.start(), bucket.end());
        final int offset = segments.offset(rank);
        final int length = segments.length(rank);
        final int into = (int) (bucket.start() + offset - plan.shardStart(rank));
        final float[] buffer = done.buffer();
        if (buffer == null) {
            hostFloats.addInto(inModel, (int) bucket.start() + offset, shard, into, length, microBatch != 0);
            return;
        }
        addOwned(buffer, offset, into, length);
        bufferOf[bucket.index()] = null;
        free.add(buffer);
    }

    /** Puts {@code length} reduced values of this rank's shard into it: copied at micro-batch 0, added after. */
    private void addOwned(final float[] reduced, final int from, final int into, final int length) {
        if (length == 0) {
            // this rank owns nothing of the bucket, and into may lie outside its shard
            return;
        }
        if (microBatch == 0) {
            System.arraycopy(reduced, from, shard, into, length);
        } else {
            for (int i = 0; i < length; i++) {
                shard[into + i] = shard[into + i] + reduced[from + i];
            }
        }
    }

    private float[] scratchFor(final int unit) {
        if (unit == GptLayout.embeddingUnit()) {
            return embeddingScratch;
        }
        return unit == layout.finalNormUnit() ? finalNormScratch : blockScratch;
    }

    private int unitLength(final int unit) {
        return layout.unitEnd(unit) - layout.unitStart(unit);
    }

    @Override
    public float[] array() {
        return shard;
    }

    @Override
    public int shift() {
        return (int) -plan.shardStart(rank);
    }

    @Override
    public long gradientBytes() {
        return (long) Float.BYTES * shard.length;
    }

    @Override
    public long bufferBytes() {
        long total = (long) Float.BYTES * (embeddingScratch.length + blockScratch.length + finalNormScratch.length);
        total += hostFloats == null ? 0 : hostFloats.bytes();
        for (final float[] buffer : pool) {
            total += (long) Float.BYTES * buffer.length;
        }
        return total;
    }
}
