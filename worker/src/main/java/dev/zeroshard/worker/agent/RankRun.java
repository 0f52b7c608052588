package dev.zeroshard.worker.agent;

import dev.zeroshard.protocol.cluster.ClusterProtocol.RankEvent;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankFinished;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankProgress;
import dev.zeroshard.protocol.cluster.ClusterProtocol.StartRank;
import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.sharding.aeron.RingSpec;
import dev.zeroshard.sharding.aeron.TransportConfig;
import dev.zeroshard.sharding.collective.CollectiveStall;
import dev.zeroshard.sharding.collective.CommSettings;
import dev.zeroshard.sharding.collective.CommSpec;
import dev.zeroshard.sharding.collective.Communicator;
import dev.zeroshard.worker.train.RankTraining;
import dev.zeroshard.worker.zero.NonFinitePolicy;
import org.slf4j.Logger;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One rank of one job epoch on its own thread: opens the ring, builds the {@link RankTraining} (resuming when the
 * job says so), trains, and reports progress (rank 0, every step), events and the end to the job's supervisor.
 * {@link #stop} aborts the communicator, so the loop ends at once and the peers learn it from the ring.
 */
final class RankRun {
    /** A collective that has heard nothing from its peer this long is reported (deadlines are 30 s and more). */
    static final long STALL_REPORT_NS = TimeUnit.SECONDS.toNanos(5);

    private final StartRank start;
    private final AtomicReference<Communicator> comm = new AtomicReference<>();
    private final AtomicReference<String> stopReason = new AtomicReference<>();
    private final AtomicLong step = new AtomicLong();
    private Thread thread;

    private RankRun(final StartRank start) {
        this.start = start;
    }

    static RankRun start(final StartRank start, final WorkerSettings settings, final Logger log,
                         final Consumer<RankRun> onEnd) {
        final RankRun run = new RankRun(start);
        run.thread = new Thread(() -> {
            try {
                run.train(settings, log);
            } finally {
                onEnd.accept(run);
            }
        }, "rank-" + start.rank() + "-" + start.jobId() + "-e" + start.epoch());
        run.thread.setDaemon(true);
        run.thread.start();
        return run;
    }

    String jobId() {
        return start.jobId();
    }

    long epoch() {
        return start.epoch();
    }

    /** Aborts the run: its communicator stops, so the training loop fails out of its current collective. */
    void stop(final String reason) {
        stopReason.set(reason);
        final Communicator open = comm.get();
        if (open != null) {
            open.abort(reason);
        }
        thread.interrupt();
    }

    private void reportStall(final CollectiveStall stall) {
        start.replyTo().tell(new RankEvent(start.jobId(), start.epoch(), start.rank(), "stalled: " + stall.describe()
            + " (step " + (step.get() + 1) + ")"));
    }

    /** Checkpoint events: commits and resumes go to the job's event log, routine timings to this worker's log. */
    private void report(final String message, final Logger log) {
        if (message.contains(" committed") || message.contains("resum") || message.contains("checkpoint under")
            || message.contains("falling back") || message.contains("skipping")) {
            start.replyTo().tell(new RankEvent(start.jobId(), start.epoch(), start.rank(), message));
        } else {
            log.info("job {} epoch {} rank {}: {}", start.jobId(), start.epoch(), start.rank(), message);
        }
    }

    private void train(final WorkerSettings settings, final Logger log) {
        try {
            final ResolvedJob job = JobSpecs.readJson(start.jobJson());
            final CommSpec spec = new CommSpec(start.rank(), (int) start.epoch(), RingSpec.udp(start.endpoints(), 1));
            try (Communicator open = Communicator.open(spec, new CommSettings().conclude(),
                new TransportConfig().conclude()); StallWatch watch = new StallWatch(open, this::reportStall)) {
                comm.set(open);
                if (stopReason.get() != null) {
                    open.abort(stopReason.get());
                }
                try (RankTraining training = RankTraining.create(job, open, Optional.empty(), NonFinitePolicy.STOP,
                    start.runId(), message -> report(message, log))) {
                    step.set(training.engine().step());
                    training.run(metrics -> {
                        step.set(metrics.step());
                        // every rank reports: rank 0's loss is the job's, each rank's wait and bytes are its own
                        start.replyTo().tell(new RankProgress(start.jobId(), start.epoch(), start.rank(),
                            metrics.step(), metrics.loss(), metrics.lr(), metrics.gradNorm(), metrics.tokensPerS(),
                            metrics.stepSeconds(), training.engine().lastCommStats().waitSeconds(),
                            open.bytesSent()));
                    });
                }
            }
            start.replyTo().tell(new RankFinished(start.jobId(), start.epoch(), start.rank(), true, "done", step.get()));
        } catch (final Throwable failure) {
            final String reason = stopReason.get() != null ? "stopped: " + stopReason.get()
                : failure.getClass().getSimpleName() + ": " + failure.getMessage();
            log.warn("job {} epoch {} rank {} ended: {}", start.jobId(), start.epoch(), start.rank(), reason);
            start.replyTo().tell(new RankFinished(start.jobId(), start.epoch(), start.rank(), false, reason,
                step.get()));
        }
    }
}
