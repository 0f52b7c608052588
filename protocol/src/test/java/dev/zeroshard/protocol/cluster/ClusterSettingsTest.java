package dev.zeroshard.protocol.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The layers of a node's configuration for both ways of joining (no actor system is started). */
class ClusterSettingsTest {
    private static final String BOOTSTRAP = "akka.management.cluster.bootstrap.";

    @Test
    void shouldJoinThroughTheSeedsWithoutManagementWhenGivenSeeds() {
        final Config config = ClusterSettings.of(ClusterSettings.WORKER_ROLE, "10.0.0.7", 0,
            new ClusterJoin.Seeds(List.of("10.0.0.1:25520")), 5_000);

        assertThat(config.getStringList("akka.cluster.seed-nodes")).containsExactly("akka://zeroshard@10.0.0.1:25520");
        assertThat(config.getStringList("akka.cluster.roles")).containsExactly("worker");
        assertThat(new ClusterJoin.Seeds(List.of("a:1")).management()).isEmpty();
        assertThat(ClusterSettings.of(ClusterSettings.WORKER_ROLE, "10.0.0.7", 0, new ClusterJoin.Seeds(
            List.of("10.0.0.1:25520"), OptionalInt.of(9101)), 5_000).getInt("akka.management.http.port"))
            .isEqualTo(9101);
    }

    @Test
    void shouldLetOnlyTheCoordinatorFormAClusterThroughBootstrap() {
        final ClusterJoin.Bootstrap join = new ClusterJoin.Bootstrap(8558);
        final Config worker = ClusterSettings.of(ClusterSettings.WORKER_ROLE, "10.0.0.7", 25520, join, 5_000);
        final Config coordinator = ClusterSettings.of(ClusterSettings.COORDINATOR_ROLE, "10.0.0.1", 25520, join,
            5_000);

        assertThat(worker.getStringList("akka.cluster.seed-nodes")).isEmpty();
        assertThat(worker.getBoolean(BOOTSTRAP + "new-cluster-enabled")).isFalse();
        assertThat(coordinator.getBoolean(BOOTSTRAP + "new-cluster-enabled")).isTrue();
        assertThat(worker.getString("akka.management.http.hostname")).isEqualTo("10.0.0.7");
        assertThat(worker.getInt("akka.management.http.port")).isEqualTo(8558);
        assertThat(worker.getString("akka.management.http.bind-hostname")).isEqualTo("0.0.0.0");
        assertThat(worker.getString("akka.discovery.method")).isEqualTo("kubernetes-api");
        assertThat(worker.getString(BOOTSTRAP + "contact-point-discovery.discovery-method"))
            .as("bootstrap follows akka.discovery.method").isEqualTo("akka.discovery");
        assertThat(worker.getInt(BOOTSTRAP + "contact-point-discovery.required-contact-point-nr")).isEqualTo(1);
        assertThat(worker.getString("akka.discovery.kubernetes-api.pod-label-selector"))
            .isEqualTo("zeroshard.dev/cluster=%s,zeroshard.dev/component=coordinator");
        assertThat(worker.getString("akka.management.health-checks.readiness-path")).isEqualTo("ready");
        assertThat(worker.getString("akka.management.health-checks.liveness-path")).isEqualTo("alive");
        assertThat(worker.hasPath("akka.management.health-checks.readiness-checks.cluster-membership")).isTrue();
    }

    /** What the operator's config file (or a system property) says wins over the defaults, never over the code. */
    @Test
    void shouldLetTheApplicationConfigChangeTheDefaultsButNotHowTheNodeJoins() {
        final String selector = "akka.discovery.kubernetes-api.pod-label-selector";
        final String enabled = BOOTSTRAP + "new-cluster-enabled";
        System.setProperty(selector, "app=%s");
        System.setProperty(enabled, "on");
        ConfigFactory.invalidateCaches();
        try {
            final Config worker = ClusterSettings.of(ClusterSettings.WORKER_ROLE, "10.0.0.7", 25520,
                new ClusterJoin.Bootstrap(8558), 5_000);

            assertThat(worker.getString(selector)).isEqualTo("app=%s");
            assertThat(worker.getBoolean(enabled)).isFalse();
        } finally {
            System.clearProperty(selector);
            System.clearProperty(enabled);
            ConfigFactory.invalidateCaches();
        }
    }

    @Test
    void shouldRefuseJoinsThatCannotWorkNamingTheValue() {
        assertThatThrownBy(() -> new ClusterJoin.Bootstrap(0)).hasMessageContaining("management port=0");
        assertThatThrownBy(() -> new ClusterJoin.Seeds(List.of())).hasMessageContaining("at least one HOST:PORT");
        assertThatThrownBy(() -> new ClusterJoin.Seeds(List.of("coordinator"))).hasMessageContaining("'coordinator'");
        assertThatThrownBy(() -> new ClusterJoin.Seeds(List.of("h:x"))).hasMessageContaining("'h:x'");
    }
}
