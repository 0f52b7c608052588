package dev.zeroshard.operator.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The schema validator refuses what the API server refuses, and says where. */
class StructuralSchemaValidatorTest {
    private static final Path GENERATED = RepositoryFiles.root().resolve("deploy/target/classes/META-INF/fabric8");
    private static final YAMLMapper YAML = new YAMLMapper();

    private static final String CLUSTER = """
        apiVersion: zeroshard.dev/v1alpha1
        kind: ZeroCluster
        metadata:
          name: test
        spec:
          image: zeroshard:0.1.0
          imagePullPolicy: IfNotPresent
          imagePullSecrets:
            - name: registry
          workers:
            replicas: 2
            resources:
              limits:
                cpu: "2"
                memory: 2Gi
                nvidia.com/gpu: 1
          checkpoints:
            claimName: data
          aeron:
            shmSize: 1Gi
        """;

    private static final String JOB = """
        apiVersion: zeroshard.dev/v1alpha1
        kind: ZeroJob
        metadata:
          name: test
        spec:
          clusterRef:
            name: test
          model:
            model_type: gpt2
            n_layer: 2
            anything_hugging_face_writes: [1, 2]
          deepspeed:
            zero_optimization:
              stage: 2
          maxSteps: 10
        """;

    private final StructuralSchemaValidator clusters = validator("zeroclusters.zeroshard.dev-v1.yml");
    private final StructuralSchemaValidator jobs = validator("zerojobs.zeroshard.dev-v1.yml");

    private static StructuralSchemaValidator validator(final String crdFile) {
        return StructuralSchemaValidator.forCrd(RepositoryFiles.single(GENERATED.resolve(crdFile)), "v1alpha1");
    }

    private static ObjectNode parse(final String yaml) throws IOException {
        return (ObjectNode)YAML.readTree(yaml);
    }

    private static ObjectNode spec(final ObjectNode resource) {
        return (ObjectNode)resource.get("spec");
    }

    @Test
    void shouldAcceptValidResourcesWithQuantitiesAndFreeFormObjects() throws IOException {
        assertThat(clusters.validate(parse(CLUSTER))).isEmpty();
        assertThat(jobs.validate(parse(JOB))).isEmpty();
    }

    @Test
    void shouldRefuseWrongTypeNamingThePath() throws IOException {
        final ObjectNode cluster = parse(CLUSTER);
        ((ObjectNode)spec(cluster).get("workers")).put("replicas", "two");

        assertThat(clusters.validate(cluster)).containsExactly(
            "spec.workers.replicas: must be of type integer, got string \"two\"");
    }

    @Test
    void shouldRefuseFractionalIntegerButAcceptIntegralNumber() throws IOException {
        final ObjectNode cluster = parse(CLUSTER);
        ((ObjectNode)spec(cluster).get("workers")).put("replicas", 1.5);
        assertThat(clusters.validate(cluster)).containsExactly(
            "spec.workers.replicas: must be of type integer, got number 1.5");

        ((ObjectNode)spec(cluster).get("workers")).put("replicas", 2.0);
        assertThat(clusters.validate(cluster)).isEmpty();
    }

    @Test
    void shouldRefuseMissingRequiredFieldsNamingEach() throws IOException {
        final ObjectNode cluster = parse(CLUSTER);
        spec(cluster).remove("image");
        ((ObjectNode)spec(cluster).get("workers")).remove("replicas");
        ((ObjectNode)spec(cluster).get("checkpoints")).remove("claimName");

        assertThat(clusters.validate(cluster)).containsExactlyInAnyOrder(
            "spec.image: required", "spec.workers.replicas: required", "spec.checkpoints.claimName: required");
    }

    @Test
    void shouldRefusePatternViolation() throws IOException {
        final ObjectNode cluster = parse(CLUSTER);
        spec(cluster).put("imagePullPolicy", "Sometimes");

        assertThat(clusters.validate(cluster)).containsExactly(
            "spec.imagePullPolicy: string \"Sometimes\" does not match the pattern ^(Always|IfNotPresent|Never)$");
    }

    @Test
    void shouldRefuseUnknownFieldListingTheKnownOnes() throws IOException {
        final ObjectNode cluster = parse(CLUSTER);
        ((ObjectNode)spec(cluster).get("workers")).put("replica", 2);

        assertThat(clusters.validate(cluster)).singleElement().asString()
            .startsWith("spec.workers.replica: unknown field (known here: backend, nodeSelector, replicas, resources");
    }

    @Test
    void shouldRefuseValuesOutsideMinimumAndMaximum() throws IOException {
        final ObjectNode cluster = parse(CLUSTER);
        ((ObjectNode)spec(cluster).get("workers")).put("replicas", 5000);
        ((ObjectNode)spec(cluster).get("aeron")).put("termLength", 1024);

        assertThat(clusters.validate(cluster)).containsExactlyInAnyOrder(
            "spec.workers.replicas: 5000 is above the maximum 4096",
            "spec.aeron.termLength: 1024 is below the minimum 65536");
    }

    @Test
    void shouldRefuseIntOrStringOfAnotherType() throws IOException {
        final ObjectNode cluster = parse(CLUSTER);
        ((ObjectNode)spec(cluster).get("aeron")).put("shmSize", true);
        ((ObjectNode)spec(cluster).at("/workers/resources/limits")).put("cpu", 1.5);

        assertThat(clusters.validate(cluster)).containsExactlyInAnyOrder(
            "spec.aeron.shmSize: must be an integer or a string, got boolean true",
            "spec.workers.resources.limits.cpu: must be an integer or a string, got number 1.5");
    }

    @Test
    void shouldCheckArrayItemsNamingTheIndex() throws IOException {
        final ObjectNode cluster = parse(CLUSTER);
        spec(cluster).withArray("imagePullSecrets").addObject().put("name", 7);
        spec(cluster).put("image", (String)null);

        assertThat(clusters.validate(cluster)).containsExactlyInAnyOrder(
            "spec.imagePullSecrets[1].name: must be of type string, got integer 7",
            "spec.image: must not be null");
    }

    @Test
    void shouldAcceptAnythingUnderPreserveUnknownFieldsButNotBesideIt() throws IOException {
        final ObjectNode job = parse(JOB);
        ((ObjectNode)spec(job).get("deepspeed")).putObject("any").put("thing", "goes");
        spec(job).put("maxStep", 10);

        assertThat(jobs.validate(job)).singleElement().asString()
            .startsWith("spec.maxStep: unknown field (known here: ").contains("maxSteps");
    }

    @Test
    void shouldRefuseUnknownTopLevelFieldAndInvalidName() throws IOException {
        final ObjectNode cluster = parse(CLUSTER);
        cluster.putObject("sepc");
        ((ObjectNode)cluster.get("metadata")).put("name", "Demo_Cluster");

        assertThat(clusters.validate(cluster)).containsExactlyInAnyOrder(
            "sepc: unknown field (known here: spec, status)",
            "metadata.name: string \"Demo_Cluster\" is not a DNS subdomain (lower-case letters, digits, '-' and '.', "
                + "at most 253 characters)");
    }

    @Test
    void shouldHonourExclusiveBoundsEnumAndLengthsOfHandWrittenSchema() throws IOException {
        final JsonNode schema = YAML.readTree("""
            type: object
            properties:
              ratio: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 1}
              mode: {type: string, enum: [fast, safe], maxLength: 4}
              tags: {type: array, maxItems: 1, items: {type: string, minLength: 2}}
              labels: {type: object, additionalProperties: {type: string}}
            """);
        final JsonNode resource = YAML.readTree("""
            metadata: {name: x}
            ratio: 0
            mode: careful
            tags: [a, bc]
            labels: {ok: yes-string, bad: 3}
            """);

        final List<String> errors = new StructuralSchemaValidator(schema).validate(resource);

        assertThat(errors).containsExactlyInAnyOrder(
            "ratio: 0 is below the exclusive minimum 0",
            "mode: string \"careful\" is longer than maxLength 4",
            "mode: string \"careful\" is not one of [\"fast\",\"safe\"]",
            "tags: has 2 items, more than maxItems 1",
            "tags[0]: string \"a\" is shorter than minLength 2",
            "labels.bad: must be of type string, got integer 3");
    }
}
