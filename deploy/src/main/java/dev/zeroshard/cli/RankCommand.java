package dev.zeroshard.cli;

import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.sharding.aeron.RingSpec;
import dev.zeroshard.sharding.aeron.TransportConfig;
import dev.zeroshard.sharding.collective.CommSettings;
import dev.zeroshard.sharding.collective.CommSpec;
import dev.zeroshard.sharding.collective.Communicator;
import dev.zeroshard.worker.ops.Parallel;
import dev.zeroshard.worker.train.RankTraining;
import dev.zeroshard.worker.train.StepMetrics;
import dev.zeroshard.worker.zero.CommStats;
import dev.zeroshard.worker.zero.NonFinitePolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code zeroshard rank}: one rank of a job in this JVM, talking to its peers over Aeron UDP. Started by
 * {@code train --ranks N} (and later by the worker service), not by hand; hidden from {@code --help}.
 */
@Command(name = "rank", hidden = true, mixinStandardHelpOptions = true,
    description = "Run one rank of a multi-rank job (started by 'train --ranks N').")
final class RankCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--job", required = true, paramLabel = "JOB_JSON", description = "the job spec, JSON")
    private Path jobFile;

    @Option(names = "--rank", required = true, paramLabel = "R", description = "this rank")
    private int rank;

    @Option(names = "--endpoints", required = true, split = ",", paramLabel = "HOST:PORT",
        description = "every rank's UDP endpoint, in rank order")
    private List<String> endpoints;

    @Option(names = "--stream-id", defaultValue = "1", paramLabel = "ID", description = "Aeron stream id")
    private int streamId;

    @Option(names = "--epoch", defaultValue = "1", paramLabel = "E", description = "the ring's epoch")
    private int epoch;

    @Mixin
    private ThreadsOption threads;

    @Option(names = "--metrics-out", paramLabel = "FILE", description = "rank 0: one JSON line per step")
    private Path metricsOut;

    @Option(names = "--init-weights", paramLabel = "FILE", description = "start from these safetensors weights")
    private Path initWeights;

    @Option(names = "--save-weights", paramLabel = "FILE", description = "rank 0 writes the final weights here")
    private Path saveWeights;

    @Option(names = "--on-nonfinite", defaultValue = "stop", paramLabel = "stop|skip",
        description = "what a step does with a NaN/Inf gradient")
    private String onNonFinite;

    @Option(names = "--run-id", defaultValue = "run", paramLabel = "ID",
        description = "the same on every rank of a run (names checkpoint staging directories)")
    private String runId;

    @Option(names = "--stats-out", paramLabel = "FILE",
        description = "this rank: one JSON line per step with step time, communication wait and busy time")
    private Path statsOut;

    @Override
    public Integer call() throws Exception {
        threads.apply();
        final ResolvedJob job = JobSpecs.read(jobFile);
        final PrintWriter out = spec.commandLine().getOut();
        final CommSpec commSpec = new CommSpec(rank, epoch, RingSpec.udp(endpoints, streamId));
        try (Communicator comm = Communicator.open(commSpec, new CommSettings().conclude(),
                new TransportConfig().conclude());
             RankTraining training = RankTraining.create(job, comm, Optional.ofNullable(initWeights),
                NonFinitePolicy.parse(onNonFinite), runId, message -> {
                    out.println("rank " + rank + ": " + message);
                    out.flush();
                })) {
            final int stage = training.engine().settings().stage();
            final String shard = stage == 0 ? "replicated on every rank" : String.format(Locale.ROOT,
                "%,d in this rank's shard", training.engine().shardPlan().ownedElements(rank));
            out.printf(Locale.ROOT,
                "rank %d of %d: ZeRO stage %d, %,d parameters (%s), %d threads%nrank %d memory: %s%n", rank,
                comm.worldSize(), stage, training.engine().shardPlan().elements(), shard, Parallel.shared().threads(),
                rank, training.engine().memory().toJson());
            final StepMetrics[] last = new StepMetrics[1];
            try (ProgressReporter progress = rank == 0 ? new ProgressReporter(out, job.spec().getMaxSteps(),
                job.deepspeed().config().logging().stepsPerPrint(), metricsOut, training.engine().step()) : null;
                 Writer stats = statsOut == null ? null : Files.newBufferedWriter(statsOut, StandardCharsets.UTF_8)) {
                training.run(step -> {
                    last[0] = step;
                    if (progress != null) {
                        progress.accept(step);
                    }
                    if (stats != null) {
                        writeStats(stats, step, training.engine().lastCommStats());
                    }
                });
            }
            if (saveWeights != null) {
                training.saveWeights(saveWeights);
                if (rank == 0) {
                    out.println("weights written to " + saveWeights);
                }
            }
            out.printf(Locale.ROOT, "rank %d done: %d steps, final loss %.4f, %d skipped%n", rank,
                training.engine().step(), last[0] == null ? Double.NaN : last[0].loss(),
                training.engine().skippedSteps());
            System.gc();
            out.printf(Locale.ROOT, "rank %d heap in use after GC: %,d MiB; the engine accounts for %,d MiB%n", rank,
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20,
                training.engine().memory().total() >> 20);
        }
        return 0;
    }

    private static void writeStats(final Writer stats, final StepMetrics step, final CommStats comm) {
        try {
            stats.write(String.format(Locale.ROOT, "{\"step\":%d,\"step_s\":%.6f,\"comm_wait_s\":%.6f,"
                + "\"comm_busy_s\":%.6f}%n", step.step(), step.stepSeconds(), comm.waitSeconds(), comm.busySeconds()));
            stats.flush();
        } catch (final IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
