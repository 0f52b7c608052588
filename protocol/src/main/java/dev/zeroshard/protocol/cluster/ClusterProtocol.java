package dev.zeroshard.protocol.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.receptionist.ServiceKey;

import java.util.List;

/**
 * The messages between the coordinator's job supervisors and the workers' agents. Every one carries the job and
 * its epoch (the attempt: a restart after a failure is a new epoch), so a receiver drops what a stale attempt sends.
 */
public final class ClusterProtocol {
    /** The key worker agents register under with the receptionist; the coordinator subscribes to it. */
    public static final ServiceKey<WorkerCommand> WORKER_KEY = ServiceKey.create(WorkerCommand.class,
        "zeroshard-worker");

    private ClusterProtocol() {
    }

    /** What a worker agent accepts. */
    public interface WorkerCommand extends ClusterMessage {
    }

    /** What a worker agent tells a job supervisor. */
    public interface SupervisorEvent extends ClusterMessage {
        String jobId();

        long epoch();
    }

    /**
     * Run rank {@code rank} of {@code worldSize} of a job: the ring of Aeron endpoints (host:port, rank order), the
     * job spec as JSON, and where to report.
     */
    public record StartRank(String jobId, long epoch, int rank, int worldSize, List<String> endpoints, String jobJson,
                            String runId, ActorRef<SupervisorEvent> replyTo) implements WorkerCommand {
        public StartRank {
            endpoints = List.copyOf(endpoints);
        }
    }

    /** Stop the rank of this job and epoch now (its collectives are aborted; peers learn it from the ring). */
    public record StopRank(String jobId, long epoch, String reason) implements WorkerCommand {
    }

    /** Say what this worker is and whether it is busy. */
    public record Describe(ActorRef<WorkerDescription> replyTo) implements WorkerCommand {
    }

    /** A worker: where its ranks listen for Aeron, its backend and size, and the job it serves ("" when free). */
    public record WorkerDescription(String workerId, String host, int aeronPort, String backend, long memoryBytes,
                                    int cores, String busyJobId, ActorRef<WorkerCommand> agent)
        implements ClusterMessage {
    }

    /** One optimizer step of a rank (rank 0 reports every step). */
    public record RankProgress(String jobId, long epoch, int rank, long step, double loss, double lr, double gradNorm,
                               double tokensPerS, double stepSeconds, double commWaitSeconds, long bytesSent)
        implements SupervisorEvent {
    }

    /** Something a rank wants in the job's event log (a checkpoint committed, a resume). */
    public record RankEvent(String jobId, long epoch, int rank, String message) implements SupervisorEvent {
    }

    /** A rank's loop ended: finished all steps, or failed (the message says why, naming a lost peer if one was). */
    public record RankFinished(String jobId, long epoch, int rank, boolean succeeded, String message, long step)
        implements SupervisorEvent {
    }
}
