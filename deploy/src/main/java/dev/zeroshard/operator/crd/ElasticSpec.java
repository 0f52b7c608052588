package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;

/** How a {@link ZeroJob} survives lost workers. */
public class ElasticSpec {
    @Min(1)
    @JsonPropertyDescription("Smallest world size the job may continue with (default: its world size, not elastic).")
    public Integer minWorkers;

    @Min(0)
    @JsonPropertyDescription("Restarts from a checkpoint before the job fails.")
    public Integer maxRestarts;
}
