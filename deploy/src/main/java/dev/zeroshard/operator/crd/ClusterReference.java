package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** The {@link ZeroCluster} a {@link ZeroJob} runs on, in the job's namespace. */
public class ClusterReference {
    @Required
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    @JsonPropertyDescription("Name of the ZeroCluster.")
    public String name;

    public ClusterReference() {
    }

    public ClusterReference(final String name) {
        this.name = name;
    }
}
