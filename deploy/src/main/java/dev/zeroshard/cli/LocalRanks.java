package dev.zeroshard.cli;

import dev.zeroshard.protocol.io.FileTrees;
import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.sharding.aeron.RankEndpoint;
import dev.zeroshard.sharding.aeron.RingSpec;
import dev.zeroshard.sharding.collective.CommSettings;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code train --ranks N}: the job's N ranks as N child JVMs on this machine, each running {@code zeroshard rank}
 * with its own embedded Aeron driver on a loopback UDP port. Rank 0's output is shown here; every rank's output is
 * kept in {@code rank-R.log} under a run directory. If a rank fails, its peers fail by their collective deadline
 * naming it; whatever is still running after that is stopped, and the summary says which rank failed how.
 */
final class LocalRanks {
    private static final long POLL_MS = 200;
    private static final int LOG_TAIL_LINES = 15;

    private LocalRanks() {
    }

    /** Options passed to every rank. */
    record RankOptions(Integer threadsPerRank, Path metricsOut, Optional<Path> initWeights,
                       Optional<Path> saveWeights, String onNonFinite, Optional<Path> statsDir) {
        RankOptions(final Integer threadsPerRank, final Path metricsOut, final Optional<Path> initWeights,
                    final Optional<Path> saveWeights, final String onNonFinite) {
            this(threadsPerRank, metricsOut, initWeights, saveWeights, onNonFinite, Optional.empty());
        }
    }

    static int run(final PrintWriter out, final PrintWriter err, final ResolvedJob job, final RankOptions options)
        throws IOException, InterruptedException {
        final int ranks = job.worldSize();
        final Path runDir = Files.createTempDirectory("zeroshard-ranks-");
        final Path jobFile = runDir.resolve("job.json");
        Files.writeString(jobFile, JobSpecs.toJson(job.spec()), StandardCharsets.UTF_8);
        final RingSpec ring = RingSpec.udpLoopbackOnFreePorts(ranks, 1);
        final String endpoints = ring.endpoints().stream().map(RankEndpoint::hostPort)
            .collect(Collectors.joining(","));
        final int threads = options.threadsPerRank() != null ? options.threadsPerRank()
            : Math.max(1, Runtime.getRuntime().availableProcessors() / ranks);
        out.printf("starting %d ranks (%d compute threads each); logs in %s (kept if a rank fails)%n", ranks,
            threads, runDir);
        out.flush();

        final List<Process> processes = new ArrayList<>();
        final Thread killer = new Thread(() -> processes.forEach(Process::destroyForcibly), "kill-ranks");
        Runtime.getRuntime().addShutdownHook(killer);
        final List<Thread> pumps = new ArrayList<>();
        try {
            for (int rank = 0; rank < ranks; rank++) {
                final Path log = runDir.resolve("rank-" + rank + ".log");
                final ProcessBuilder builder = ChildJvm.onLocalRank(ChildJvm.zeroshard(rankArguments(jobFile, rank,
                    endpoints, threads, options), threads), rank);
                if (rank != 0) {
                    builder.redirectOutput(log.toFile());
                }
                final Process process = builder.start();
                processes.add(process);
                if (rank == 0) {
                    pumps.add(pump(process, out, log));
                }
            }
            final int status = awaitAll(processes, err);
            for (final Thread pump : pumps) {
                pump.join(TimeUnit.SECONDS.toMillis(5));
            }
            if (status != 0) {
                for (int rank = 0; rank < ranks; rank++) {
                    if (processes.get(rank).exitValue() != 0) {
                        err.printf("rank %d exited with status %d; last lines of %s:%n", rank,
                            processes.get(rank).exitValue(), runDir.resolve("rank-" + rank + ".log"));
                        tail(runDir.resolve("rank-" + rank + ".log")).forEach(line -> err.println("  " + line));
                    }
                }
            } else {
                // the logs matter when a rank failed; after a run that succeeded they would only pile up in /tmp
                FileTrees.delete(runDir);
            }
            return status;
        } finally {
            processes.forEach(Process::destroyForcibly);
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (final IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private static List<String> rankArguments(final Path jobFile, final int rank, final String endpoints,
                                              final int threads, final RankOptions options) {
        final List<String> command = new ArrayList<>();
        command.add("rank");
        command.add("--job=" + jobFile);
        command.add("--rank=" + rank);
        command.add("--endpoints=" + endpoints);
        command.add("--threads=" + threads);
        command.add("--on-nonfinite=" + options.onNonFinite());
        command.add("--run-id=" + jobFile.getParent().getFileName());
        if (options.metricsOut() != null && rank == 0) {
            command.add("--metrics-out=" + options.metricsOut().toAbsolutePath());
        }
        options.initWeights().ifPresent(file -> command.add("--init-weights=" + file.toAbsolutePath()));
        options.saveWeights().ifPresent(file -> command.add("--save-weights=" + file.toAbsolutePath()));
        options.statsDir().ifPresent(dir -> command.add("--stats-out=" + dir.resolve("rank-" + rank + ".jsonl")
            .toAbsolutePath()));
        return command;
    }

    /** Copies rank 0's output to {@code out} and its log, line by line. */
    private static Thread pump(final Process process, final PrintWriter out, final Path log) {
        final Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)); Writer file = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
                String line;
                while ((line = reader.readLine()) != null) {
                    out.println(line);
                    out.flush();
                    file.write(line);
                    file.write('\n');
                    file.flush();
                }
            } catch (final IOException ex) {
                out.println("(rank 0's output ended: " + ex.getMessage() + ")");
            }
        }, "rank-0-output");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /**
     * Waits for every rank. Once one fails, the others get the collective deadline (plus a margin) to notice and
     * exit on their own before they are stopped. Returns 0 when all succeeded, else the first failure's status.
     */
    private static int awaitAll(final List<Process> processes, final PrintWriter err) throws InterruptedException {
        final CommSettings settings = new CommSettings().conclude();
        final long graceNs = settings.deadlineNs() + settings.failureGraceNs() + TimeUnit.SECONDS.toNanos(10);
        long failedAtNs = 0;
        int status = 0;
        while (true) {
            boolean running = false;
            for (int rank = 0; rank < processes.size(); rank++) {
                final Process process = processes.get(rank);
                if (process.isAlive()) {
                    running = true;
                } else if (process.exitValue() != 0 && status == 0) {
                    status = process.exitValue();
                    failedAtNs = System.nanoTime();
                    err.printf("rank %d failed (exit status %d); waiting up to %d s for the others to stop%n", rank,
                        status, TimeUnit.NANOSECONDS.toSeconds(graceNs));
                    err.flush();
                }
            }
            if (!running) {
                return status;
            }
            if (status != 0 && System.nanoTime() - failedAtNs > graceNs) {
                for (int rank = 0; rank < processes.size(); rank++) {
                    if (processes.get(rank).isAlive()) {
                        err.printf("rank %d did not stop within %d s of the failure; killing it%n", rank,
                            TimeUnit.NANOSECONDS.toSeconds(graceNs));
                        processes.get(rank).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                }
                return status;
            }
            Thread.sleep(POLL_MS);
        }
    }

    private static List<String> tail(final Path log) {
        try {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
        } catch (final IOException ex) {
            return List.of("(no log: " + ex.getMessage() + ")");
        }
    }
}
