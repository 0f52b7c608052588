package dev.zeroshard.operator;

import dev.zeroshard.operator.crd.WorkerPoolSpec;
import dev.zeroshard.operator.crd.ZeroCluster;
import dev.zeroshard.operator.crd.ZeroClusterSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Helpers for tests against the fabric8 mock API server. */
final class MockApi {
    private MockApi() {
    }

    /** A ZeroCluster of {@code workers} workers with only what the schema requires. */
    static ZeroCluster cluster(final String namespace, final String name, final int workers) {
        final ZeroCluster cluster = new ZeroCluster();
        cluster.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        cluster.setSpec(new ZeroClusterSpec());
        cluster.getSpec().image = "zeroshard:0.1.0";
        cluster.getSpec().workers = new WorkerPoolSpec();
        cluster.getSpec().workers.replicas = workers;
        return cluster;
    }

    /** Silences the mock server's per-request INFO lines; keep the returned logger referenced. */
    static Logger quiet() {
        final Logger logger = Logger.getLogger("io.fabric8.mockwebserver");
        logger.setLevel(Level.WARNING);
        return logger;
    }

    /**
     * Changes a ZeroCluster's spec as {@code kubectl edit} would: read, change, write with the version read, and
     * again when the operator wrote its status in between (409 Conflict).
     */
    static void edit(final KubernetesClient client, final String name, final Consumer<ZeroCluster> change) {
        for (int attempt = 0; ; attempt++) {
            final ZeroCluster cluster = client.resources(ZeroCluster.class).inNamespace("training").withName(name)
                .get();
            change.accept(cluster);
            try {
                client.resource(cluster).update();
                return;
            } catch (final KubernetesClientException conflict) {
                if (conflict.getCode() != 409 || attempt >= 20) {
                    throw conflict;
                }
            }
        }
    }
}
