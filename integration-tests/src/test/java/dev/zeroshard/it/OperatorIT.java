package dev.zeroshard.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zeroshard.operator.Conditions;
import dev.zeroshard.operator.CoordinatorLocator;
import dev.zeroshard.operator.OperatorSettings;
import dev.zeroshard.operator.ZeroshardOperator;
import dev.zeroshard.operator.crd.CheckpointStorageSpec;
import dev.zeroshard.operator.crd.WorkerPoolSpec;
import dev.zeroshard.operator.crd.ZeroCluster;
import dev.zeroshard.operator.crd.ZeroClusterSpec;
import dev.zeroshard.operator.crd.ZeroJob;
import dev.zeroshard.operator.crd.ZeroJobSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ZeroJobs against a real coordinator: {@code zeroshard simulate} runs a coordinator and two worker JVMs on this
 * machine; the operator (the real Java Operator SDK runtime) watches a mock Kubernetes API server and reaches that
 * coordinator's REST API. A job is submitted once, also when the operator restarts having lost its status; its
 * status follows the real job to Succeeded; deleting a running job's resource cancels the job.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(400)
class OperatorIT {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String NS = "it";
    /** The mock server logs every request at INFO through java.util.logging: kept quiet (a strong reference). */
    private static final java.util.logging.Logger MOCK_LOG = quiet();

    KubernetesMockServer server;
    KubernetesClient client;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void shouldSubmitOnceFollowTheJobToTheEndAndCancelItWhenDeleted(@TempDir final Path data) throws Exception {
        final LauncherProcess.Running simulate = LauncherProcess.start("simulate", "--workers", "2", "--port", "0",
            "--threads", "1", "--data-dir", data.resolve("registry").toString());
        ZeroshardOperator operator = null;
        try {
            final String url = LauncherProcess.awaitRestUrl(simulate);
            client.persistentVolumeClaims().inNamespace(NS).resource(new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName("ckpt").withNamespace(NS).endMetadata().build()).create();
            client.resource(cluster(data.resolve("volume"))).create();
            operator = start(url);

            final ZeroJob shortJob = client.resource(job("short", 30)).create();
            final ZeroJob done = awaitJob("short", j -> "Succeeded".equals(j.getStatus().phase), "Succeeded");
            assertThat(done.getStatus().step).isEqualTo(30);
            assertThat(done.getStatus().progress).isEqualTo("100%");
            assertThat(Double.parseDouble(done.getStatus().loss)).isPositive();
            assertThat(done.getStatus().lastCheckpoint).startsWith(data.resolve("volume/jobs/it/short").toString());
            assertThat(Conditions.isTrue(done.getStatus().conditions, Conditions.READY)).isTrue();
            assertThat(Conditions.isTrue(done.getStatus().conditions, Conditions.PROGRESSING)).isFalse();
            assertThat(Conditions.isTrue(done.getStatus().conditions, Conditions.FAILED)).isFalse();
            final String id = done.getStatus().jobId;
            assertThat(jobsNamed(url, "it.short")).isEqualTo(1);

            // the operator restarts having lost what it wrote (as if it died between submitting and recording)
            operator.close();
            client.resources(ZeroJob.class).inNamespace(NS).withName("short").editStatus(j -> {
                j.setStatus(null);
                return j;
            });
            operator = start(url);
            final ZeroJob again = awaitJob("short", j -> "Succeeded".equals(j.getStatus().phase), "Succeeded again");
            assertThat(again.getStatus().jobId).as("the same job, found by its idempotency key").isEqualTo(id);
            assertThat(jobsNamed(url, "it.short")).as("submitted once").isEqualTo(1);
            assertThat(get(url + "/v1/jobs/" + id).path("submission_key").asText())
                .isEqualTo(shortJob.getMetadata().getUid());

            final ZeroJob invalid = job("invalid", 10);
            ((com.fasterxml.jackson.databind.node.ObjectNode) invalid.getSpec().deepspeed.path("zero_optimization"))
                .put("stage", 9);
            client.resource(invalid).create();
            final ZeroJob refused = awaitJob("invalid", j -> "Failed".equals(j.getStatus().phase), "Failed");
            assertThat(refused.getStatus().jobId).isNull();
            assertThat(Conditions.find(refused.getStatus().conditions, Conditions.FAILED).orElseThrow().getMessage())
                .as("the coordinator's error, named as the resource's field")
                .contains("spec.deepspeed.zero_optimization.stage=9");

            client.resource(job("long", 1_000_000)).create();
            final ZeroJob running = awaitJob("long", j -> "Running".equals(j.getStatus().phase)
                && j.getStatus().step != null && j.getStatus().step > 0, "Running");
            assertThat(running.getStatus().eta).isNotBlank();
            editSpec("long", j -> j.getSpec().maxSteps = 2_000_000L);
            final ZeroJob changed = awaitJob("long", j -> Conditions.find(j.getStatus().conditions,
                Conditions.PROGRESSING).map(c -> c.getMessage().contains("the spec changed after submission"))
                .orElse(false), "told that its spec change does not apply");
            assertThat(changed.getStatus().maxSteps).as("the running job keeps its spec").isEqualTo(1_000_000L);
            client.resources(ZeroJob.class).inNamespace(NS).withName("long").delete();
            final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (client.resources(ZeroJob.class).inNamespace(NS).withName("long").get() != null
                && System.nanoTime() < until) {
                Thread.sleep(200);
            }
            assertThat(client.resources(ZeroJob.class).inNamespace(NS).withName("long").get())
                .as("the finalizer is removed once the job is cancelled").isNull();
            final JsonNode cancelled = get(url + "/v1/jobs/" + running.getStatus().jobId);
            assertThat(cancelled.path("state").asText()).as(cancelled.toPrettyString()).isEqualTo("CANCELLED");
        } finally {
            if (operator != null) {
                operator.close();
            }
            simulate.process().destroy();
            simulate.process().waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static java.util.logging.Logger quiet() {
        final java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
        logger.setLevel(java.util.logging.Level.WARNING);
        return logger;
    }

    /** Changes a ZeroJob's spec, again when the operator wrote its status in between (409 Conflict). */
    private void editSpec(final String name, final java.util.function.Consumer<ZeroJob> change) {
        for (int attempt = 0; ; attempt++) {
            final ZeroJob job = client.resources(ZeroJob.class).inNamespace(NS).withName(name).get();
            change.accept(job);
            try {
                client.resource(job).update();
                return;
            } catch (final io.fabric8.kubernetes.client.KubernetesClientException conflict) {
                if (conflict.getCode() != 409 || attempt >= 50) {
                    throw conflict;
                }
            }
        }
    }

    private ZeroshardOperator start(final String url) {
        return new ZeroshardOperator(client, OperatorSettings.inCluster(Duration.ofMillis(500))
            .withNamespaces(Set.of(NS)).withLocator(CoordinatorLocator.fixed(url)).withoutServerSideApply())
            .start();
    }

    private static ZeroCluster cluster(final Path volume) {
        final ZeroCluster cluster = new ZeroCluster();
        cluster.setMetadata(new ObjectMetaBuilder().withName("lab").withNamespace(NS).build());
        final ZeroClusterSpec spec = new ZeroClusterSpec();
        spec.image = "zeroshard:0.1.0";
        spec.workers = new WorkerPoolSpec();
        spec.workers.replicas = 2;
        spec.checkpoints = new CheckpointStorageSpec();
        spec.checkpoints.claimName = "ckpt";
        spec.checkpoints.mountPath = volume.toString();
        cluster.setSpec(spec);
        return cluster;
    }

    private static ZeroJob job(final String name, final long steps) throws Exception {
        final ZeroJob job = new ZeroJob();
        job.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        final ZeroJobSpec spec = new ZeroJobSpec();
        spec.clusterRef = new dev.zeroshard.operator.crd.ClusterReference("lab");
        spec.model = MAPPER.readTree("""
            {"vocab_size": 256, "n_positions": 32, "n_embd": 32, "n_layer": 1, "n_head": 2}""");
        spec.deepspeed = MAPPER.readTree("""
            {"train_batch_size": 8, "train_micro_batch_size_per_gpu": 4,
             "zero_optimization": {"stage": 1},
             "optimizer": {"type": "AdamW", "params": {"lr": 3e-3}}}""");
        spec.maxSteps = steps;
        spec.worldSize = 2;
        spec.checkpoint = new dev.zeroshard.operator.crd.CheckpointPolicySpec();
        spec.checkpoint.saveEverySteps = 10;
        job.setSpec(spec);
        return job;
    }

    private ZeroJob awaitJob(final String name, final Predicate<ZeroJob> condition, final String what)
        throws InterruptedException {
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        ZeroJob job = null;
        while (System.nanoTime() < until) {
            job = client.resources(ZeroJob.class).inNamespace(NS).withName(name).get();
            if (job != null && job.getStatus() != null && job.getStatus().phase != null && condition.test(job)) {
                return job;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("ZeroJob " + name + " never became " + what + ": "
            + (job == null ? "gone" : job.getStatus() == null ? "no status" : job.getStatus().phase + " "
            + job.getStatus().message));
    }

    private int jobsNamed(final String url, final String name) throws Exception {
        int count = 0;
        for (final JsonNode job : get(url + "/v1/jobs")) {
            if (name.equals(job.path("name").asText())) {
                count++;
            }
        }
        return count;
    }

    private JsonNode get(final String url) throws Exception {
        return MAPPER.readTree(http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
            HttpResponse.BodyHandlers.ofString()).body());
    }
}
