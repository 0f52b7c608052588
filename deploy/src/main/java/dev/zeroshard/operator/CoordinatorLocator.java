package dev.zeroshard.operator;

import dev.zeroshard.operator.crd.ZeroCluster;

/** Where the operator reaches a cluster's REST API. */
@FunctionalInterface
public interface CoordinatorLocator {
    /** The base URL ({@code http://host:port}) of {@code cluster}'s coordinator. */
    String url(ZeroCluster cluster, ClusterPlan plan);

    /** Inside Kubernetes: the coordinator's Service by its DNS name. */
    static CoordinatorLocator inCluster() {
        return (cluster, plan) -> "http://" + ClusterNames.of(cluster).coordinator() + "."
            + cluster.getMetadata().getNamespace() + ".svc:" + plan.restPort();
    }

    /** One address for every cluster: an operator run outside Kubernetes, through a port-forward. */
    static CoordinatorLocator fixed(final String url) {
        return (cluster, plan) -> url;
    }
}
