package dev.zeroshard.cli;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import dev.zeroshard.coordinator.CoordinatorNode;
import dev.zeroshard.protocol.cluster.ClusterJoin;
import dev.zeroshard.protocol.net.FreePorts;
import dev.zeroshard.worker.agent.WorkerNode;
import dev.zeroshard.worker.agent.WorkerSettings;
import dev.zeroshard.worker.agent.WorkerSlot;
import dev.zeroshard.worker.backend.BackendChoice;
import dev.zeroshard.worker.backend.BackendSelector;
import dev.zeroshard.worker.ops.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code zeroshard worker}: a worker node that runs ranks of the jobs the coordinator assigns; until stopped. */
@Command(name = "worker", mixinStandardHelpOptions = true,
    description = "Run a worker node: it joins the cluster and trains the ranks the coordinator assigns.")
final class WorkerNodeCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1",
        description = "address of this node, for the cluster and Aeron (default: ${DEFAULT-VALUE})")
    private String host;

    @Option(names = "--port", defaultValue = "0", description = "cluster port (default: any free one)")
    private int port;

    /** --discovery, --seed (required with seeds), --management-port. */
    @Mixin
    private ClusterJoinOptions cluster;

    @Option(names = "--aeron-port", defaultValue = "0", description = "UDP port of this worker's ranks (default: a free one)")
    private int aeronPort;

    @Option(names = "--id", description = "worker name (default: host:aeron-port)")
    private String id;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "auto|cpu|cuda",
        description = "compute backend of this worker's ranks (default: ${DEFAULT-VALUE}: cuda where a GPU, its "
            + "driver and the kernels are there, else cpu; cuda fails where it cannot run)")
    private String backend;

    @Mixin
    private ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        final ClusterJoin join = cluster.join(Optional.empty());
        threads.apply();
        final int udp = aeronPort != 0 ? aeronPort : FreePorts.udp(InetAddress.getByName(host), 1).get(0);
        final WorkerSettings settings = new WorkerSettings(id != null ? id : host + ":" + udp, host, udp,
            resolveBackend(), Parallel.shared().threads());
        final WorkerSlot slot = new WorkerSlot();
        while (true) {
            final ActorSystem<Void> system = WorkerNode.start(host, port, join, settings, slot,
                CoordinatorNode.DOWN_AFTER_MS);
            spec.commandLine().getOut().printf("worker %s up: Aeron %s:%d, %d threads, joining by %s%n",
                settings.workerId(), host, udp, settings.threads(), cluster.describe(join, host));
            spec.commandLine().getOut().flush();
            system.getWhenTerminated().toCompletableFuture().get();
            final Optional<CoordinatedShutdown.Reason> reason = CoordinatedShutdown.get(system).getShutdownReason();
            if (reason.isEmpty() || !(reason.get() instanceof CoordinatedShutdown.ClusterDowningReason$)) {
                return 0;
            }
            // the cluster downed this node (its coordinator is gone): join again, the running rank goes on
            spec.commandLine().getOut().println("worker " + settings.workerId() + " lost the cluster; rejoining");
            Thread.sleep(2000);
        }
    }

    /** The backend this worker advertises (jobs are placed on workers whose backend matches theirs). */
    private String resolveBackend() {
        final BackendChoice choice = BackendSelector.select(backend);
        if (!BackendSelector.CPU.equals(backend)) {
            spec.commandLine().getOut().println(choice.describe());
        }
        return choice.kind().id();
    }
}
