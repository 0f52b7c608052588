package dev.zeroshard.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;

import java.time.Duration;
import java.util.Set;

/**
 * The operator: the {@link ZeroClusterReconciler} and the {@link ZeroJobReconciler} on one Java Operator SDK
 * {@link Operator}, watching the given namespaces (all when empty).
 */
public final class ZeroshardOperator implements AutoCloseable {
    private final Operator operator;

    /**
     * @param locator how the job reconciler reaches a cluster's coordinator.
     * @param poll    how often a running job's state is read.
     * @param serverSideApply whether status is written with server-side apply (Kubernetes' preferred way; the
     *                fabric8 mock API server of the tests does not support it).
     */
    public ZeroshardOperator(final KubernetesClient client, final Set<String> namespaces,
                             final CoordinatorLocator locator, final Duration poll, final boolean serverSideApply) {
        operator = new Operator(o -> o.withKubernetesClient(client).withCloseClientOnStop(false)
            .withUseSSAToPatchPrimaryResource(serverSideApply));
        operator.register(new ZeroClusterReconciler(client), c -> watch(c, namespaces));
        operator.register(new ZeroJobReconciler(client, locator, poll), c -> watch(c, namespaces));
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
