package dev.zeroshard.operator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroshard.operator.crd.CheckpointPolicySpec;
import dev.zeroshard.operator.crd.DataSpec;
import dev.zeroshard.operator.crd.ElasticSpec;
import dev.zeroshard.operator.crd.ZeroJob;
import dev.zeroshard.operator.crd.ZeroJobSpec;

import java.util.Map;

/**
 * A {@link ZeroJob} as the coordinator's {@code POST /v1/jobs} body (zeroshard's JobSpec JSON, snake_case), and the
 * way back from the coordinator's field names to the resource's, so that an error names {@code spec.maxSteps}
 * rather than {@code max_steps}.
 */
public final class JobSubmission {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    /** JobSpec field (prefix) to ZeroJob spec field. */
    private static final Map<String, String> FIELDS = Map.ofEntries(
        Map.entry("max_steps", "spec.maxSteps"), Map.entry("world_size", "spec.worldSize"),
        Map.entry("data.seq_len", "spec.data.seqLen"), Map.entry("data.text_file", "spec.data.textFile"),
        Map.entry("data.jsonl_file", "spec.data.jsonlFile"), Map.entry("data.token_file", "spec.data.tokenFile"),
        Map.entry("checkpoint.save_every_steps", "spec.checkpoint.saveEverySteps"),
        Map.entry("checkpoint.keep_last", "spec.checkpoint.keepLast"),
        Map.entry("elastic.min_workers", "spec.elastic.minWorkers"),
        Map.entry("elastic.max_restarts", "spec.elastic.maxRestarts"));

    private JobSubmission() {
    }

    /**
     * The JobSpec of {@code job}; its name is {@code <namespace>.<name>} and, unless the job names one, its
     * checkpoints go under the cluster's checkpoint volume ({@link ClusterPlan#jobCheckpointDirectory}).
     */
    public static ObjectNode body(final ZeroJob job, final ClusterPlan cluster) {
        final ZeroJobSpec spec = job.getSpec();
        final String namespace = job.getMetadata().getNamespace();
        final ObjectNode body = JSON.objectNode();
        body.put("name", namespace + "." + job.getMetadata().getName());
        body.set("model", spec.model);
        if (spec.data != null) {
            body.set("data", data(spec.data));
        }
        if (spec.deepspeed != null) {
            body.set("deepspeed", spec.deepspeed);
        }
        body.put("max_steps", spec.maxSteps);
        if (spec.seed != null) {
            body.put("seed", spec.seed);
        }
        if (spec.worldSize != null) {
            body.put("world_size", spec.worldSize);
        }
        if (spec.backend != null) {
            body.put("backend", spec.backend);
        }
        final CheckpointPolicySpec checkpoint = spec.checkpoint != null ? spec.checkpoint : new CheckpointPolicySpec();
        final ObjectNode policy = body.putObject("checkpoint");
        policy.put("dir", checkpoint.dir != null ? checkpoint.dir
            : cluster.jobCheckpointDirectory(namespace, job.getMetadata().getName()));
        putIfSet(policy, "save_every_steps", checkpoint.saveEverySteps);
        putIfSet(policy, "keep_last", checkpoint.keepLast);
        if (checkpoint.resume != null) {
            policy.put("resume", checkpoint.resume);
        }
        final ElasticSpec elastic = spec.elastic;
        if (elastic != null) {
            final ObjectNode node = body.putObject("elastic");
            putIfSet(node, "min_workers", elastic.minWorkers);
            putIfSet(node, "max_restarts", elastic.maxRestarts);
        }
        return body;
    }

    /** The ZeroJob field a coordinator error names ({@code optimizer.params.lr} lives under spec.deepspeed). */
    public static String resourceField(final String jobSpecField) {
        for (final Map.Entry<String, String> field : FIELDS.entrySet()) {
            if (jobSpecField.equals(field.getKey()) || jobSpecField.startsWith(field.getKey() + ".")) {
                return field.getValue() + jobSpecField.substring(field.getKey().length());
            }
        }
        return "spec." + jobSpecField;
    }

    private static ObjectNode data(final DataSpec data) {
        final ObjectNode node = JSON.objectNode();
        if (data.builtin != null) {
            node.put("builtin", data.builtin);
        }
        if (data.textFile != null) {
            node.put("text_file", data.textFile);
        }
        if (data.jsonlFile != null) {
            node.put("jsonl_file", data.jsonlFile);
        }
        if (data.tokenFile != null) {
            node.put("token_file", data.tokenFile);
        }
        if (data.tokenizer != null) {
            node.put("tokenizer", data.tokenizer);
        }
        putIfSet(node, "seq_len", data.seqLen);
        return node;
    }

    private static void putIfSet(final ObjectNode node, final String field, final Integer value) {
        if (value != null) {
            node.put(field, value);
        }
    }
}
