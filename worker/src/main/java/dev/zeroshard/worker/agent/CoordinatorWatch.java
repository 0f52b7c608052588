package dev.zeroshard.worker.agent;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Down;
import akka.cluster.typed.Subscribe;
import dev.zeroshard.protocol.cluster.ClusterSettings;

/**
 * Downs this worker when the coordinator leaves its cluster, so that the worker joins the next coordinator's.
 *
 * <p>A coordinator that crashes is unreachable, and the split-brain resolver (keep-oldest) downs the workers on
 * the side without it; each then rejoins. A coordinator that stops gracefully (SIGTERM, a rolling update) leaves
 * instead: it is removed, nothing is unreachable, and the workers would stay, on their own, in a cluster no
 * coordinator will join again. Downing itself here gives a worker the same exit as a crash would.
 */
final class CoordinatorWatch {
    private CoordinatorWatch() {
    }

    static Behavior<ClusterEvent.MemberRemoved> create() {
        return Behaviors.setup(context -> {
            final Cluster cluster = Cluster.get(context.getSystem());
            cluster.subscriptions().tell(Subscribe.create(context.getSelf(), ClusterEvent.MemberRemoved.class));
            return Behaviors.receiveMessage(removed -> {
                if (removed.member().hasRole(ClusterSettings.COORDINATOR_ROLE)) {
                    context.getLog().warn("the coordinator {} left the cluster; downing this worker to rejoin",
                        removed.member().address());
                    cluster.manager().tell(new Down(cluster.selfMember().address()));
                }
                return Behaviors.same();
            });
        });
    }
}
