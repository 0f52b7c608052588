package dev.zeroshard.worker.zero;

import dev.zeroshard.sharding.collective.CollectiveHandle;
import dev.zeroshard.sharding.collective.Communicator;
import dev.zeroshard.sharding.collective.Partition;
import dev.zeroshard.sharding.zero.BucketPlan;
import dev.zeroshard.sharding.zero.ShardPlan;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.GradientView;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Stages 0 and 1: every rank keeps the full fp32 gradients, backward adds every micro-batch into them, and the
 * step's last micro-batch reduces them once, bucket by bucket in place: all-reduce in stage 0, reduce-scatter in
 * stage 1 (only the owned shard is read afterwards). With {@code overlap_comm} a bucket is started as soon as
 * backward has finished every unit it covers; without it, all buckets start when backward is over.
 */
final class AccumulatedGradients implements GradientReducer {
    private final GptLayout layout;
    private final ShardPlan plan;
    private final ZeroSettings settings;
    private final Communicator comm;
    private final CommClock clock;
    private final float[] grads;
    private final BucketPlan buckets;
    private final List<CollectiveHandle> inFlight = new ArrayList<>();
    private boolean last;
    private int started;

    AccumulatedGradients(final GptLayout layout, final ShardPlan plan, final ZeroSettings settings,
                         final Communicator comm, final CommClock clock) {
        this.layout = layout;
        this.plan = plan;
        this.settings = settings;
        this.comm = comm;
        this.clock = clock;
        this.grads = new float[layout.totalElements()];
        this.buckets = BucketPlan.backwardOrder(layout.totalElements(), settings.reduceBucketElements());
    }

    @Override
    public void beginStep() {
        Arrays.fill(grads, 0f);
    }

    @Override
    public void beginMicroBatch(final int index, final boolean lastOfStep) {
        this.last = lastOfStep;
        this.started = 0;
        inFlight.clear();
    }

    @Override
    public void begin(final int unit, final GradientView view) {
        view.set(grads, 0);
    }

    @Override
    public void end(final int unit) {
        if (last && settings.overlapComm()) {
            startUpTo(buckets.completedBy(layout.unitStart(unit)));
        }
    }

    @Override
    public void endMicroBatch() {
        if (!last) {
            return;
        }
        startUpTo(buckets.size());
        for (final CollectiveHandle handle : inFlight) {
            clock.await(handle);
        }
        inFlight.clear();
    }

    private void startUpTo(final int count) {
        while (started < count) {
            final BucketPlan.Bucket bucket = buckets.bucket(started);
            final Partition segments = plan.segments(bucket.start(), bucket.end());
            final int offset = (int) bucket.start();
            final CollectiveHandle handle = settings.stage() == 0 || !settings.reduceScatter()
                ? comm.startAllReduce(bucket.index(), grads, offset, bucket.length(), segments)
                : comm.startReduceScatter(bucket.index(), grads, offset, bucket.length(), segments);
            inFlight.add(clock.track(handle));
            started++;
        }
    }

    @Override
    public float[] array() {
        return grads;
    }

    @Override
    public int shift() {
        return 0;
    }

    @Override
    public long gradientBytes() {
        return (long) Float.BYTES * grads.length;
    }

    @Override
    public boolean collectivesInFlight() {
        return !inFlight.isEmpty();
    }

    @Override
    public long bufferBytes() {
        return 0;
    }
}
