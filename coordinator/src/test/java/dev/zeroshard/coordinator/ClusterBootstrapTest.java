package dev.zeroshard.coordinator;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import com.typesafe.config.ConfigFactory;
import dev.zeroshard.protocol.cluster.ClusterJoin;
import dev.zeroshard.protocol.cluster.ClusterSettings;
import dev.zeroshard.protocol.net.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cluster formation the way it runs in Kubernetes, in one JVM: a worker node and a coordinator node join through
 * Akka Management's Cluster Bootstrap ({@link ClusterJoin.Bootstrap}, no seed nodes). Only the discovery differs: the
 * config file that the operator would mount ({@code -Dconfig.file}) switches it from the Kubernetes API to Akka's
 * {@code config} discovery, which lists the coordinator's management endpoint.
 */
@Timeout(90)
class ClusterBootstrapTest {
    private static final String SERVICE = "zeroshard-test";
    private static final Duration FORMED_WITHIN = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void shouldFormOneClusterAroundTheCoordinatorAndAnswerHealthChecksWhenJoiningThroughBootstrap(
        @TempDir final Path dir) throws Exception {
        final int coordinatorManagement = FreePorts.tcp();
        final int workerManagement = FreePorts.tcp();
        final Path config = Files.writeString(dir.resolve("application.conf"), String.format(Locale.ROOT, """
            akka.discovery.method = config
            akka.discovery.config.services.%s.endpoints = [{host = "127.0.0.1", port = %d}]
            akka.management.cluster.bootstrap.contact-point-discovery {
              service-name = "%s"
              # the coordinator waits this long for discovery to settle before it forms the cluster (default 5 s)
              stable-margin = 1s
            }
            # the code's word wins: a worker never forms a cluster
            akka.management.cluster.bootstrap.new-cluster-enabled = on
            """, SERVICE, coordinatorManagement, SERVICE));
        System.setProperty("config.file", config.toString());
        ConfigFactory.invalidateCaches();
        ActorSystem<Void> worker = null;
        CoordinatorNode coordinator = null;
        try {
            worker = ClusterSettings.start(Behaviors.empty(), ClusterSettings.WORKER_ROLE, "127.0.0.1", 0,
                new ClusterJoin.Bootstrap(workerManagement), CoordinatorNode.DOWN_AFTER_MS);
            await("the worker's liveness").atMost(Duration.ofSeconds(10))
                .until(() -> status(workerManagement, ClusterJoin.LIVENESS_PATH) == 200);
            assertThat(status(workerManagement, ClusterJoin.READINESS_PATH))
                .as("a worker without its coordinator is not ready").isEqualTo(500);

            coordinator = CoordinatorNode.start("127.0.0.1", 0, new ClusterJoin.Bootstrap(coordinatorManagement),
                "127.0.0.1", 0, dir.resolve("data"), Optional.empty());

            final List<ActorSystem<?>> nodes = List.of(coordinator.system(), worker);
            await("both nodes Up in one cluster").atMost(FORMED_WITHIN).untilAsserted(() -> {
                for (final ActorSystem<?> node : nodes) {
                    assertThat(members(node)).hasSize(2).allMatch(m -> m.status() == MemberStatus.up());
                }
            });
            for (final ActorSystem<?> node : nodes) {
                final List<Member> members = members(node);
                final Member oldest = members.get(0).isOlderThan(members.get(1)) ? members.get(0) : members.get(1);
                assertThat(oldest.hasRole(ClusterSettings.COORDINATOR_ROLE)).as("the oldest member, seen from "
                    + Cluster.get(node).selfMember().address()).isTrue();
            }
            for (final int port : List.of(coordinatorManagement, workerManagement)) {
                await("readiness on " + port).atMost(Duration.ofSeconds(10))
                    .until(() -> status(port, ClusterJoin.READINESS_PATH) == 200);
                assertThat(status(port, ClusterJoin.LIVENESS_PATH)).isEqualTo(200);
            }
        } finally {
            if (worker != null) {
                worker.terminate();
                worker.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
            }
            if (coordinator != null) {
                coordinator.stop(Duration.ofSeconds(20));
            }
            System.clearProperty("config.file");
            ConfigFactory.invalidateCaches();
        }
    }

    private static List<Member> members(final ActorSystem<?> node) {
        return StreamSupport.stream(Cluster.get(node).state().getMembers().spliterator(), false).toList();
    }

    private int status(final int port, final String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (final IOException ex) {
            return -1;
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

}
