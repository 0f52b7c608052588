package dev.zeroshard.coordinator;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.ClusterSingletonSettings;
import akka.cluster.typed.SingletonActor;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import dev.zeroshard.protocol.cluster.ClusterJoin;
import dev.zeroshard.protocol.cluster.ClusterSettings;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A coordinator JVM: a cluster node with role {@code coordinator} that hosts the {@link JobManager} singleton and
 * serves the REST API.
 *
 * @param system  the running actor system (terminate it to stop the node).
 * @param binding the REST server's address.
 */
public record CoordinatorNode(ActorSystem<Void> system, InetSocketAddress binding) {
    /** How long a node may be unreachable before the split-brain resolver downs it. */
    public static final long DOWN_AFTER_MS = 5_000;

    /**
     * Starts the node and waits until the REST server (and, where {@code join} has one, the management server) is
     * bound.
     *
     * @param join how to join: seed nodes (this node's own address when it starts a cluster), or Cluster Bootstrap,
     *             where this node forms the cluster that the workers join.
     */
    public static CoordinatorNode start(final String host, final int clusterPort, final ClusterJoin join,
                                        final String httpHost, final int httpPort, final Path dataDirectory,
                                        final Optional<String> token) throws Exception {
        if (token.isEmpty() && !InetAddress.getByName(httpHost).isLoopbackAddress()) {
            throw new IllegalArgumentException("the REST API would listen on " + httpHost + " without a bearer token: "
                + "give one (--auth-token-file or ZEROSHARD_AUTH_TOKEN) or bind to a loopback address");
        }
        // the job manager reads the registry again when the singleton starts; a damaged one must stop this node
        // now, not leave it up and healthy with a job manager that failed
        JobRegistry.open(dataDirectory);
        final CompletableFuture<ServerBinding> bound = new CompletableFuture<>();
        final ActorSystem<Void> system = ClusterSettings.start(Behaviors.setup(context -> {
            final ActorRef<JobManager.Command> manager = ClusterSingleton.get(context.getSystem()).init(
                SingletonActor.of(JobManager.create(dataDirectory), "job-manager")
                    .withSettings(ClusterSingletonSettings.create(context.getSystem())
                        .withRole(ClusterSettings.COORDINATOR_ROLE)));
            Http.get(context.getSystem()).newServerAt(httpHost, httpPort)
                .bind(new RestApi(manager, context.getSystem(), token).routes())
                .whenComplete((binding, failure) -> {
                    if (failure != null) {
                        bound.completeExceptionally(failure);
                    } else {
                        bound.complete(binding);
                    }
                });
            return Behaviors.empty();
        }), ClusterSettings.COORDINATOR_ROLE, host, clusterPort, join, DOWN_AFTER_MS);
        try {
            return new CoordinatorNode(system, bound.get(30, TimeUnit.SECONDS).localAddress());
        } catch (final Exception ex) {
            system.terminate();
            throw ex;
        }
    }

    /** Stops the node and waits for it (at most {@code timeout}). */
    public void stop(final Duration timeout) throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
