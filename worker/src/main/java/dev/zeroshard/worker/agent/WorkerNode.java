package dev.zeroshard.worker.agent;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import dev.zeroshard.protocol.cluster.ClusterJoin;
import dev.zeroshard.protocol.cluster.ClusterSettings;

/** A worker JVM: a cluster node with role {@code worker} running one {@link WorkerAgent}. */
public final class WorkerNode {
    private WorkerNode() {
    }

    /**
     * Starts the node; it joins the cluster by {@code join}: through seed nodes (the coordinator's cluster address),
     * or through Cluster Bootstrap, where it waits for the coordinator's cluster (a worker never forms one).
     */
    public static ActorSystem<Void> start(final String host, final int clusterPort, final ClusterJoin join,
                                          final WorkerSettings settings, final WorkerSlot slot,
                                          final long downAfterMs) {
        return ClusterSettings.start(Behaviors.setup(context -> {
            context.spawn(WorkerAgent.create(settings, slot), "agent");
            context.spawn(CoordinatorWatch.create(), "coordinator-watch");
            return Behaviors.empty();
        }), ClusterSettings.WORKER_ROLE, host, clusterPort, join, downAfterMs);
    }
}
