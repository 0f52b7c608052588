package dev.zeroshard.cli;

import dev.zeroshard.protocol.cluster.ClusterJoin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How {@code zeroshard coordinator} and {@code zeroshard worker} join their cluster, as a picocli mixin:
 * {@code --discovery seeds} (default) with {@code --seed}, or {@code --discovery kubernetes} (Akka Management's
 * Cluster Bootstrap through the Kubernetes API), and {@code --management-port} for the health checks.
 */
final class ClusterJoinOptions {
    /** The values of {@code --discovery}. */
    static final String SEEDS = "seeds";
    static final String KUBERNETES = "kubernetes";

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--discovery", defaultValue = SEEDS, paramLabel = "seeds|kubernetes",
        description = "how to find the cluster: seeds (the --seed nodes) or kubernetes (Akka Cluster Bootstrap: the "
            + "coordinator pod of this cluster, found through the Kubernetes API; see docs/cluster.md) "
            + "(default: ${DEFAULT-VALUE})")
    private String discovery;

    @Option(names = "--seed", split = ",", paramLabel = "HOST:PORT",
        description = "seed nodes, with --discovery seeds (the coordinator's cluster address)")
    private List<String> seeds;

    @Option(names = "--management-port", paramLabel = "PORT",
        description = "port of Akka Management (health checks GET /ready and /alive; Cluster Bootstrap) on every "
            + "interface (default: " + ClusterJoin.DEFAULT_MANAGEMENT_PORT + " with --discovery kubernetes; none "
            + "with seeds)")
    private Integer managementPort;

    /**
     * The way to join these options give.
     *
     * @param ownSeed the seed when {@code --discovery seeds} comes without {@code --seed} (the coordinator's own
     *                address); empty: {@code --seed} is required.
     * @throws ParameterException for a combination that does not work, naming the options.
     */
    ClusterJoin join(final Optional<String> ownSeed) {
        try {
            return switch (discovery) {
                case SEEDS -> seedsJoin(ownSeed);
                case KUBERNETES -> {
                    if (seeds != null) {
                        throw new ParameterException(spec.commandLine(), "--seed cannot be combined with "
                            + "--discovery kubernetes: the Kubernetes API finds the coordinator");
                    }
                    yield new ClusterJoin.Bootstrap(managementPort != null ? managementPort
                        : ClusterJoin.DEFAULT_MANAGEMENT_PORT);
                }
                default -> throw new ParameterException(spec.commandLine(), "--discovery=" + discovery
                    + " is not one of: " + SEEDS + ", " + KUBERNETES);
            };
        } catch (final IllegalArgumentException invalid) {
            throw new ParameterException(spec.commandLine(), invalid.getMessage(), invalid);
        }
    }

    private ClusterJoin seedsJoin(final Optional<String> ownSeed) {
        if (seeds == null && ownSeed.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give --seed HOST:PORT (the coordinator's cluster "
                + "address), or --discovery " + KUBERNETES + " in Kubernetes");
        }
        return new ClusterJoin.Seeds(seeds != null ? seeds : List.of(ownSeed.get()),
            managementPort != null ? OptionalInt.of(managementPort) : OptionalInt.empty());
    }

    /** What the node says when it is up: how it joins, and where its health checks are. */
    String describe(final ClusterJoin join, final String host) {
        final String how = join instanceof ClusterJoin.Seeds seedsJoin ? "seeds " + String.join(",",
            seedsJoin.hostPorts()) : "kubernetes bootstrap";
        return join.management().isPresent() ? how + ", health at http://" + host + ":"
            + join.management().getAsInt() + ClusterJoin.READINESS_PATH : how;
    }
}
