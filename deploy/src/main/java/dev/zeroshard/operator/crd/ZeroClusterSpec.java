package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.LocalObjectReference;

import java.util.List;

/** What a {@link ZeroCluster} runs. Only {@code workers.replicas} may change while the cluster exists. */
public class ZeroClusterSpec {
    @Required
    @JsonPropertyDescription("Container image of zeroshard (runs as coordinator, worker or operator by argument). "
        + "Cannot change while the cluster exists.")
    public String image;

    @Pattern("^(Always|IfNotPresent|Never)$")
    @JsonPropertyDescription("Always, IfNotPresent (default) or Never.")
    public String imagePullPolicy;

    @JsonPropertyDescription("Secrets for pulling the image.")
    public List<LocalObjectReference> imagePullSecrets;

    @JsonPropertyDescription("The coordinator: REST endpoint, job registry, cluster singleton.")
    public CoordinatorSpec coordinator;

    @Required
    @JsonPropertyDescription("The worker pool.")
    public WorkerPoolSpec workers;

    @JsonPropertyDescription("Where checkpoints (and the coordinator's job registry) live: a PersistentVolumeClaim "
        + "mounted on every pod at the same path. Without it they live in the pods' ephemeral storage and a "
        + "restarted pod loses them.")
    public CheckpointStorageSpec checkpoints;

    @JsonPropertyDescription("Aeron (data plane) settings of the workers.")
    public AeronSpec aeron;
}
