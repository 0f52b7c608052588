package dev.zeroshard.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;

import java.util.Set;

/**
 * The operator: the {@link ZeroClusterReconciler} and the {@link ZeroJobReconciler} on one Java Operator SDK
 * {@link Operator}, as {@link OperatorSettings} say (namespaces, coordinators, leader election).
 */
public final class ZeroshardOperator implements AutoCloseable {
    private final Operator operator;

    public ZeroshardOperator(final KubernetesClient client, final OperatorSettings settings) {
        operator = new Operator(o -> {
            o.withKubernetesClient(client).withCloseClientOnStop(false)
                .withUseSSAToPatchPrimaryResource(settings.serverSideApply());
            settings.leaderElection().ifPresent(o::withLeaderElectionConfiguration);
        });
        operator.register(new ZeroClusterReconciler(client), c -> watch(c, settings.namespaces()));
        operator.register(new ZeroJobReconciler(client, settings.locator(), settings.poll()),
            c -> watch(c, settings.namespaces()));
    }

    private static void watch(final ControllerConfigurationOverrider<?> c,
                              final Set<String> namespaces) {
        if (namespaces.isEmpty()) {
            c.watchingAllNamespaces();
        } else {
            c.settingNamespaces(namespaces);
        }
    }

    public ZeroshardOperator start() {
        operator.start();
        return this;
    }

    /** True once started and while every informer is connected: the operator's health endpoint. */
    public boolean healthy() {
        return operator.getRuntimeInfo().isStarted() && operator.getRuntimeInfo().allEventSourcesAreHealthy();
    }

    @Override
    public void close() {
        operator.stop();
    }
}
