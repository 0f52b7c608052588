package dev.zeroshard.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zeroshard.operator.crd.ZeroCluster;
import dev.zeroshard.operator.crd.ZeroClusterSpec;
import dev.zeroshard.operator.crd.ZeroClusterStatus;
import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Keeps the objects of each {@link ZeroCluster} as its spec says ({@link ClusterResources}) and reports how they
 * are doing. Only the worker count may change while the cluster exists: a change to anything else is refused with
 * the {@code Progressing} condition naming the fields, and the cluster keeps running as first applied. The spec
 * that was applied is kept in an annotation of the cluster's ConfigMap, so the rule holds across operator
 * restarts.
 */
public final class ZeroClusterReconciler implements Reconciler<ZeroCluster>, Cleaner<ZeroCluster> {
    /** Annotation of the cluster's ConfigMap holding the spec the operator applied (JSON). */
    public static final String APPLIED_SPEC = "zeroshard.dev/applied-spec";
    private static final Duration POLL_STARTING = Duration.ofSeconds(5);
    private static final Duration POLL_READY = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final ResourceApplier applier;
    private final EventRecorder events;
    private final SecureRandom random = new SecureRandom();

    public ZeroClusterReconciler(final KubernetesClient client) {
        this.client = client;
        this.applier = new ResourceApplier(client);
        this.events = new EventRecorder(client);
    }

    @Override
    public UpdateControl<ZeroCluster> reconcile(final ZeroCluster cluster, final Context<ZeroCluster> context)
        throws JsonProcessingException {
        final ZeroClusterStatus status = cluster.getStatus() != null ? cluster.getStatus() : new ZeroClusterStatus();
        cluster.setStatus(status);
        final Long generation = cluster.getMetadata().getGeneration();
        status.observedGeneration = generation;
        final ClusterPlan requested;
        try {
            requested = ClusterPlan.of(cluster);
            checkReferences(cluster, requested);
        } catch (final ConfigException invalid) {
            return failed(cluster, "InvalidSpec", describe(invalid.errors()));
        }
        final ClusterNames names = ClusterNames.of(cluster);
        final ZeroClusterSpec applied = appliedSpec(cluster, names);
        ZeroClusterSpec effective = cluster.getSpec();
        ClusterPlan plan = requested;
        final List<String> refused = applied == null ? List.of() : refusedChanges(cluster, applied, requested);
        if (!refused.isEmpty()) {
            effective = JSON.readValue(JSON.writeValueAsString(applied), ZeroClusterSpec.class);
            effective.workers.replicas = cluster.getSpec().workers.replicas;
            plan = ClusterPlan.of(withSpec(cluster, effective));
        }
        Conditions.set(status.conditions, Conditions.FAILED, false, "SpecValid", "the spec is valid", generation);

        final ClusterResources resources = new ClusterResources(cluster, plan);
        if (plan.tokenSecretName().isEmpty() && applier.createIfAbsent(resources.authSecret(random))) {
            events.normal(cluster, "TokenCreated", "created Secret " + names.authSecret()
                + " with a random REST bearer token");
        }
        final ConfigMap config = resources.configMap();
        config.getMetadata().setAnnotations(Map.of(APPLIED_SPEC, JSON.writeValueAsString(effective)));
        boolean changed = applier.apply(config);
        for (final HasMetadata object : resources.all()) {
            if (!(object instanceof ConfigMap)) {
                changed |= applier.apply(object);
            }
        }
        if (changed) {
            events.normal(cluster, "Applied", "coordinator and " + plan.workers() + " worker(s) applied");
        }
        return observe(cluster, plan, names, refused);
    }

    /** Reads the coordinator's and the workers' readiness into the status. */
    private UpdateControl<ZeroCluster> observe(final ZeroCluster cluster, final ClusterPlan plan,
                                               final ClusterNames names, final List<String> refused) {
        final ZeroClusterStatus status = cluster.getStatus();
        final Long generation = cluster.getMetadata().getGeneration();
        final String namespace = cluster.getMetadata().getNamespace();
        final Deployment coordinator = client.apps().deployments().inNamespace(namespace)
            .withName(names.coordinator()).get();
        final StatefulSet workers = client.apps().statefulSets().inNamespace(namespace).withName(names.workers()).get();
        final boolean coordinatorReady = coordinator != null && coordinator.getStatus() != null
            && Objects.requireNonNullElse(coordinator.getStatus().getReadyReplicas(), 0) >= 1;
        final int readyWorkers = workers == null || workers.getStatus() == null ? 0
            : Objects.requireNonNullElse(workers.getStatus().getReadyReplicas(), 0);
        status.readyWorkers = readyWorkers;
        status.workerSelector = names.selector(ClusterNames.WORKER).entrySet().stream()
            .map(label -> label.getKey() + "=" + label.getValue()).sorted().collect(Collectors.joining(","));
        status.endpoint = "http://" + names.coordinator() + "." + namespace + ".svc:" + plan.restPort();
        final boolean ready = coordinatorReady && readyWorkers >= plan.workers();
        status.phase = ready ? "Ready" : coordinatorReady && readyWorkers > 0 ? "Degraded" : "Pending";
        Conditions.set(status.conditions, Conditions.READY, ready, ready ? "AllReady"
                : coordinatorReady ? "WorkersNotReady" : "CoordinatorNotReady",
            "coordinator " + (coordinatorReady ? "ready" : "not ready") + ", " + readyWorkers + "/" + plan.workers()
                + " workers ready", generation);
        if (!refused.isEmpty()) {
            final String message = "only spec.workers.replicas may change while the cluster exists; refused: "
                + String.join(", ", refused) + " (delete and recreate the ZeroCluster to change them)";
            if (!Conditions.find(status.conditions, Conditions.PROGRESSING)
                .map(c -> "SpecChangeRefused".equals(c.getReason()) && message.equals(c.getMessage())).orElse(false)) {
                events.warning(cluster, "SpecChangeRefused", message);
            }
            Conditions.set(status.conditions, Conditions.PROGRESSING, false, "SpecChangeRefused", message, generation);
        } else {
            Conditions.set(status.conditions, Conditions.PROGRESSING, !ready, ready ? "Reconciled" : "PodsStarting",
                ready ? "every pod is ready" : "waiting for pods to become ready", generation);
        }
        return UpdateControl.patchStatus(cluster).rescheduleAfter(ready ? POLL_READY : POLL_STARTING);
    }

    /** Objects the spec names must exist: the checkpoint claim, the token Secret. */
    private void checkReferences(final ZeroCluster cluster, final ClusterPlan plan) {
        final String namespace = cluster.getMetadata().getNamespace();
        final List<ConfigError> errors = new ArrayList<>();
        plan.checkpointClaim().ifPresent(claim -> {
            if (client.persistentVolumeClaims().inNamespace(namespace).withName(claim).get() == null) {
                errors.add(new ConfigError("spec.checkpoints.claimName", claim,
                    "no PersistentVolumeClaim of that name in namespace " + namespace));
            }
        });
        plan.tokenSecretName().ifPresent(secret -> {
            if (client.secrets().inNamespace(namespace).withName(secret).get() == null) {
                errors.add(new ConfigError("spec.coordinator.authTokenSecret.name", secret,
                    "no Secret of that name in namespace " + namespace));
            }
        });
        ConfigException.throwIfAny(errors);
    }

    private ZeroClusterSpec appliedSpec(final ZeroCluster cluster, final ClusterNames names)
        throws JsonProcessingException {
        final ConfigMap config = client.configMaps().inNamespace(cluster.getMetadata().getNamespace())
            .withName(names.config()).get();
        if (config == null || config.getMetadata().getAnnotations() == null
            || !config.getMetadata().getAnnotations().containsKey(APPLIED_SPEC)) {
            return null;
        }
        return JSON.readValue(config.getMetadata().getAnnotations().get(APPLIED_SPEC), ZeroClusterSpec.class);
    }

    /** The immutable fields whose requested value differs from the applied one, as "field: old -> new". */
    private static List<String> refusedChanges(final ZeroCluster cluster, final ZeroClusterSpec applied,
                                               final ClusterPlan requested) {
        final Map<String, String> before = ClusterPlan.of(withSpec(cluster, applied)).immutableFields();
        return requested.immutableFields().entrySet().stream()
            .filter(field -> !field.getValue().equals(before.get(field.getKey())))
            .map(field -> field.getKey() + ": " + before.get(field.getKey()) + " -> " + field.getValue())
            .collect(Collectors.toList());
    }

    private static ZeroCluster withSpec(final ZeroCluster cluster, final ZeroClusterSpec spec) {
        final ZeroCluster copy = new ZeroCluster();
        copy.setMetadata(cluster.getMetadata());
        copy.setSpec(spec);
        return copy;
    }

    private UpdateControl<ZeroCluster> failed(final ZeroCluster cluster, final String reason, final String message) {
        final ZeroClusterStatus status = cluster.getStatus();
        final Long generation = cluster.getMetadata().getGeneration();
        if (!Conditions.isTrue(status.conditions, Conditions.FAILED)
            || !Conditions.find(status.conditions, Conditions.FAILED).get().getMessage().equals(message)) {
            events.warning(cluster, reason, message);
        }
        status.phase = "Failed";
        Conditions.set(status.conditions, Conditions.FAILED, true, reason, message, generation);
        Conditions.set(status.conditions, Conditions.READY, false, reason, "the spec cannot be applied", generation);
        Conditions.set(status.conditions, Conditions.PROGRESSING, false, reason, message, generation);
        // a new spec triggers the next reconcile; references (claim, secret) may appear later: look again
        return UpdateControl.patchStatus(cluster).rescheduleAfter(POLL_READY);
    }

    static String describe(final List<ConfigError> errors) {
        return errors.stream().map(ConfigError::toString).collect(Collectors.joining("; "));
    }

    /**
     * Deletes what the cluster owns at once (the API server's garbage collector would, through the owner
     * references, but later and only where it runs). Volume claims named by the spec are the user's: kept.
     */
    @Override
    public DeleteControl cleanup(final ZeroCluster cluster, final Context<ZeroCluster> context) {
        final String namespace = cluster.getMetadata().getNamespace();
        final Map<String, String> owned = Map.of(ClusterNames.CLUSTER_LABEL, cluster.getMetadata().getName());
        client.apps().statefulSets().inNamespace(namespace).withLabels(owned).delete();
        client.apps().deployments().inNamespace(namespace).withLabels(owned).delete();
        client.services().inNamespace(namespace).withLabels(owned).delete();
        client.configMaps().inNamespace(namespace).withLabels(owned).delete();
        client.secrets().inNamespace(namespace).withLabels(owned).delete();
        client.rbac().roleBindings().inNamespace(namespace).withLabels(owned).delete();
        client.rbac().roles().inNamespace(namespace).withLabels(owned).delete();
        client.serviceAccounts().inNamespace(namespace).withLabels(owned).delete();
        events.normal(cluster, "Deleted", "deleted the coordinator, the workers and their configuration");
        return DeleteControl.defaultDelete();
    }
}
