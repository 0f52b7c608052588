package dev.zeroshard.cli;

import com.sun.net.httpserver.HttpServer;
import dev.zeroshard.operator.CoordinatorLocator;
import dev.zeroshard.operator.OperatorSettings;
import dev.zeroshard.operator.ZeroshardOperator;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code zeroshard operator}: the Kubernetes operator for ZeroCluster and ZeroJob resources; runs until stopped. */
@Command(name = "operator", mixinStandardHelpOptions = true,
    description = "Run the Kubernetes operator (ZeroCluster, ZeroJob), in a pod or, with --kubeconfig, outside.")
final class OperatorCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--kubeconfig", paramLabel = "FILE",
        description = "kubeconfig to use (default: in-cluster service account, else $KUBECONFIG or ~/.kube/config)")
    private Path kubeconfig;

    @Option(names = "--namespace", split = ",", paramLabel = "NS",
        description = "namespaces to watch (default: all)")
    private List<String> namespaces;

    @Option(names = "--health-port", defaultValue = "8081",
        description = "port of GET /healthz (default: ${DEFAULT-VALUE}; 0 disables it)")
    private int healthPort;

    @Option(names = "--coordinator-url", paramLabel = "URL",
        description = "reach every cluster's coordinator here instead of its Service's DNS name (an operator "
            + "outside Kubernetes, through kubectl port-forward)")
    private String coordinatorUrl;

    @Option(names = "--poll", defaultValue = "5", paramLabel = "SECONDS",
        description = "how often a running job's state is read (default: ${DEFAULT-VALUE})")
    private int pollSeconds;

    @Option(names = "--leader-election",
        description = "with several operator replicas: only the holder of Lease " + OperatorSettings.LEASE_NAME
            + " reconciles (in the namespace of --lease-namespace, default the operator's own)")
    private boolean leaderElection;

    @Option(names = "--lease-namespace", paramLabel = "NS",
        description = "namespace of the leader-election Lease (default: the pod's namespace, else the kubeconfig's)")
    private String leaseNamespace;

    @Override
    public Integer call() throws Exception {
        if (pollSeconds < 1) {
            throw new ParameterException(spec.commandLine(), "--poll=" + pollSeconds + ": must be >= 1 second");
        }
        final KubernetesClient client = new KubernetesClientBuilder().withConfig(config()).build();
        final CountDownLatch stopped = new CountDownLatch(1);
        OperatorSettings settings = OperatorSettings.inCluster(Duration.ofSeconds(pollSeconds))
            .withNamespaces(namespaces == null ? Set.of() : new HashSet<>(namespaces));
        if (coordinatorUrl != null) {
            settings = settings.withLocator(CoordinatorLocator.fixed(coordinatorUrl));
        }
        if (leaderElection) {
            settings = settings.withLeaderElection(new LeaderElectionConfiguration(OperatorSettings.LEASE_NAME,
                leaseNamespace(client)));
        }
        try (ZeroshardOperator operator = new ZeroshardOperator(client, settings).start()) {
            final HttpServer health = healthPort == 0 ? null : health(operator);
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "operator-shutdown"));
            spec.commandLine().getOut().printf("operator up: API server %s, namespaces %s%s%n",
                client.getMasterUrl(), namespaces == null ? "all" : namespaces,
                health == null ? "" : ", health at :" + health.getAddress().getPort() + "/healthz");
            spec.commandLine().getOut().flush();
            stopped.await();
            if (health != null) {
                health.stop(0);
            }
        } finally {
            client.close();
        }
        return 0;
    }

    /** --lease-namespace, else the namespace the client runs in (the pod's, or the kubeconfig context's). */
    private String leaseNamespace(final KubernetesClient client) {
        if (leaseNamespace != null) {
            return leaseNamespace;
        }
        final String own = client.getNamespace();
        if (own == null || own.isBlank()) {
            throw new ParameterException(spec.commandLine(),
                "--leader-election: no namespace known for the Lease; give --lease-namespace");
        }
        return own;
    }

    private Config config() throws IOException {
        if (kubeconfig == null) {
            return Config.autoConfigure(null);
        }
        if (!Files.isReadable(kubeconfig)) {
            throw new IllegalArgumentException("--kubeconfig=" + kubeconfig + ": no readable file there");
        }
        return Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
    }

    private HttpServer health(final ZeroshardOperator operator) throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress(healthPort), 0);
        server.createContext("/healthz", exchange -> {
            final boolean healthy = operator.healthy();
            final byte[] body = ("{\"status\":\"" + (healthy ? "ok" : "unhealthy") + "\"}")
                .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(healthy ? 200 : 503, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }
}
