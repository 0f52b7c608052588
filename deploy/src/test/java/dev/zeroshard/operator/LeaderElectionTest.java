package dev.zeroshard.operator;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two operator replicas with leader election on the fabric8 mock API server: one holds the Lease and reconciles;
 * when it stops, the other takes the Lease over and reconciles what comes next.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(90)
class LeaderElectionTest {
    private static final String NS = "training";
    private static final java.util.logging.Logger MOCK_LOG = MockApi.quiet();

    KubernetesMockServer server;
    KubernetesClient client;

    private ZeroshardOperator replica(final String identity) {
        return new ZeroshardOperator(client, OperatorSettings.inCluster(Duration.ofSeconds(1)).withoutServerSideApply()
            .withLeaderElection(LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(
                    OperatorSettings.LEASE_NAME).withLeaseNamespace(NS).withIdentity(identity)
                .withLeaseDuration(Duration.ofSeconds(2)).withRenewDeadline(Duration.ofMillis(1500))
                .withRetryPeriod(Duration.ofMillis(200)).withExitOnStopLeading(false).build()));
    }

    private Lease lease() {
        return client.leases().inNamespace(NS).withName(OperatorSettings.LEASE_NAME).get();
    }

    @Test
    void shouldReconcileOnlyOnTheLeaseHolderAndFailOverWhenItStops() throws Exception {
        // the operator checks at start that it may use Leases; the CRUD mock cannot answer that review itself
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
            .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewMetadata().endMetadata().withNewSpec()
                .withNamespace(NS).endSpec().withNewStatus().addNewResourceRule()
                .withApiGroups("coordination.k8s.io").withResources("leases")
                .withVerbs("get", "list", "watch", "create", "update", "patch").endResourceRule()
                .withIncomplete(false).endStatus().build())
            .always();
        final ZeroshardOperator first = replica("replica-a").start();
        Eventually.within(Duration.ofSeconds(20), () -> assertThat(lease()).isNotNull());
        final ZeroshardOperator second = replica("replica-b").start();
        try {
            assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("replica-a");
            client.resource(MockApi.cluster(NS, "one", 1)).create();
            Eventually.within(Duration.ofSeconds(20), () -> assertThat(client.apps().statefulSets().inNamespace(NS)
                .withName("one-workers").get()).isNotNull());

            first.close();
            Eventually.within(Duration.ofSeconds(30), () -> assertThat(lease().getSpec().getHolderIdentity())
                .isEqualTo("replica-b"));
            client.resource(MockApi.cluster(NS, "two", 1)).create();
            Eventually.within(Duration.ofSeconds(20), () -> assertThat(client.apps().statefulSets().inNamespace(NS)
                .withName("two-workers").get()).as("the new leader reconciles").isNotNull());
        } finally {
            second.close();
        }
    }
}
