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

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Stages 0 and 1: every rank keeps the full fp32 gradients, backward adds every micro-batch into them, and the
 * step's last micro-batch reduces them once, bucket by bucket in place: all-reduce in stage 0, reduce-scatter in
 * stage 1 (only the owned shard is read afterwards). With {@code overlap_comm} a bucket is started as soon as
 * backward has finished every unit it covers; without it, all buckets start when backward is over.
 *
 * <p>With a model that copies its gradients to host memory of its own ({@link GptModel#hostGradients()}: a GPU
 * model's pinned buffer) the model adds nothing: the store adds each unit of the earlier micro-batches from there
 * into its gradients and, in the last micro-batch, adds those sums into the model's buffer instead, reduces the
 * buckets in place there (where Aeron reads them), and copies back only the range its optimizer steps. The sums are
 * those of the model adding into the store, bit for bit ({@code a + b} is {@code b + a}).
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
    /** The model's host gradients, where the last micro-batch's buckets are reduced; null: in {@link #grads}. */
    private final MutableDirectBuffer inModel;
    private final HostFloats hostFloats;
    private boolean last;
    private int microBatch;
    private int started;

    /**
     * @param modelGradients the model's {@link GptModel#hostGradients()}, or null to have the model add into this
     *                       store's gradients.
     */
    AccumulatedGradients(final GptLayout layout, final ShardPlan plan, final ZeroSettings settings,
                         final Communicator comm, final CommClock clock, final MutableDirectBuffer modelGradients) {
        this.layout = layout;
        this.plan = plan;
        this.settings = settings;
        this.comm = comm;
        this.clock = clock;
        this.grads = new float[layout.totalElements()];
        this.buckets = BucketPlan.backwardOrder(layout.totalElements(), settings.reduceBucketElements());
        this.inModel = HostFloats.checkHolds(modelGradients, layout.totalElements());
        this.hostFloats = modelGradients == null ? null : new HostFloats(layout.totalElements());
    }

    @Override
    public void beginStep() {
        Arrays.fill(grads, 0f);
    }

    @Override
    public void beginMicroBatch(final int index, final boolean lastOfStep) {
        this.last = lastOfStep;
        this.microBatch = index;
        this.started = 0;
        inFlight.clear();
    }

    @Override
    public void begin(final int unit, final GradientView view) {
        if (inModel != null) {
            view.leaveInModel();
        } else {
            view.set(grads, 0);
        }
    }

    @Override
    public void end(final int unit) {
        if (inModel != null) {
            final int start = layout.unitStart(unit);
            final int length = layout.unitEnd(unit) - start;
            if (!last) {
                hostFloats.addInto(inModel, start, grads, start, length, true);
            } else if (microBatch > 0) {
                hostFloats.addFrom(grads, inModel, start, length);
            }
        }
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
        if (inModel != null) {
            // the range the optimizer steps: everything at stage 0, the rank's shard at stage 1
            final int from = settings.stage() == 0 ? 0 : (int) plan.shardStart(comm.rank());
            final int length = settings.stage() == 0 ? layout.totalElements() : plan.ownedElements(comm.rank());
            HostFloats.copy(inModel, from, grads, from, length);
        }
    }

    private void startUpTo(final int count) {
        while (started < count) {
            final BucketPlan.Bucket bucket = buckets.bucket(started);
            final Partition segments = plan.segments(bucket.start(), bucket.end());
            final int offset = (int) bucket.start();
            final boolean allReduce = settings.stage() == 0 || !settings.reduceScatter();
            final CollectiveHandle handle;
            if (inModel != null) {
                handle = allReduce
                    ? comm.startAllReduce(bucket.index(), inModel, offset, bucket.length(), segments)
                    : comm.startReduceScatter(bucket.index(), inModel, offset, bucket.length(), segments);
            } else {
                handle = allReduce
                    ? comm.startAllReduce(bucket.index(), grads, offset, bucket.length(), segments)
                    : comm.startReduceScatter(bucket.index(), grads, offset, bucket.length(), segments);
            }
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
    public long bufferBytes() {
        return hostFloats == null ? 0 : hostFloats.bytes();
    }
}
