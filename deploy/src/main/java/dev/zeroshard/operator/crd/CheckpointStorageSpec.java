package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A PersistentVolumeClaim mounted at the same path on the coordinator and every worker. */
public class CheckpointStorageSpec {
    @Required
    @JsonPropertyDescription("Name of a PersistentVolumeClaim in the cluster's namespace (ReadWriteMany when workers "
        + "run on several nodes).")
    public String claimName;

    @Pattern("^/.*")
    @JsonPropertyDescription("Mount path on every pod (default /checkpoints). A job's checkpoints go to "
        + "<mountPath>/jobs/<namespace>/<job> unless its spec names a directory; the registry to "
        + "<mountPath>/coordinator.")
    public String mountPath;
}
