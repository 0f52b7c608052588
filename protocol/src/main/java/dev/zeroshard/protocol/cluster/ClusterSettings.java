package dev.zeroshard.protocol.cluster;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import java.time.Duration;
import java.util.Locale;

/**
 * The Akka configuration of a zeroshard node: cluster provider, artery TCP on {@code host:port}, its role, how it
 * joins ({@link ClusterJoin}: seed nodes or Cluster Bootstrap), and the split-brain resolver that downs an
 * unreachable node after a few seconds (keep-oldest: the coordinator, started first, stays), so a lost worker is
 * noticed in seconds, not minutes.
 *
 * <p>Layers, first wins: these settings and {@link ClusterJoin#overrides}; system properties; the application
 * config ({@code application.conf}, or the file {@code -Dconfig.file=...} names, e.g. the one the operator mounts at
 * {@code /etc/zeroshard/application.conf}); {@link ClusterJoin#defaults}; the libraries' {@code reference.conf}.
 */
public final class ClusterSettings {
    /** The actor system's name; every node of a cluster must use it. */
    public static final String SYSTEM_NAME = "zeroshard";
    public static final String COORDINATOR_ROLE = "coordinator";
    public static final String WORKER_ROLE = "worker";
    /** How long {@link #start} waits for the management server to bind. */
    private static final Duration MANAGEMENT_BIND_TIMEOUT = Duration.ofSeconds(30);

    private ClusterSettings() {
    }

    /** The configuration of a node with {@code role} on {@code host:port} that joins its cluster by {@code join}. */
    public static Config of(final String role, final String host, final int port, final ClusterJoin join,
                            final long downAfterMs) {
        final Config code = ConfigFactory.parseString(String.format(Locale.ROOT, """
            akka {
              loglevel = INFO
              loggers = ["akka.event.slf4j.Slf4jLogger"]
              logging-filter = "akka.event.slf4j.Slf4jLoggingFilter"
              actor.provider = cluster
              remote.artery {
                transport = tcp
                canonical.hostname = "%s"
                canonical.port = %d
              }
              cluster {
                roles = ["%s"]
                downing-provider-class = "akka.cluster.sbr.SplitBrainResolverProvider"
                split-brain-resolver {
                  active-strategy = keep-oldest
                  keep-oldest.down-if-alone = off
                  stable-after = %dms
                }
                failure-detector.acceptable-heartbeat-pause = 3s
                jmx.multi-mbeans-in-same-jvm = on
              }
              coordinated-shutdown.exit-jvm = off
            }
            """, host, port, role, downAfterMs)).withFallback(join.overrides(role, host));
        return code
            .withFallback(ConfigFactory.defaultOverrides())
            .withFallback(ConfigFactory.defaultApplication())
            .withFallback(join.defaults())
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
    }

    /**
     * Starts a node: its actor system with {@link #of these settings}, then what {@code join} needs (Akka Management,
     * Cluster Bootstrap). When that fails, the system is terminated and the failure thrown.
     */
    public static <T> ActorSystem<T> start(final Behavior<T> guardian, final String role, final String host,
                                           final int port, final ClusterJoin join, final long downAfterMs) {
        final ActorSystem<T> system = ActorSystem.create(guardian, SYSTEM_NAME, of(role, host, port, join,
            downAfterMs));
        try {
            join.start(system, MANAGEMENT_BIND_TIMEOUT);
        } catch (final RuntimeException ex) {
            system.terminate();
            throw ex;
        }
        return system;
    }
}
