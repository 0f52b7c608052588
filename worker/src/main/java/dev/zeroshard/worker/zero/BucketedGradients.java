package dev.zeroshard.worker.zero;

import dev.zeroshard.sharding.collective.CollectiveHandle;
import dev.zeroshard.sharding.collective.Communicator;
import dev.zeroshard.sharding.collective.Partition;
import dev.zeroshard.sharding.zero.BucketPlan;
import dev.zeroshard.sharding.zero.ShardPlan;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.GradientView;

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
    private int started;
    private int microBatch;

    private record InFlight(BucketPlan.Bucket bucket, float[] buffer, CollectiveHandle handle) {
    }

    BucketedGradients(final GptLayout layout, final ShardPlan plan, final int rank, final ZeroSettings settings,
                      final Communicator comm, final CommClock clock) {
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
        this.embeddingScratch = new float[unitLength(GptLayout.embeddingUnit())];
        this.blockScratch = new float[maxBlock];
        this.finalNormScratch = new float[unitLength(layout.finalNormUnit())];
        this.pool = new float[settings.overlapComm() ? 2 : 1][buckets.maxBucketLength()];
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
        final float[] scratch = scratchFor(unit);
        for (int index = buckets.bucketOf(end - 1); index <= buckets.bucketOf(start); index++) {
            final BucketPlan.Bucket bucket = buckets.bucket(index);
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
        final CollectiveHandle handle = settings.reduceScatter()
            ? comm.startReduceScatter(index, buffer, 0, bucket.length(), segments)
            : comm.startAllReduce(index, buffer, 0, bucket.length(), segments);
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
        if (length == 0) {
            // this rank owns nothing of the bucket
        } else if (microBatch == 0) {
            System.arraycopy(buffer, offset, shard, into, length);
        } else {
            for (int i = 0; i < length; i++) {
                shard[into + i] = shard[into + i] + buffer[offset + i];
            }
        }
        bufferOf[bucket.index()] = null;
        free.add(buffer);
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
        for (final float[] buffer : pool) {
            total += (long) Float.BYTES * buffer.length;
        }
        return total;
    }
}
