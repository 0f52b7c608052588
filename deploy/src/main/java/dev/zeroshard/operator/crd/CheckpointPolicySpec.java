package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;

/** When and where a {@link ZeroJob} saves checkpoints. */
public class CheckpointPolicySpec {
    @JsonPropertyDescription("Directory on the pods. Default: <cluster checkpoints.mountPath>/jobs/<namespace>/<job>.")
    public String dir;

    @Min(0)
    @JsonPropertyDescription("Save every this many steps; 0 (default) disables periodic saving.")
    public Integer saveEverySteps;

    @Min(0)
    @JsonPropertyDescription("Complete checkpoints to keep; 0 keeps all.")
    public Integer keepLast;

    @JsonPropertyDescription("'' (start fresh), 'latest', or the path of one checkpoint directory.")
    public String resume;
}
