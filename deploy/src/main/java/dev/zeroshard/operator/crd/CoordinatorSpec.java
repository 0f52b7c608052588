package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecretKeySelector;

/** The coordinator of a {@link ZeroCluster}: always one replica (the job registry has one writer). */
public class CoordinatorSpec {
    @JsonPropertyDescription("CPU and memory of the coordinator pod.")
    public ResourceRequirements resources;

    @Pattern("^(ClusterIP|NodePort|LoadBalancer)$")
    @JsonPropertyDescription("Type of the REST Service: ClusterIP (default), NodePort or LoadBalancer.")
    public String serviceType;

    @Min(1)
    @Max(65535)
    @JsonPropertyDescription("Port of the REST Service (default 8080).")
    public Integer port;

    @JsonPropertyDescription("Secret key holding the bearer token of the REST API. Default: the operator creates "
        + "a Secret <cluster>-auth with a random token under key 'token'.")
    public SecretKeySelector authTokenSecret;
}
