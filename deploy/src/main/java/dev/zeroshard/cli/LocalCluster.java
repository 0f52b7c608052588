package dev.zeroshard.cli;

import dev.zeroshard.protocol.net.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A whole cluster on this machine: one coordinator JVM and N worker JVMs (the launcher's JVM options and class
 * path), their output in {@code coordinator.log} and {@code worker-K.log} under a run directory. {@link #close}
 * stops them all (SIGTERM, then SIGKILL after a grace period), and so does the JVM's shutdown hook on Ctrl-C.
 */
final class LocalCluster implements AutoCloseable {
    private static final long START_TIMEOUT_MS = 120_000;
    private static final long STOP_GRACE_MS = 15_000;

    private final Path runDir;
    private final List<Process> processes = new ArrayList<>();
    private final Thread killer = new Thread(this::stopAll, "stop-local-cluster");
    private final String restUrl;
    /** The coordinator's command line, to start it again with its cluster port and data directory. */
    private final List<String> coordinatorArgs;
    private volatile boolean stopping;

    private LocalCluster(final Path runDir, final String restUrl, final List<String> coordinatorArgs) {
        this.runDir = runDir;
        this.restUrl = restUrl;
        this.coordinatorArgs = coordinatorArgs;
    }

    /**
     * Starts the coordinator and {@code workers} workers with {@code backend} (auto, cpu or cuda); returns once every
     * worker has joined.
     */
    static LocalCluster start(final int workers, final int httpPort, final Path dataDir, final Integer threads,
                              final String backend)
        throws IOException, InterruptedException {
        final Path runDir = Files.createTempDirectory("zeroshard-cluster-");
        final int clusterPort = FreePorts.tcp();
        final int http = httpPort != 0 ? httpPort : FreePorts.tcp();
        final List<String> coordinatorArgs = List.of("coordinator", "--port=" + clusterPort, "--http-port=" + http,
            "--data-dir=" + dataDir.toAbsolutePath());
        final LocalCluster cluster = new LocalCluster(runDir, "http://127.0.0.1:" + http, coordinatorArgs);
        Runtime.getRuntime().addShutdownHook(cluster.killer);
        try {
            cluster.spawn("coordinator", ChildJvm.zeroshard(coordinatorArgs, null));
            cluster.awaitLine(runDir.resolve("coordinator.log"), "coordinator up", cluster.processes.get(0));
            final int perWorker = threads != null ? threads
                : Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, workers));
            for (int k = 0; k < workers; k++) {
                cluster.spawn("worker-" + k, ChildJvm.onLocalRank(ChildJvm.zeroshard(List.of("worker",
                    "--seed=127.0.0.1:" + clusterPort, "--id=worker-" + k, "--threads=" + perWorker,
                    "--backend=" + backend), perWorker), k));
            }
            cluster.awaitWorkers(workers);
            return cluster;
        } catch (final IOException | InterruptedException | RuntimeException ex) {
            cluster.close();
            throw ex;
        }
    }

    String restUrl() {
        return restUrl;
    }

    Path runDir() {
        return runDir;
    }

    private void spawn(final String name, final ProcessBuilder builder) throws IOException {
        processes.add(builder.redirectOutput(runDir.resolve(name + ".log").toFile()).start());
    }

    private void awaitLine(final Path log, final String text, final Process process)
        throws IOException, InterruptedException {
        final long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new IOException("the coordinator exited with status " + process.exitValue() + "; see " + log);
            }
            Thread.sleep(100);
        }
        throw new IOException("the coordinator did not start within " + START_TIMEOUT_MS / 1000 + " s; see " + log);
    }

    private void awaitWorkers(final int workers) throws IOException, InterruptedException {
        final RestClient client = new RestClient(restUrl);
        final long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        int joined = 0;
        while (System.currentTimeMillis() < deadline) {
            joined = client.get("/v1/workers").body().size();
            if (joined >= workers) {
                return;
            }
            for (int k = 1; k < processes.size(); k++) {
                if (!processes.get(k).isAlive()) {
                    throw new IOException("worker-" + (k - 1) + " exited with status " + processes.get(k).exitValue()
                        + "; see " + runDir.resolve("worker-" + (k - 1) + ".log"));
                }
            }
            Thread.sleep(250);
        }
        throw new IOException("only " + joined + " of " + workers + " workers joined within "
            + START_TIMEOUT_MS / 1000 + " s; logs in " + runDir);
    }

    /**
     * Runs {@code action} with a line that says so when the coordinator JVM exits while the cluster is not being
     * stopped: the workers stay up and rejoin a coordinator started again with the same arguments.
     */
    void onCoordinatorExit(final Consumer<String> action) {
        final Process coordinator = processes.get(0);
        coordinator.onExit().thenAccept(exited -> {
            if (!stopping) {
                action.accept("the coordinator exited with status " + exited.exitValue() + " (log: "
                    + runDir.resolve("coordinator.log") + "); the workers stay up and rejoin a coordinator started "
                    + "again with: bin/zeroshard " + String.join(" ", coordinatorArgs));
            }
        });
    }

    /** The JVM of worker {@code k}. */
    Process worker(final int k) {
        return processes.get(k + 1);
    }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (final IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    /** Workers first, then the coordinator: SIGTERM, and SIGKILL whatever is left after the grace period. */
    private void stopAll() {
        stopping = true;
        for (int k = processes.size() - 1; k >= 0; k--) {
            processes.get(k).destroy();
        }
        final long deadline = System.currentTimeMillis() + STOP_GRACE_MS;
        for (final Process process : processes) {
            try {
                if (!process.waitFor(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            } catch (final InterruptedException ex) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
