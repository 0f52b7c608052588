package dev.zeroshard.worker.agent;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import dev.zeroshard.protocol.cluster.ClusterJoin;
import dev.zeroshard.protocol.cluster.ClusterSettings;
import dev.zeroshard.protocol.net.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** Two real cluster nodes in this JVM: a coordinator-role node that stops gracefully, and a worker node. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CoordinatorWatchTest {
    private static final long DOWN_AFTER_MS = 3000;

    @Test
    void shouldDownTheWorkerSoItRejoinsWhenTheCoordinatorLeavesGracefully() throws Exception {
        final ClusterJoin.Seeds seeds = new ClusterJoin.Seeds(List.of("127.0.0.1:" + FreePorts.tcp()));
        final ActorSystem<Void> coordinator = coordinator(seeds);
        ActorSystem<Void> worker = null;
        try {
            worker = worker(seeds, "w0");
            awaitUp(worker, 2);

            // SIGTERM's path: coordinated shutdown, which leaves the cluster
            coordinator.terminate();
            coordinator.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);

            worker.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(CoordinatedShutdown.get(worker).getShutdownReason())
                .as("the reason the worker's loop rejoins on")
                .hasValueSatisfying(reason -> assertThat(reason).isInstanceOf(
                    CoordinatedShutdown.ClusterDowningReason$.class));
        } finally {
            coordinator.terminate();
            if (worker != null) {
                worker.terminate();
                worker.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void shouldLeaveTheWorkerUpWhenAnotherWorkerLeaves() throws Exception {
        final ClusterJoin.Seeds seeds = new ClusterJoin.Seeds(List.of("127.0.0.1:" + FreePorts.tcp()));
        final ActorSystem<Void> coordinator = coordinator(seeds);
        ActorSystem<Void> staying = null;
        ActorSystem<Void> leaving = null;
        try {
            staying = worker(seeds, "w0");
            leaving = worker(seeds, "w1");
            awaitUp(staying, 3);

            leaving.terminate();
            leaving.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            awaitUp(staying, 2);

            assertThat(staying.whenTerminated().isCompleted()).isFalse();
        } finally {
            for (final ActorSystem<Void> system : new ActorSystem[] {staying, leaving, coordinator}) {
                if (system != null) {
                    system.terminate();
                    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** A coordinator-role node, the first seed of {@code seeds} (no job manager: only its membership matters). */
    private static ActorSystem<Void> coordinator(final ClusterJoin.Seeds seeds) {
        final String[] hostPort = seeds.hostPorts().get(0).split(":");
        return ClusterSettings.start(Behaviors.empty(), ClusterSettings.COORDINATOR_ROLE, hostPort[0],
            Integer.parseInt(hostPort[1]), seeds, DOWN_AFTER_MS);
    }

    private static ActorSystem<Void> worker(final ClusterJoin seeds, final String id) {
        return WorkerNode.start("127.0.0.1", 0, seeds, new WorkerSettings(id, "127.0.0.1", 1, "cpu", 1),
            new WorkerSlot(), DOWN_AFTER_MS);
    }

    /** Waits until {@code node} sees exactly {@code members} members, all Up. */
    private static void awaitUp(final ActorSystem<?> node, final int members) throws InterruptedException {
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < until) {
            final List<akka.cluster.Member> seen = StreamSupport.stream(
                Cluster.get(node).state().getMembers().spliterator(), false).toList();
            if (seen.size() == members && seen.stream().allMatch(m -> m.status() == MemberStatus.up())) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(node + " did not see " + members + " members Up within 30 s: "
            + Cluster.get(node).state().getMembers());
    }
}
