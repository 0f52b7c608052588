package dev.zeroshard.protocol.cluster;

import akka.actor.typed.ActorSystem;
import akka.management.cluster.bootstrap.ClusterBootstrap;
import akka.management.javadsl.AkkaManagement;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How a node finds its cluster: through fixed {@link Seeds seed nodes}, or through Akka Management's Cluster
 * Bootstrap with Kubernetes API discovery ({@link Bootstrap}). {@link ClusterSettings} layers the settings: what
 * {@link #overrides} returns wins over every config file, what {@link #defaults} returns only over the libraries'
 * {@code reference.conf}.
 */
public sealed interface ClusterJoin permits ClusterJoin.Seeds, ClusterJoin.Bootstrap {
    /** Akka Management's port when none is given: the container port named {@code management} in a pod. */
    int DEFAULT_MANAGEMENT_PORT = 8558;
    /**
     * The pods every node contacts in Kubernetes: the coordinator of its cluster, so only the coordinator can form
     * a cluster. {@code %s} is the bootstrap's service name
     * ({@code akka.management.cluster.bootstrap.contact-point-discovery.service-name}: the cluster's name).
     */
    String DEFAULT_POD_LABEL_SELECTOR = "zeroshard.dev/cluster=%s,zeroshard.dev/component=coordinator";
    /** Akka Management's readiness route: 200 once this node is an Up (or WeaklyUp) cluster member. */
    String READINESS_PATH = "/ready";
    /** Akka Management's liveness route: 200 while the actor system runs. */
    String LIVENESS_PATH = "/alive";

    /** Settings no config file may change: how this node joins (seed nodes, its management address, ...). */
    Config overrides(String role, String host);

    /** Defaults a config file ({@code -Dconfig.file=...}) or system property may change. */
    Config defaults();

    /** The port of this node's Akka Management HTTP server (health checks), if it runs one. */
    OptionalInt management();

    /**
     * Starts what joining needs once {@code system} runs: Akka Management, and Cluster Bootstrap where it is used.
     * Waits at most {@code timeout} for the management server to bind.
     *
     * @throws IllegalStateException when it does not bind.
     */
    default void start(final ActorSystem<?> system, final Duration timeout) {
        if (management().isPresent()) {
            awaitBound(AkkaManagement.get(system).start().toCompletableFuture(), management().getAsInt(), timeout);
        }
    }

    /**
     * Joins through seed nodes ({@code akka.cluster.seed-nodes}); the first seed that answers is contacted, and a
     * node that is its own first seed starts a cluster.
     *
     * @param hostPorts  host:port of the seed nodes (the coordinator's cluster address).
     * @param management the port where Akka Management serves the health checks; empty: none.
     */
    record Seeds(List<String> hostPorts, OptionalInt management) implements ClusterJoin {
        public Seeds {
            hostPorts = List.copyOf(hostPorts);
            if (hostPorts.isEmpty()) {
                throw new IllegalArgumentException("seeds: give at least one HOST:PORT (the coordinator's cluster "
                    + "address)");
            }
            for (final String hostPort : hostPorts) {
                checkHostPort(hostPort);
            }
            management.ifPresent(port -> checkPort("management port", port));
        }

        /** Seed nodes, no management server. */
        public Seeds(final List<String> hostPorts) {
            this(hostPorts, OptionalInt.empty());
        }

        @Override
        public Config overrides(final String role, final String host) {
            final Config seeds = ConfigFactory.empty().withValue("akka.cluster.seed-nodes", ConfigValueFactory
                .fromIterable(hostPorts.stream().map(seed -> "akka://" + ClusterSettings.SYSTEM_NAME + "@" + seed)
                    .toList()));
            return management.isPresent() ? seeds.withFallback(managementServer(host, management.getAsInt())) : seeds;
        }

        @Override
        public Config defaults() {
            return ConfigFactory.empty();
        }
    }

    /**
     * Joins through Akka Management's Cluster Bootstrap: no seed nodes; the node serves Akka Management on
     * {@code host:managementPort} (bound to every interface, so probes reach it), discovers the contact points
     * (by default through the Kubernetes API: the pods labelled {@link #DEFAULT_POD_LABEL_SELECTOR}, one is enough)
     * and asks them for the cluster's seed nodes. Only the coordinator role may form a new cluster, so the
     * coordinator is the oldest member, which the keep-oldest split-brain resolver relies on; a worker waits until
     * the coordinator's cluster exists.
     */
    record Bootstrap(int managementPort) implements ClusterJoin {
        public Bootstrap {
            checkPort("management port", managementPort);
        }

        @Override
        public OptionalInt management() {
            return OptionalInt.of(managementPort);
        }

        @Override
        public Config overrides(final String role, final String host) {
            return ConfigFactory.parseMap(Map.of(
                    "akka.cluster.seed-nodes", List.of(),
                    "akka.management.cluster.bootstrap.new-cluster-enabled",
                    ClusterSettings.COORDINATOR_ROLE.equals(role)))
                .withFallback(managementServer(host, managementPort));
        }

        @Override
        public Config defaults() {
            return ConfigFactory.parseMap(Map.of(
                "akka.discovery.method", "kubernetes-api",
                "akka.discovery.kubernetes-api.pod-label-selector", DEFAULT_POD_LABEL_SELECTOR,
                "akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr", 1));
        }

        @Override
        public void start(final ActorSystem<?> system, final Duration timeout) {
            ClusterJoin.super.start(system, timeout);
            ClusterBootstrap.get(system).start();
        }
    }

    /**
     * Akka Management HTTP on {@code host:port} as others reach it (the contact point Cluster Bootstrap compares
     * with what discovery returns), bound to every interface.
     */
    private static Config managementServer(final String host, final int port) {
        return ConfigFactory.parseMap(Map.of(
            "akka.management.http.hostname", host,
            "akka.management.http.port", port,
            "akka.management.http.bind-hostname", "0.0.0.0",
            "akka.management.http.bind-port", port));
    }

    private static void awaitBound(final CompletableFuture<?> bound, final int port,
                                   final Duration timeout) {
        try {
            bound.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException ex) {
            throw new IllegalStateException("Akka Management could not listen on port " + port + ": "
                + ex.getCause().getMessage(), ex.getCause());
        } catch (final TimeoutException ex) {
            throw new IllegalStateException("Akka Management did not bind port " + port + " within "
                + timeout.toSeconds() + " s", ex);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while Akka Management bound port " + port, ex);
        }
    }

    private static void checkHostPort(final String hostPort) {
        final int colon = hostPort.lastIndexOf(':');
        final int port;
        try {
            port = colon > 0 ? Integer.parseInt(hostPort.substring(colon + 1)) : -1;
        } catch (final NumberFormatException ex) {
            throw new IllegalArgumentException("seed '" + hostPort + "' is not HOST:PORT", ex);
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("seed '" + hostPort + "' is not HOST:PORT with a port in 1..65535");
        }
    }

    private static void checkPort(final String what, final int port) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException(what + "=" + port + " is not in 1..65535 (Cluster Bootstrap announces "
                + "it to others, so it cannot be 0)");
        }
    }
}
