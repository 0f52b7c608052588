package dev.zeroshard.cli;

import dev.zeroshard.coordinator.CoordinatorNode;
import dev.zeroshard.protocol.cluster.ClusterJoin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code zeroshard coordinator}: the coordinator node (job manager and REST API); runs until stopped. */
@Command(name = "coordinator", mixinStandardHelpOptions = true,
    description = "Run a coordinator node: the job manager (cluster singleton) and the REST API.")
final class CoordinatorCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "cluster address (default: ${DEFAULT-VALUE})")
    private String host;

    @Option(names = "--port", defaultValue = "25520", description = "cluster port (default: ${DEFAULT-VALUE})")
    private int port;

    /** --discovery, --seed (default: this node, which then starts the cluster), --management-port. */
    @Mixin
    private ClusterJoinOptions cluster;

    @Option(names = "--http-host", defaultValue = "127.0.0.1", description = "REST address (default: ${DEFAULT-VALUE})")
    private String httpHost;

    @Option(names = "--http-port", defaultValue = "8080", description = "REST port (default: ${DEFAULT-VALUE})")
    private int httpPort;

    @Option(names = "--data-dir", required = true, paramLabel = "DIR",
        description = "the durable job registry and default checkpoint root")
    private Path dataDir;

    @Option(names = "--auth-token-file", paramLabel = "FILE",
        description = "bearer token required on every route but /healthz (default: $ZEROSHARD_AUTH_TOKEN; needed "
            + "when --http-host is not a loopback address)")
    private Path tokenFile;

    @Override
    public Integer call() throws Exception {
        final ClusterJoin join = cluster.join(Optional.of(host + ":" + port));
        final CoordinatorNode node = CoordinatorNode.start(host, port, join, httpHost, httpPort, dataDir,
            RestClient.token(tokenFile));
        spec.commandLine().getOut().printf("coordinator up: cluster %s:%d (%s), REST at http://%s:%d, data in %s%n",
            host, port, cluster.describe(join, host), node.binding().getHostString(), node.binding().getPort(),
            dataDir.toAbsolutePath());
        spec.commandLine().getOut().flush();
        node.system().getWhenTerminated().toCompletableFuture().get();
        return 0;
    }
}
