package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

import java.util.List;
import java.util.Map;

/** The workers of a {@link ZeroCluster}: a StatefulSet, one worker JVM per pod. */
public class WorkerPoolSpec {
    @Required
    @Min(0)
    @Max(4096)
    @SpecReplicas
    @JsonPropertyDescription("Number of worker pods; may change while the cluster runs (kubectl scale zc NAME "
        + "--replicas N).")
    public Integer replicas;

    @JsonPropertyDescription("CPU, memory and accelerators (nvidia.com/gpu) of each worker pod.")
    public ResourceRequirements resources;

    @Pattern("^(auto|cpu|cuda)$")
    @JsonPropertyDescription("Compute backend: auto (default: CUDA where a GPU is present), cpu or cuda.")
    public String backend;

    @JsonPropertyDescription("Node labels the worker pods must match (e.g. a GPU node pool).")
    public Map<String, String> nodeSelector;

    @JsonPropertyDescription("Tolerations of the worker pods (e.g. nvidia.com/gpu:NoSchedule on tainted GPU nodes).")
    public List<Toleration> tolerations;

    @Min(1)
    @Max(1024)
    @JsonPropertyDescription("Compute threads per worker. Default: the pod's CPU limit, else its request, else 1.")
    public Integer threads;
}
