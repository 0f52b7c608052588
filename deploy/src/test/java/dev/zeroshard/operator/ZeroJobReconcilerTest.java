package dev.zeroshard.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroshard.operator.crd.ZeroCluster;
import dev.zeroshard.operator.crd.ZeroJob;
import dev.zeroshard.operator.crd.ZeroJobSpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ZeroJobs whose coordinator cannot take them yet, against the fabric8 mock API server (OperatorIT runs them
 * against a real coordinator), and the JobSpec a ZeroJob becomes.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(60)
class ZeroJobReconcilerTest {
    private static final String NS = "training";
    private static final java.util.logging.Logger MOCK_LOG = MockApi.quiet();
    private static final ObjectMapper JSON = new ObjectMapper();

    KubernetesMockServer server;
    KubernetesClient client;

    private static ZeroJob job(final String cluster) throws Exception {
        final ZeroJob job = new ZeroJob();
        job.setMetadata(new ObjectMetaBuilder().withName("gpt").withNamespace(NS).build());
        final ZeroJobSpec spec = new ZeroJobSpec();
        spec.clusterRef = new dev.zeroshard.operator.crd.ClusterReference(cluster);
        spec.model = JSON.readTree("{\"vocab_size\": 256, \"n_positions\": 32, \"n_embd\": 32, \"n_layer\": 1, "
            + "\"n_head\": 2}");
        spec.maxSteps = 100L;
        spec.worldSize = 2;
        job.setSpec(spec);
        return job;
    }

    private Condition progressing() {
        final ZeroJob job = client.resources(ZeroJob.class).inNamespace(NS).withName("gpt").get();
        assertThat(job.getStatus()).isNotNull();
        assertThat(job.getStatus().phase).isEqualTo("Submitting");
        return Conditions.find(job.getStatus().conditions, Conditions.PROGRESSING).orElseThrow();
    }

    @Test
    void shouldWaitForAMissingClusterAndThenForAnUnreachableCoordinatorSayingWhich() throws Exception {
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (ZeroshardOperator operator = new ZeroshardOperator(client,
            OperatorSettings.inCluster(Duration.ofMillis(200)).withoutServerSideApply()
                .withLocator(CoordinatorLocator.fixed("http://127.0.0.1:" + closedPort))).start()) {
            client.resource(job("later")).create();
            Eventually.within(Duration.ofSeconds(20), () -> {
                assertThat(progressing().getReason()).isEqualTo("ClusterNotFound");
                assertThat(progressing().getMessage()).isEqualTo("no ZeroCluster later in namespace " + NS);
            });

            client.resource(MockApi.cluster(NS, "later", 2)).create();
            Eventually.within(Duration.ofSeconds(20), () -> {
                assertThat(progressing().getReason()).isEqualTo("CoordinatorUnreachable");
                assertThat(progressing().getMessage()).contains("127.0.0.1:" + closedPort);
            });
        }
    }

    @Test
    void shouldTranslateTheResourceIntoAJobSpecWithItsCheckpointsOnTheClusterVolume() throws Exception {
        final ZeroJob job = job("lab");
        final ZeroCluster cluster = MockApi.cluster(NS, "lab", 1);
        job.getSpec().data = new dev.zeroshard.operator.crd.DataSpec();
        job.getSpec().data.textFile = "/checkpoints/data/shakespeare.txt";
        job.getSpec().data.seqLen = 16;

        final ObjectNode body = JobSubmission.body(job, ClusterPlan.of(cluster));

        assertThat(body.path("name").asText()).isEqualTo("training.gpt");
        assertThat(body.path("max_steps").asLong()).isEqualTo(100);
        assertThat(body.path("world_size").asInt()).isEqualTo(2);
        assertThat(body.path("data").path("text_file").asText()).isEqualTo("/checkpoints/data/shakespeare.txt");
        assertThat(body.path("data").path("seq_len").asInt()).isEqualTo(16);
        assertThat(body.path("checkpoint").path("dir").asText()).isEqualTo("/checkpoints/jobs/training/gpt");
        assertThat(body.path("model").path("n_embd").asInt()).isEqualTo(32);
        assertThat(JobSubmission.resourceField("max_steps")).isEqualTo("spec.maxSteps");
        assertThat(JobSubmission.resourceField("data.seq_len")).isEqualTo("spec.data.seqLen");
        assertThat(JobSubmission.resourceField("deepspeed.optimizer.params.lr"))
            .isEqualTo("spec.deepspeed.optimizer.params.lr");
        assertThat(JobSubmission.resourceField("elastic.min_workers")).isEqualTo("spec.elastic.minWorkers");
    }
}
