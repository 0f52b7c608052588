package dev.zeroshard.worker.agent;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import dev.zeroshard.protocol.cluster.ClusterSettings;

import java.util.List;

/** A worker JVM: a cluster node with role {@code worker} running one {@link WorkerAgent}. */
public final class WorkerNode {
    private WorkerNode() {
    }

    /** Starts the node; it joins the cluster through {@code seeds} (host:port). */
    public static ActorSystem<Void> start(final String host, final int clusterPort, final List<String> seeds,
                                          final WorkerSettings settings, final WorkerSlot slot,
                                          final long downAfterMs) {
        return ActorSystem.create(Behaviors.setup(context -> {
            context.spawn(WorkerAgent.create(settings, slot), "agent");
            return Behaviors.empty();
        }), ClusterSettings.SYSTEM_NAME, ClusterSettings.of(ClusterSettings.WORKER_ROLE, host, clusterPort, seeds,
            downAfterMs));
    }
}
