package dev.zeroshard.coordinator;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankEvent;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankFinished;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankProgress;
import dev.zeroshard.protocol.cluster.ClusterProtocol.StartRank;
import dev.zeroshard.protocol.cluster.ClusterProtocol.StopRank;
import dev.zeroshard.protocol.cluster.ClusterProtocol.SupervisorEvent;
import dev.zeroshard.protocol.cluster.ClusterProtocol.WorkerDescription;

import java.time.Duration;
import java.util.List;

/**
 * One attempt (epoch) of one job: starts its ranks on the assigned workers, passes their progress and events to
 * the {@link JobManager}, and ends the attempt when every rank has finished: succeeded when all did; failed as soon
 * as one fails or its worker leaves the cluster, in which case every other rank is stopped at once (their
 * collectives end with an error instead of waiting for a deadline). Messages of another epoch are dropped.
 */
final class JobSupervisor extends AbstractBehavior<SupervisorEvent> {
    /** After a failure, how long the other ranks get to report their end before the attempt is closed anyway. */
    static final Duration STOP_GRACE = Duration.ofSeconds(60);

    /** A worker of this attempt left the cluster (its agent terminated). */
    private record WorkerLost(String jobId, long epoch, int rank, String workerId) implements SupervisorEvent {
    }

    /** The manager cancels the job. */
    record Cancel(String jobId, long epoch, String reason) implements SupervisorEvent {
    }

    private record GraceOver(String jobId, long epoch) implements SupervisorEvent {
    }

    private final String jobId;
    private final long epoch;
    private final List<WorkerDescription> workers;
    private final ActorRef<JobManager.Command> manager;
    private final TimerScheduler<SupervisorEvent> timers;
    private final boolean[] done;
    private String failure;
    private boolean cancelled;
    private long lastStep;

    private JobSupervisor(final ActorContext<SupervisorEvent> context, final TimerScheduler<SupervisorEvent> timers,
                          final String jobId, final long epoch, final List<WorkerDescription> workers,
                          final String jobJson, final String runId, final ActorRef<JobManager.Command> manager) {
        super(context);
        this.jobId = jobId;
        this.epoch = epoch;
        this.workers = List.copyOf(workers);
        this.manager = manager;
        this.timers = timers;
        this.done = new boolean[workers.size()];
        final List<String> endpoints = workers.stream().map(w -> w.host() + ":" + w.aeronPort()).toList();
        for (int rank = 0; rank < workers.size(); rank++) {
            final WorkerDescription worker = workers.get(rank);
            context.watchWith(worker.agent(), new WorkerLost(jobId, epoch, rank, worker.workerId()));
            worker.agent().tell(new StartRank(jobId, epoch, rank, workers.size(), endpoints, jobJson, runId,
                context.getSelf()));
        }
    }

    static Behavior<SupervisorEvent> create(final String jobId, final long epoch,
                                            final List<WorkerDescription> workers, final String jobJson,
                                            final String runId, final ActorRef<JobManager.Command> manager) {
        return Behaviors.withTimers(timers -> Behaviors.setup(context -> new JobSupervisor(context, timers, jobId,
            epoch, workers, jobJson, runId, manager)));
    }

    @Override
    public Receive<SupervisorEvent> createReceive() {
        return newReceiveBuilder()
            .onMessage(RankProgress.class, this::onProgress)
            .onMessage(RankEvent.class, this::onEvent)
            .onMessage(RankFinished.class, this::onFinished)
            .onMessage(WorkerLost.class, this::onWorkerLost)
            .onMessage(Cancel.class, this::onCancel)
            .onMessage(GraceOver.class, grace -> endAttempt())
            .build();
    }

    private boolean stale(final SupervisorEvent event) {
        return !event.jobId().equals(jobId) || event.epoch() != epoch;
    }

    private Behavior<SupervisorEvent> onProgress(final RankProgress progress) {
        if (!stale(progress)) {
            lastStep = progress.step();
            manager.tell(new JobManager.JobProgress(jobId, epoch, progress));
        }
        return this;
    }

    private Behavior<SupervisorEvent> onEvent(final RankEvent event) {
        if (!stale(event)) {
            manager.tell(new JobManager.JobEvent(jobId, epoch, "rank " + event.rank() + ": " + event.message()));
        }
        return this;
    }

    private Behavior<SupervisorEvent> onFinished(final RankFinished finished) {
        if (stale(finished) || finished.rank() < 0 || finished.rank() >= done.length) {
            return this;
        }
        done[finished.rank()] = true;
        lastStep = Math.max(lastStep, finished.step());
        if (!finished.succeeded()) {
            fail("rank " + finished.rank() + " (worker " + workers.get(finished.rank()).workerId() + ") failed at step "
                + finished.step() + ": " + finished.message());
        }
        return allDone() ? endAttempt() : this;
    }

    private Behavior<SupervisorEvent> onWorkerLost(final WorkerLost lost) {
        final String reason = "rank " + lost.rank() + " was lost: worker " + lost.workerId() + " left the cluster "
            + "(last step " + lastStep + ")";
        if (failure != null) {
            // the peers' collectives may have reported the loss first; say who it was all the same
            manager.tell(new JobManager.JobEvent(jobId, epoch, reason));
        }
        done[lost.rank()] = true;
        fail(reason);
        return allDone() ? endAttempt() : this;
    }

    private Behavior<SupervisorEvent> onCancel(final Cancel cancel) {
        if (!stale(cancel)) {
            cancelled = true;
            fail("cancelled: " + cancel.reason());
        }
        return allDone() ? endAttempt() : this;
    }

    /** The first failure of the attempt: stop every rank still running, and give them a while to say so. */
    private void fail(final String reason) {
        if (failure != null) {
            return;
        }
        failure = reason;
        manager.tell(new JobManager.JobEvent(jobId, epoch, reason));
        for (int rank = 0; rank < workers.size(); rank++) {
            if (!done[rank]) {
                workers.get(rank).agent().tell(new StopRank(jobId, epoch, reason));
            }
        }
        timers.startSingleTimer(new GraceOver(jobId, epoch), STOP_GRACE);
    }

    private boolean allDone() {
        for (final boolean rankDone : done) {
            if (!rankDone) {
                return false;
            }
        }
        return true;
    }

    private Behavior<SupervisorEvent> endAttempt() {
        final JobManager.Outcome outcome = cancelled ? JobManager.Outcome.CANCELLED
            : failure == null ? JobManager.Outcome.SUCCEEDED : JobManager.Outcome.FAILED;
        manager.tell(new JobManager.AttemptEnded(jobId, epoch, outcome, failure == null ? "all ranks finished"
            : failure, lastStep, workers.stream().map(WorkerDescription::agent).toList()));
        return Behaviors.stopped();
    }
}
