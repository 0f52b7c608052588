package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * A training job: the fields of zeroshard's JobSpec (the body of {@code POST /v1/jobs}) in Kubernetes' camelCase.
 * The spec is submitted once; changing it afterwards has no effect on the running job (a condition says so).
 */
public class ZeroJobSpec {
    @Required
    @JsonPropertyDescription("The ZeroCluster (same namespace) that runs the job.")
    public ClusterReference clusterRef;

    @Required
    @PreserveUnknownFields
    @JsonPropertyDescription("The model: a Hugging Face GPT-2 config.json object (model_type, vocab_size, "
        + "n_positions, n_embd, n_layer, n_head, ...).")
    public JsonNode model;

    @JsonPropertyDescription("Training data; absent: the built-in 'patterns' dataset.")
    public DataSpec data;

    @PreserveUnknownFields
    @JsonPropertyDescription("The DeepSpeed config exactly as DeepSpeed reads it (train_micro_batch_size_per_gpu, "
        + "optimizer, scheduler, zero_optimization, bf16, ...).")
    public JsonNode deepspeed;

    @Required
    @Min(1)
    @JsonPropertyDescription("Number of optimizer steps to train.")
    public Long maxSteps;

    @JsonPropertyDescription("Seed of initialisation and data order (default 0).")
    public Long seed;

    @Min(1)
    @Max(4096)
    @JsonPropertyDescription("Number of data-parallel ranks, one per worker (default 1).")
    public Integer worldSize;

    @Pattern("^(auto|cpu|cuda)$")
    @JsonPropertyDescription("Compute backend: auto (default), cpu or cuda.")
    public String backend;

    @JsonPropertyDescription("Checkpoint policy.")
    public CheckpointPolicySpec checkpoint;

    @JsonPropertyDescription("What happens when a worker is lost.")
    public ElasticSpec elastic;
}
