package dev.zeroshard.worker.agent;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.receptionist.Receptionist;
import dev.zeroshard.protocol.cluster.ClusterProtocol;
import dev.zeroshard.protocol.cluster.ClusterProtocol.Describe;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankFinished;
import dev.zeroshard.protocol.cluster.ClusterProtocol.StartRank;
import dev.zeroshard.protocol.cluster.ClusterProtocol.StopRank;
import dev.zeroshard.protocol.cluster.ClusterProtocol.WorkerCommand;
import dev.zeroshard.protocol.cluster.ClusterProtocol.WorkerDescription;

/**
 * One per worker JVM: registers with the receptionist, says what the worker is, and runs at most one rank at a
 * time on a thread of its own ({@link RankRun}), never on the actor's dispatcher. Commands of another job or an
 * older epoch than the running one are answered or dropped, never applied to the wrong run.
 */
public final class WorkerAgent extends AbstractBehavior<WorkerCommand> {
    /** The rank's thread ended (sent by the thread itself). */
    private record RunEnded(RankRun run) implements WorkerCommand {
    }

    private final WorkerSettings settings;
    private final WorkerSlot slot;

    private WorkerAgent(final ActorContext<WorkerCommand> context, final WorkerSettings settings,
                        final WorkerSlot slot) {
        super(context);
        this.settings = settings;
        this.slot = slot;
        context.getSystem().receptionist().tell(Receptionist.register(ClusterProtocol.WORKER_KEY, context.getSelf()));
    }

    /** An agent for the rank slot of this JVM (shared by every agent the JVM starts, one after another). */
    public static Behavior<WorkerCommand> create(final WorkerSettings settings, final WorkerSlot slot) {
        return Behaviors.setup(context -> new WorkerAgent(context, settings, slot));
    }

    @Override
    public Receive<WorkerCommand> createReceive() {
        return newReceiveBuilder()
            .onMessage(StartRank.class, this::onStartRank)
            .onMessage(StopRank.class, this::onStopRank)
            .onMessage(Describe.class, this::onDescribe)
            .onMessage(RunEnded.class, this::onRunEnded)
            .build();
    }

    private Behavior<WorkerCommand> onStartRank(final StartRank start) {
        final RankRun current = slot.current();
        if (current != null) {
            if (current.jobId().equals(start.jobId()) && current.epoch() >= start.epoch()) {
                getContext().getLog().info("ignoring a repeated start of job {} epoch {}", start.jobId(),
                    start.epoch());
                return this;
            }
            start.replyTo().tell(new RankFinished(start.jobId(), start.epoch(), start.rank(), false, "worker "
                + settings.workerId() + " is busy with job " + current.jobId() + " (epoch " + current.epoch() + ")",
                0));
            return this;
        }
        final ActorRef<WorkerCommand> self = getContext().getSelf();
        slot.occupy(RankRun.start(start, settings, getContext().getLog(), run -> {
            slot.release(run);
            self.tell(new RunEnded(run));
        }));
        getContext().getLog().info("job {} epoch {}: running rank {} of {}", start.jobId(), start.epoch(),
            start.rank(), start.worldSize());
        return this;
    }

    private Behavior<WorkerCommand> onStopRank(final StopRank stop) {
        final RankRun current = slot.current();
        if (current != null && current.jobId().equals(stop.jobId()) && current.epoch() <= stop.epoch()) {
            getContext().getLog().info("job {} epoch {}: stopping ({})", stop.jobId(), stop.epoch(), stop.reason());
            current.stop(stop.reason());
        }
        return this;
    }

    private Behavior<WorkerCommand> onDescribe(final Describe describe) {
        describe.replyTo().tell(new WorkerDescription(settings.workerId(), settings.host(), settings.aeronPort(),
            settings.backend(), Runtime.getRuntime().maxMemory(), settings.threads(),
            slot.current() == null ? "" : slot.current().jobId(), getContext().getSelf()));
        return this;
    }

    private Behavior<WorkerCommand> onRunEnded(final RunEnded ended) {
        getContext().getLog().info("job {} epoch {}: rank ended", ended.run().jobId(), ended.run().epoch());
        return this;
    }
}
