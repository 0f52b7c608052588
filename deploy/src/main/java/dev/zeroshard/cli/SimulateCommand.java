package dev.zeroshard.cli;

import dev.zeroshard.worker.backend.BackendSelector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code zeroshard simulate}: a coordinator and N workers as JVMs on this machine, until Ctrl-C. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Run a whole cluster on this machine: a coordinator JVM and N worker JVMs forming one Akka "
        + "cluster. Prints the REST address; Ctrl-C stops every JVM.")
final class SimulateCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--workers", defaultValue = "2", description = "worker JVMs (default: ${DEFAULT-VALUE})")
    private int workers;

    @Option(names = "--port", defaultValue = "8080", description = "REST port (default: ${DEFAULT-VALUE}; 0: any)")
    private int port;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "job registry and checkpoints (default: a new temp dir)")
    private Path dataDir;

    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "auto|cpu|cuda",
        description = "worker backend (default: ${DEFAULT-VALUE}); auto and cuda are resolved here first, cuda fails "
            + "where it cannot run")
    private String backend;

    @Option(names = "--threads", paramLabel = "K", description = "compute threads per worker (default: cores / N)")
    private Integer threads;

    @Override
    public Integer call() throws Exception {
        if (workers < 1) {
            throw new ParameterException(spec.commandLine(), "--workers=" + workers + " must be >= 1");
        }
        final PrintWriter out = spec.commandLine().getOut();
        if (!BackendSelector.CPU.equals(backend)) {
            out.println(BackendSelector.select(backend).describe());
        }
        final Path data = dataDir != null ? dataDir : Files.createTempDirectory("zeroshard-data-");
        try (LocalCluster cluster = LocalCluster.start(workers, port, data, threads, backend)) {
            out.printf("cluster up: 1 coordinator + %d workers; REST at %s; data in %s; logs in %s%n", workers,
                cluster.restUrl(), data.toAbsolutePath(), cluster.runDir());
            out.printf("submit with: bin/zeroshard submit job.json --url %s --follow; Ctrl-C stops everything%n",
                cluster.restUrl());
            out.flush();
            cluster.onCoordinatorExit(line -> {
                out.println(line);
                out.flush();
            });
            Thread.currentThread().join();
        }
        return 0;
    }
}
