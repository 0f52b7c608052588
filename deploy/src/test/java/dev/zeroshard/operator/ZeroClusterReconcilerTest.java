package dev.zeroshard.operator;

import dev.zeroshard.operator.crd.CheckpointStorageSpec;
import dev.zeroshard.operator.crd.ZeroCluster;
import dev.zeroshard.operator.crd.ZeroClusterSpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator (the real Java Operator SDK runtime, its informers and both reconcilers) against the fabric8 mock
 * API server in CRUD mode: what a ZeroCluster becomes, how it scales, what it refuses, and what deleting it
 * removes.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(120)
class ZeroClusterReconcilerTest {
    private static final String NS = "training";
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** The mock server logs every request at INFO through java.util.logging: kept quiet (a strong reference). */
    private static final java.util.logging.Logger MOCK_LOG = MockApi.quiet();

    KubernetesMockServer server;
    KubernetesClient client;
    private ZeroshardOperator operator;

    @BeforeEach
    void startOperator() {
        client.persistentVolumeClaims().inNamespace(NS).resource(new PersistentVolumeClaimBuilder()
            .withNewMetadata().withName("ckpt").withNamespace(NS).endMetadata()
            .withNewSpec().withAccessModes("ReadWriteMany").withNewResources()
            .addToRequests("storage", new Quantity("10Gi")).endResources().endSpec().build()).create();
        operator = new ZeroshardOperator(client, OperatorSettings.inCluster(Duration.ofSeconds(1))
            .withoutServerSideApply()).start();
    }

    @AfterEach
    void stopOperator() {
        operator.close();
    }

    private static ZeroCluster cluster(final String name, final int workers) {
        final ZeroCluster cluster = MockApi.cluster(NS, name, workers);
        final ZeroClusterSpec spec = cluster.getSpec();
        spec.workers.resources = new ResourceRequirementsBuilder().addToLimits("cpu", new Quantity("1500m"))
            .addToLimits("memory", new Quantity("8Gi")).build();
        spec.workers.nodeSelector = Map.of("zeroshard.dev/pool", "training");
        spec.checkpoints = new CheckpointStorageSpec();
        spec.checkpoints.claimName = "ckpt";
        return cluster;
    }

    private ZeroCluster get(final String name) {
        return client.resources(ZeroCluster.class).inNamespace(NS).withName(name).get();
    }

    private StatefulSet workers(final String cluster) {
        return client.apps().statefulSets().inNamespace(NS).withName(cluster + "-workers").get();
    }

    private static Condition condition(final ZeroCluster cluster, final String type) {
        return Conditions.find(cluster.getStatus().conditions, type).orElseThrow();
    }

    @Test
    void shouldCreateTheCoordinatorTheWorkersAndWhatTheyNeedOwnedByTheCluster() throws Exception {
        final ZeroCluster created = client.resource(cluster("demo", 2)).create();

        Eventually.within(WAIT, () -> assertThat(workers("demo")).isNotNull());
        final StatefulSet workers = workers("demo");
        assertThat(workers.getSpec().getReplicas()).isEqualTo(2);
        assertThat(workers.getSpec().getServiceName()).isEqualTo("demo-workers");
        final Container worker = workers.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(worker.getImage()).isEqualTo("zeroshard:0.1.0");
        assertThat(worker.getArgs()).startsWith("worker").contains("--discovery=kubernetes", "--threads=2",
            "--id=$(POD_NAME)", "--aeron-port=40123", "--backend=auto");
        assertThat(worker.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
        assertThat(worker.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(worker.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/alive");
        assertThat(worker.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("management");
            assertThat(p.getContainerPort()).isEqualTo(8558);
        }).anySatisfy(p -> assertThat(p.getProtocol()).isEqualTo("UDP"));
        assertThat(worker.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo("/dev/shm");
            assertThat(m.getName()).isEqualTo("shm");
        }).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/checkpoints"));
        assertThat(worker.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("ZEROSHARD_JAVA_OPTS");
            assertThat(e.getValue()).contains("-Dconfig.file=/etc/zeroshard/application.conf",
                "-Dzeroshard.aeron.base.dir=/dev/shm", "-Dzeroshard.aeron.term.length=4194304",
                "-Xmx5808m");  // (8 GiB limit - 448 MiB of /dev/shm) * 3/4
        });
        final List<Volume> workerVolumes = workers.getSpec().getTemplate().getSpec().getVolumes();
        final Volume shm = workerVolumes.stream().filter(v -> v.getName().equals("shm")).findFirst().orElseThrow();
        assertThat(shm.getEmptyDir().getMedium()).isEqualTo("Memory");
        assertThat(shm.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("448", "Mi"));
        assertThat(workerVolumes).filteredOn(v -> v.getPersistentVolumeClaim() != null)
            .extracting(v -> v.getPersistentVolumeClaim().getClaimName()).containsExactly("ckpt");
        assertThat(workers.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("demo-zeroshard");
        assertThat(workers.getSpec().getTemplate().getSpec().getNodeSelector())
            .containsEntry("zeroshard.dev/pool", "training");

        final Service headless = client.services().inNamespace(NS).withName("demo-workers").get();
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
        assertThat(headless.getSpec().getSelector()).containsEntry("zeroshard.dev/component", "worker");

        final Deployment coordinator = client.apps().deployments().inNamespace(NS).withName("demo-coordinator").get();
        assertThat(coordinator.getSpec().getReplicas()).isEqualTo(1);
        assertThat(coordinator.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        final Container rest = coordinator.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(rest.getArgs()).startsWith("coordinator").contains("--http-host=0.0.0.0",
            "--data-dir=/checkpoints/coordinator", "--auth-token-file=/var/run/zeroshard/auth/token",
            "--discovery=kubernetes");
        assertThat(rest.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(rest.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(coordinator.getSpec().getTemplate().getMetadata().getLabels())
            .containsEntry("zeroshard.dev/cluster", "demo").containsEntry("zeroshard.dev/component", "coordinator");
        final Service service = client.services().inNamespace(NS).withName("demo-coordinator").get();
        assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(service.getSpec().getPorts().get(0).getPort()).isEqualTo(8080);

        final ConfigMap config = client.configMaps().inNamespace(NS).withName("demo-config").get();
        assertThat(config.getData().get("application.conf")).contains("service-name = \"demo\"")
            .contains("zeroshard.dev/cluster=%s,zeroshard.dev/component=coordinator")
            .contains("discovery-method = kubernetes-api");
        final Secret token = client.secrets().inNamespace(NS).withName("demo-auth").get();
        assertThat(token.getData()).containsKey("token");
        final Role role = client.rbac().roles().inNamespace(NS).withName("demo-pod-reader").get();
        assertThat(role.getRules().get(0).getResources()).containsExactly("pods");
        assertThat(role.getRules().get(0).getVerbs()).containsExactlyInAnyOrder("get", "list", "watch");
        final RoleBinding binding = client.rbac().roleBindings().inNamespace(NS).withName("demo-pod-reader").get();
        assertThat(binding.getSubjects().get(0).getName()).isEqualTo("demo-zeroshard");
        assertThat(client.serviceAccounts().inNamespace(NS).withName("demo-zeroshard").get()).isNotNull();

        for (final var object : List.of(workers, headless, coordinator, service, config, token, role, binding)) {
            final OwnerReference owner = object.getMetadata().getOwnerReferences().get(0);
            assertThat(owner.getKind()).as(object.getKind()).isEqualTo("ZeroCluster");
            assertThat(owner.getUid()).isEqualTo(created.getMetadata().getUid());
            assertThat(owner.getController()).isTrue();
        }

        Eventually.within(WAIT, () -> {
            final ZeroCluster seen = get("demo");
            assertThat(seen.getStatus()).isNotNull();
            assertThat(seen.getStatus().phase).isEqualTo("Pending");
            assertThat(seen.getStatus().endpoint).isEqualTo("http://demo-coordinator.training.svc:8080");
            assertThat(condition(seen, Conditions.READY).getStatus()).isEqualTo("False");
            assertThat(condition(seen, Conditions.FAILED).getStatus()).isEqualTo("False");
        });

        // the pods become ready: the status follows
        client.apps().deployments().inNamespace(NS).withName("demo-coordinator")
            .editStatus(d -> { d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatus());
                d.getStatus().setReadyReplicas(1); return d; });
        client.apps().statefulSets().inNamespace(NS).withName("demo-workers")
            .editStatus(s -> { s.setStatus(new io.fabric8.kubernetes.api.model.apps.StatefulSetStatus());
                s.getStatus().setReadyReplicas(2); return s; });
        Eventually.within(WAIT, () -> {
            final ZeroCluster seen = get("demo");
            assertThat(seen.getStatus().phase).isEqualTo("Ready");
            assertThat(seen.getStatus().readyWorkers).isEqualTo(2);
            assertThat(seen.getStatus().workerSelector).as("the scale subresource's selector")
                .isEqualTo("zeroshard.dev/cluster=demo,zeroshard.dev/component=worker");
            assertThat(condition(seen, Conditions.READY).getStatus()).isEqualTo("True");
        });
    }

    @Test
    void shouldScaleTheWorkersAndRefuseOtherChangesNamingTheField() throws Exception {
        client.resource(cluster("scale", 2)).create();
        Eventually.within(WAIT, () -> assertThat(workers("scale")).isNotNull());

        MockApi.edit(client, "scale", c -> c.getSpec().workers.replicas = 4);
        Eventually.within(WAIT, () -> assertThat(workers("scale").getSpec().getReplicas()).isEqualTo(4));

        MockApi.edit(client, "scale", c -> {
            c.getSpec().image = "zeroshard:0.2.0";
            c.getSpec().workers.replicas = 3;
        });
        Eventually.within(WAIT, () -> {
            final ZeroCluster seen = get("scale");
            final Condition progressing = condition(seen, Conditions.PROGRESSING);
            assertThat(progressing.getReason()).isEqualTo("SpecChangeRefused");
            assertThat(progressing.getMessage()).contains("spec.image: zeroshard:0.1.0 -> zeroshard:0.2.0");
            assertThat(progressing.getObservedGeneration()).isEqualTo(seen.getMetadata().getGeneration());
        });
        final StatefulSet workers = workers("scale");
        assertThat(workers.getSpec().getReplicas()).as("the worker count still applies").isEqualTo(3);
        assertThat(workers.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
            .as("the refused image is not rolled out").isEqualTo("zeroshard:0.1.0");
        assertThat(client.v1().events().inNamespace(NS).list().getItems())
            .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("SpecChangeRefused"));
    }

    @Test
    void shouldFailAnInvalidSpecNamingTheFieldAndCreateNothing() throws Exception {
        final ZeroCluster bad = cluster("bad", 2);
        bad.getSpec().aeron = new dev.zeroshard.operator.crd.AeronSpec();
        bad.getSpec().aeron.termLength = 3_000_000;
        bad.getSpec().checkpoints.claimName = "missing";
        client.resource(bad).create();

        Eventually.within(WAIT, () -> {
            final ZeroCluster seen = get("bad");
            assertThat(seen.getStatus()).isNotNull();
            assertThat(seen.getStatus().phase).isEqualTo("Failed");
            final Condition failed = condition(seen, Conditions.FAILED);
            assertThat(failed.getStatus()).isEqualTo("True");
            assertThat(failed.getReason()).isEqualTo("InvalidSpec");
            assertThat(failed.getMessage()).contains("spec.aeron.termLength=3000000: must be a power of two");
        });
        assertThat(workers("bad")).isNull();

        MockApi.edit(client, "bad", c -> c.getSpec().aeron.termLength = 1 << 22);
        Eventually.within(WAIT, () -> assertThat(condition(get("bad"), Conditions.FAILED).getMessage())
            .isEqualTo("spec.checkpoints.claimName=missing: no PersistentVolumeClaim of that name in namespace "
                + NS));
        assertThat(workers("bad")).isNull();
    }

    @Test
    void shouldDeleteEverythingItCreatedButTheVolumeClaimWhenTheClusterIsDeleted() throws Exception {
        client.resource(cluster("gone", 1)).create();
        Eventually.within(WAIT, () -> assertThat(workers("gone")).isNotNull());
        Eventually.within(WAIT, () -> assertThat(get("gone").getMetadata().getFinalizers()).isNotEmpty());

        client.resources(ZeroCluster.class).inNamespace(NS).withName("gone").delete();

        Eventually.within(WAIT, () -> assertThat(get("gone")).isNull());
        final Map<String, String> owned = Map.of(ClusterNames.CLUSTER_LABEL, "gone");
        assertThat(client.apps().statefulSets().inNamespace(NS).withLabels(owned).list().getItems()).isEmpty();
        assertThat(client.apps().deployments().inNamespace(NS).withLabels(owned).list().getItems()).isEmpty();
        assertThat(client.services().inNamespace(NS).withLabels(owned).list().getItems()).isEmpty();
        assertThat(client.configMaps().inNamespace(NS).withLabels(owned).list().getItems()).isEmpty();
        assertThat(client.secrets().inNamespace(NS).withLabels(owned).list().getItems()).isEmpty();
        assertThat(client.rbac().roles().inNamespace(NS).withLabels(owned).list().getItems()).isEmpty();
        assertThat(client.persistentVolumeClaims().inNamespace(NS).withName("ckpt").get()).isNotNull();
    }
}
