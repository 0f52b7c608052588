package dev.zeroshard.operator;

import dev.zeroshard.operator.crd.ZeroCluster;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Names and labels of everything the operator creates for one {@link ZeroCluster}: one place, so that the
 * reconciler, the pods' discovery label selector and the cleanup agree.
 */
public final class ClusterNames {
    /** Label naming the ZeroCluster an object belongs to. */
    public static final String CLUSTER_LABEL = "zeroshard.dev/cluster";
    /** Label naming the part: {@link #COORDINATOR} or {@link #WORKER}. */
    public static final String COMPONENT_LABEL = "zeroshard.dev/component";
    public static final String COORDINATOR = "coordinator";
    public static final String WORKER = "worker";
    /** Akka's Kubernetes API discovery finds the coordinator pod by these labels (%s: the cluster's name). */
    public static final String DISCOVERY_SELECTOR = CLUSTER_LABEL + "=%s," + COMPONENT_LABEL + "=" + COORDINATOR;

    private final String cluster;

    public ClusterNames(final String cluster) {
        this.cluster = cluster;
    }

    public static ClusterNames of(final ZeroCluster cluster) {
        return new ClusterNames(cluster.getMetadata().getName());
    }

    public String cluster() {
        return cluster;
    }

    public String coordinator() {
        return cluster + "-coordinator";
    }

    /** The headless Service of the workers (stable DNS names {@code <cluster>-workers-K.<cluster>-workers}). */
    public String workers() {
        return cluster + "-workers";
    }

    public String config() {
        return cluster + "-config";
    }

    public String authSecret() {
        return cluster + "-auth";
    }

    public String serviceAccount() {
        return cluster + "-zeroshard";
    }

    public String podReaderRole() {
        return cluster + "-pod-reader";
    }

    /** Labels of every object of this cluster. */
    public Map<String, String> labels() {
        final Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", "zeroshard");
        labels.put("app.kubernetes.io/instance", cluster);
        labels.put("app.kubernetes.io/managed-by", "zeroshard-operator");
        labels.put(CLUSTER_LABEL, cluster);
        return labels;
    }

    /** Labels of one component's pods (and its selector). */
    public Map<String, String> selector(final String component) {
        return Map.of(CLUSTER_LABEL, cluster, COMPONENT_LABEL, component);
    }

    public Map<String, String> labels(final String component) {
        final Map<String, String> labels = labels();
        labels.put(COMPONENT_LABEL, component);
        labels.put("app.kubernetes.io/component", component);
        return labels;
    }
}
