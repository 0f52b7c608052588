package dev.zeroshard.it;

import dev.zeroshard.protocol.net.FreePorts;
import dev.zeroshard.sharding.aeron.AeronDriver;
import dev.zeroshard.sharding.aeron.StaleDriverDirectories;
import dev.zeroshard.sharding.aeron.TransportConfig;
import dev.zeroshard.sharding.collective.Partition;
import dev.zeroshard.sharding.collective.RingSchedule;
import io.aeron.driver.ThreadingMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ring collectives with every rank in its own JVM ({@link RingRankMain}), over UDP on loopback, each rank with an
 * embedded media driver of its own: results equal the ring-ordered reference bit for bit, and a rank killed with
 * SIGKILL mid-collective makes every survivor fail within the deadline, naming it, without leaving its Aeron
 * directory behind; the directory the victim could not delete goes at the next embedded driver's start.
 */
class RingCollectivesIT {
    private static final long SEED = 20_261_128L;
    private static final AtomicInteger NEXT_EPOCH = new AtomicInteger(1);
    private static final long KILL_DEADLINE_MS = 5_000;
    /** Covers JVM exit, driver close and a loaded 2-core machine. */
    private static final long KILL_SLACK_MS = 10_000;

    private final List<RankProcess> ranks = new ArrayList<>();
    private Path baseDir;

    @AfterEach
    void destroyRanks() throws IOException {
        for (final RankProcess rank : ranks) {
            rank.process.descendants().forEach(ProcessHandle::destroyForcibly);
            rank.process.destroyForcibly();
        }
        for (final RankProcess rank : ranks) {
            try {
                rank.process.waitFor(10, TimeUnit.SECONDS);
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        if (baseDir != null && Files.exists(baseDir)) {
            try (Stream<Path> paths = Files.walk(baseDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 4})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldEqualRingReferenceBitForBitWhenEveryRankIsItsOwnJvm(final int worldSize) throws Exception {
        // not divisible by 2 or 4, and several chunks of 16360 elements per segment
        final int length = 100_003;
        final Path work = workDirectory("allreduce-" + worldSize);
        final String ports = freeUdpPorts(worldSize);
        final int epoch = NEXT_EPOCH.getAndIncrement();
        for (int rank = 0; rank < worldSize; rank++) {
            ranks.add(RankProcess.start(rank, worldSize, ports, epoch, length, 1,
                work.resolve("rank-" + rank + ".bin"), baseDir, List.of()));
        }
        for (final RankProcess rank : ranks) {
            assertThat(rank.process.waitFor(45, TimeUnit.SECONDS)).as("rank %d finished; log %s", rank.rank, rank.log)
                .isTrue();
            rank.drained.get(5, TimeUnit.SECONDS);
            assertThat(rank.process.exitValue()).as("exit status of rank %d; output %s", rank.rank, rank.lines)
                .isZero();
        }

        final float[][] inputs = new float[worldSize][];
        for (int rank = 0; rank < worldSize; rank++) {
            inputs[rank] = RingRankMain.inputs(SEED, rank, length);
        }
        final float[] expected = new float[length];
        RingSchedule.referenceSum(inputs, 0, Partition.even(length, worldSize), expected, 0);
        for (final RankProcess rank : ranks) {
            final int[] actual = readBits(work.resolve("rank-" + rank.rank + ".bin"), length);
            final int[] wanted = new int[length];
            for (int i = 0; i < length; i++) {
                wanted[i] = Float.floatToRawIntBits(expected[i]);
            }
            assertThat(actual).as("bits of rank %d", rank.rank).isEqualTo(wanted);
            assertThat(Path.of(rank.aeronDirectory())).as("aeron directory of rank %d", rank.rank).doesNotExist();
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldFailEverySurvivorWithinDeadlineNamingVictimWhenRankIsKilledMidCollective() throws Exception {
        final int worldSize = 3;
        final int victim = 1;
        // 8 Mi floats (32 MiB) per allreduce, many times over: the kill lands inside a collective
        final int length = 8 * 1024 * 1024 + 1;
        final Path work = workDirectory("kill");
        final String ports = freeUdpPorts(worldSize);
        final int epoch = NEXT_EPOCH.getAndIncrement();
        final List<String> properties = List.of("-Dzeroshard.comm.deadline=" + KILL_DEADLINE_MS + "ms",
            "-Dzeroshard.comm.connect.timeout=20s");
        for (int rank = 0; rank < worldSize; rank++) {
            ranks.add(RankProcess.start(rank, worldSize, ports, epoch, length, 100_000,
                work.resolve("rank-" + rank + ".bin"), baseDir, properties));
        }
        for (final RankProcess rank : ranks) {
            rank.firstIteration.get(40, TimeUnit.SECONDS);
        }

        final long killedAtNs = System.nanoTime();
        ranks.get(victim).process.destroyForcibly();

        for (final RankProcess rank : ranks) {
            if (rank.rank == victim) {
                continue;
            }
            final boolean exited = rank.process.waitFor(KILL_DEADLINE_MS + KILL_SLACK_MS, TimeUnit.MILLISECONDS);
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAtNs);
            assertThat(exited).as("rank %d exited within %d ms of the kill; log %s", rank.rank,
                KILL_DEADLINE_MS + KILL_SLACK_MS, rank.log).isTrue();
            rank.drained.get(5, TimeUnit.SECONDS);
            assertThat(rank.process.exitValue()).as("exit status of rank %d after %d ms; output %s", rank.rank,
                elapsedMs, rank.lines).isEqualTo(RingRankMain.COLLECTIVE_FAILED);
            final String failure = rank.lines.stream().filter(line -> line.startsWith("FAILED ")).findFirst()
                .orElseThrow();
            assertThat(failure).as("failure of rank %d", rank.rank)
                .contains("culprits=[" + victim + "]")
                .contains("rank " + victim + " did not deliver");
            assertThat(Path.of(rank.aeronDirectory())).as("aeron directory of rank %d", rank.rank).doesNotExist();
            // kept next to the logs: how long after the kill each survivor was gone
            Files.writeString(work.resolve("rank-" + rank.rank + ".exit"), "exited " + elapsedMs
                + " ms after the kill of rank " + victim + ": " + failure + System.lineSeparator());
        }

        // what the SIGKILL left: removed by the next driver to start there once the dead driver is silent long enough
        final Path left = Path.of(ranks.get(victim).aeronDirectory());
        assertThat(left).as("the killed rank's Aeron directory").isDirectory();
        final long sweepDeadlineNs = System.nanoTime()
            + StaleDriverDirectories.DRIVER_SILENCE.plusSeconds(15).toNanos();
        while (Files.exists(left) && System.nanoTime() < sweepDeadlineNs) {
            try (AeronDriver next = AeronDriver.launchEmbedded(new TransportConfig().baseDirectory(baseDir.toString())
                .threadingMode(ThreadingMode.INVOKER).conclude())) {
                assertThat(Path.of(next.directoryName())).isDirectory();
            }
            Thread.sleep(500);
        }
        assertThat(left).as("the killed rank's Aeron directory, once a new driver started after its driver fell "
            + "silent").doesNotExist();
    }

    private Path workDirectory(final String name) throws IOException {
        final Path logs = Files.createDirectories(LauncherProcess.home().resolve("integration-tests/target/it-logs"));
        baseDir = Files.createTempDirectory("zeroshard-it-aeron-");
        return Files.createTempDirectory(logs, "ring-" + name + "-");
    }

    /** Ports that were free a moment ago, comma-separated. */
    private static String freeUdpPorts(final int count) {
        return FreePorts.udp(InetAddress.getLoopbackAddress(), count).stream().map(String::valueOf)
            .collect(Collectors.joining(","));
    }

    private static int[] readBits(final Path file, final int length) throws IOException {
        final int[] bits = new int[length];
        try (DataInputStream stream = new DataInputStream(Files.newInputStream(file))) {
            for (int i = 0; i < length; i++) {
                bits[i] = stream.readInt();
            }
            assertThat(stream.read()).as("end of %s", file).isEqualTo(-1);
        }
        return bits;
    }

    /** One forked rank; its output is copied to a log file and kept in memory line by line. */
    private static final class RankProcess {
        final int rank;
        final Process process;
        final Path log;
        final List<String> lines = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> firstIteration = new CompletableFuture<>();
        final CompletableFuture<Void> drained = new CompletableFuture<>();

        private RankProcess(final int rank, final Process process, final Path log) {
            this.rank = rank;
            this.process = process;
            this.log = log;
        }

        static RankProcess start(final int rank, final int worldSize, final String ports, final int epoch,
                                 final int length, final int iterations, final Path out, final Path baseDir,
                                 final List<String> properties) throws IOException {
            final List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            final String flags = System.getProperty("zeroshard.jvm.flags", "").trim();
            if (!flags.isEmpty()) {
                command.addAll(List.of(flags.split("\\s+")));
            }
            command.add("-Xmx256m");
            command.add("-Dzeroshard.aeron.base.dir=" + baseDir);
            command.addAll(properties);
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(RingRankMain.class.getName());
            command.addAll(List.of(Integer.toString(rank), Integer.toString(worldSize), ports, "4242",
                Integer.toString(epoch), Integer.toString(length), Long.toString(SEED), Integer.toString(iterations),
                out.toString()));
            final Path log = out.resolveSibling("rank-" + rank + ".log");
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final RankProcess rankProcess = new RankProcess(rank, process, log);
            final Thread reader = new Thread(rankProcess::copyOutput, "it-rank-" + rank + "-output");
            reader.setDaemon(true);
            reader.start();
            return rankProcess;
        }

        /** The Aeron directory the rank reported once connected. */
        String aeronDirectory() {
            return lines.stream().filter(line -> line.startsWith("AERON_DIR ")).findFirst()
                .map(line -> line.substring("AERON_DIR ".length()))
                .orElseThrow(() -> new AssertionError("rank " + rank + " reported no Aeron directory: " + lines));
        }

        private void copyOutput() {
            try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                 BufferedWriter writer = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lines.add(line);
                    writer.write(line);
                    writer.newLine();
                    writer.flush();
                    if (line.startsWith("ITERATION ")) {
                        firstIteration.complete(null);
                    }
                }
            } catch (final IOException ex) {
                firstIteration.completeExceptionally(ex);
            } finally {
                firstIteration.completeExceptionally(new AssertionError("rank " + rank + " ended before an "
                    + "iteration: " + lines));
                drained.complete(null);
            }
        }
    }
}
