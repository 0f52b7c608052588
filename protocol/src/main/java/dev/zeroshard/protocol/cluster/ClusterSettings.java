package dev.zeroshard.protocol.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The Akka configuration of a zeroshard node: cluster provider, artery TCP on {@code host:port}, its role,
 * seed nodes, and the split-brain resolver that downs an unreachable node after a few seconds (keep-oldest: the
 * coordinator, started first, stays), so a lost worker is noticed in seconds, not minutes.
 */
public final class ClusterSettings {
    /** The actor system's name; every node of a cluster must use it. */
    public static final String SYSTEM_NAME = "zeroshard";
    public static final String COORDINATOR_ROLE = "coordinator";
    public static final String WORKER_ROLE = "worker";

    private ClusterSettings() {
    }

    /**
     * @param seeds host:port of the seed nodes (the coordinator's address is the usual one).
     */
    public static Config of(final String role, final String host, final int port, final List<String> seeds,
                            final long downAfterMs) {
        final String seedList = seeds.stream().map(seed -> "\"akka://" + SYSTEM_NAME + "@" + seed + "\"")
            .collect(Collectors.joining(", "));
        return ConfigFactory.parseString(String.format(Locale.ROOT, """
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
                seed-nodes = [%s]
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
            """, host, port, role, seedList, downAfterMs)).withFallback(ConfigFactory.load());
    }
}
