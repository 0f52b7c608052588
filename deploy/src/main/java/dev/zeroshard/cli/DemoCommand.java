package dev.zeroshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.protocol.v1.JobSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code zeroshard demo}: the product end to end on this machine: a coordinator and two worker JVMs forming one
 * cluster, the built-in ZeRO-2 job submitted over REST and followed to the end, then everything shut down.
 * {@code --local} trains the same job in this process instead.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run the built-in demo job (a small GPT-2 on built-in data, ZeRO-2, bf16) on a local cluster: a "
        + "coordinator and --workers worker JVMs; --local trains it in this process instead.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private ThreadsOption threads;

    @Option(names = "--steps", paramLabel = "N",
        description = "optimizer steps, at least the schedule's 20 warmup steps (default: the built-in job's)")
    private Long steps;

    @Option(names = "--workers", defaultValue = "2", paramLabel = "N", description = "worker JVMs (default: ${DEFAULT-VALUE})")
    private int workers;

    @Option(names = "--local", description = "train in this process, without the cluster")
    private boolean local;

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final JobSpec.Builder demo = JobSpecs.builtinDemo().toBuilder();
        if (steps != null) {
            demo.setMaxSteps(steps);
        }
        if (local) {
            final ResolvedJob job = JobSpecs.resolve(demo.build());
            out.println("zeroshard demo: the built-in job, trained in this process as one rank");
            out.println();
            out.print(job.summary());
            out.println();
            return TrainCommand.train(out, job, threads, null, Optional.empty(), Optional.empty());
        }
        if (workers < 1) {
            throw new ParameterException(spec.commandLine(), "--workers=" + workers + " must be >= 1");
        }
        final ResolvedJob job = JobSpecs.resolve(demo.setWorldSize(workers).build());
        out.println("zeroshard demo: a coordinator and " + workers + " worker JVMs on this machine (Akka Cluster, "
            + "Aeron), the built-in job submitted over REST");
        out.println();
        out.print(job.summary());
        out.println();
        out.flush();
        final Path dataDir = Files.createTempDirectory("zeroshard-demo-");
        try (LocalCluster cluster = LocalCluster.start(workers, 0, dataDir, threads.threads(), "cpu")) {
            out.println("cluster up: REST at " + cluster.restUrl() + "; logs in " + cluster.runDir());
            final RestClient client = new RestClient(cluster.restUrl());
            final RestClient.Reply submitted = client.post("/v1/jobs", JobSpecs.toJson(job.spec()));
            if (submitted.status() != 201) {
                spec.commandLine().getErr().println("zeroshard demo: " + submitted.error());
                return ZeroshardCli.EXIT_INVALID_INPUT;
            }
            final String id = submitted.body().path("id").asText();
            out.println("submitted " + id);
            final int status = SubmitCommand.follow(client, id, out);
            final JsonNode metrics = client.get("/v1/jobs/" + id + "/metrics").body();
            final JsonNode end = client.get("/v1/jobs/" + id).body();
            if (metrics.size() > 0) {
                out.printf(Locale.ROOT, "done: loss %.4f -> %.4f over %d steps, %,.0f tokens/s at the end; "
                        + "checkpoint %s%n", metrics.get(0).path("loss").asDouble(),
                    metrics.get(metrics.size() - 1).path("loss").asDouble(), end.path("step").asLong(),
                    metrics.get(metrics.size() - 1).path("tokens_per_s").asDouble(),
                    end.path("last_checkpoint").asText());
            }
            out.println("stopping the cluster");
            out.flush();
            return status;
        }
    }
}
