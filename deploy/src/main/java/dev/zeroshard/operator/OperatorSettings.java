package dev.zeroshard.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * How a {@link ZeroshardOperator} runs.
 *
 * @param namespaces      namespaces to watch; empty: all.
 * @param locator         how the job reconciler reaches a cluster's coordinator.
 * @param poll            how often a running job's state is read.
 * @param serverSideApply whether status is written with server-side apply (Kubernetes' preferred way; the fabric8
 *                        mock API server of the tests does not support it).
 * @param leaderElection  with several operator replicas, the Lease that elects the one that reconciles; empty: this
 *                        operator reconciles at once (one replica).
 */
public record OperatorSettings(Set<String> namespaces, CoordinatorLocator locator, Duration poll,
                               boolean serverSideApply, Optional<LeaderElectionConfiguration> leaderElection) {
    /** Name of the Lease operator replicas compete for. */
    public static final String LEASE_NAME = "zeroshard-operator";

    public OperatorSettings {
        namespaces = Set.copyOf(namespaces);
        if (poll.isNegative() || poll.isZero()) {
            throw new IllegalArgumentException("poll=" + poll + ": must be positive");
        }
    }

    /** Inside Kubernetes, every namespace, status by server-side apply, no leader election. */
    public static OperatorSettings inCluster(final Duration poll) {
        return new OperatorSettings(Set.of(), CoordinatorLocator.inCluster(), poll, true, Optional.empty());
    }

    public OperatorSettings withNamespaces(final Set<String> watched) {
        return new OperatorSettings(watched, locator, poll, serverSideApply, leaderElection);
    }

    public OperatorSettings withLocator(final CoordinatorLocator coordinators) {
        return new OperatorSettings(namespaces, coordinators, poll, serverSideApply, leaderElection);
    }

    /** For the fabric8 mock API server: status by merge patch. */
    public OperatorSettings withoutServerSideApply() {
        return new OperatorSettings(namespaces, locator, poll, false, leaderElection);
    }

    public OperatorSettings withLeaderElection(final LeaderElectionConfiguration election) {
        return new OperatorSettings(namespaces, locator, poll, serverSideApply, Optional.of(election));
    }
}
