package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;

import java.util.ArrayList;
import java.util.List;

/** What the operator observed of a {@link ZeroCluster}. */
public class ZeroClusterStatus {
    @JsonPropertyDescription("Pending (pods starting), Ready (coordinator and every worker ready), Degraded (some "
        + "workers not ready) or Failed (the spec cannot be applied; see the Failed condition).")
    public String phase;

    @StatusReplicas
    @JsonPropertyDescription("Worker pods that are ready.")
    public Integer readyWorkers;

    @LabelSelector
    @JsonPropertyDescription("Label selector of the worker pods (the scale subresource's selector).")
    public String workerSelector;

    @JsonPropertyDescription("URL of the coordinator's REST API inside the Kubernetes cluster.")
    public String endpoint;

    @JsonPropertyDescription("The generation of the spec this status describes.")
    public Long observedGeneration;

    @JsonPropertyDescription("Ready, Progressing and Failed, with reasons.")
    public List<Condition> conditions = new ArrayList<>();
}
