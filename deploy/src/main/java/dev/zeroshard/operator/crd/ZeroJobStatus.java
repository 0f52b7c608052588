package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/** The state of a {@link ZeroJob}, mirrored from its coordinator. */
public class ZeroJobStatus {
    @JsonPropertyDescription("The coordinator's job id, set once the job is submitted.")
    public String jobId;

    @JsonPropertyDescription("Submitting (not yet accepted), or the coordinator's state: Pending, Scheduling, "
        + "Running, Checkpointing, Recovering, Succeeded, Failed, Cancelled.")
    public String phase;

    @JsonPropertyDescription("Last completed optimizer step.")
    public Long step;

    @JsonPropertyDescription("Steps to train.")
    public Long maxSteps;

    @JsonPropertyDescription("Progress as a percentage of maxSteps, e.g. '42%'.")
    public String progress;

    @JsonPropertyDescription("Loss at the last step.")
    public String loss;

    @JsonPropertyDescription("Training throughput at the last step.")
    public Long tokensPerSecond;

    @JsonPropertyDescription("Estimated time to finish, e.g. '1h2m3s'.")
    public String eta;

    @JsonPropertyDescription("Directory of the last complete checkpoint.")
    public String lastCheckpoint;

    @JsonPropertyDescription("Restarts after lost workers so far.")
    public Integer restarts;

    @JsonPropertyDescription("The reason of the last transition, or why the job could not be submitted.")
    public String message;

    @JsonPropertyDescription("The generation of the spec this status describes.")
    public Long observedGeneration;

    @JsonPropertyDescription("The generation of the spec that was submitted; later changes do not reach the job.")
    public Long submittedGeneration;

    @JsonPropertyDescription("Ready, Progressing and Failed, with reasons.")
    public List<Condition> conditions = new ArrayList<>();
}
