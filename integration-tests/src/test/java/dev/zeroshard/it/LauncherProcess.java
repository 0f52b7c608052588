package dev.zeroshard.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code bin/zeroshard} as a user would, as a separate process with a hard deadline. Output
 * (stdout and stderr merged) is kept in {@code target/it-logs} so a failure can be read afterwards.
 */
final class LauncherProcess {
    /** The result of one finished run. */
    record Result(int exitCode, String output, Path log) {
    }

    private LauncherProcess() {
    }

    static Path home() {
        final String home = System.getProperty("zeroshard.home");
        if (home == null) {
            throw new IllegalStateException("system property zeroshard.home is not set (run through Maven failsafe)");
        }
        return Path.of(home);
    }

    /** A run still going: its process and the log its output goes to. */
    record Running(Process process, Path log, String[] args) {
        /** Waits for the end, by {@code deadline} at the latest (then kills it and everything it started). */
        Result await(final Duration deadline) throws IOException, InterruptedException {
            return LauncherProcess.await(this, deadline);
        }

        String output() throws IOException {
            return Files.readString(log, StandardCharsets.UTF_8);
        }
    }

    /**
     * Whether {@code process} was started with {@code argument}: read from {@code /proc/PID/cmdline}, because
     * {@link ProcessHandle.Info#arguments()} is empty for command lines longer than the JDK reads (a zeroshard JVM's
     * class path alone is longer).
     */
    static boolean hasArgument(final ProcessHandle process, final String argument) {
        try {
            final byte[] bytes = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
            return List.of(new String(bytes, StandardCharsets.UTF_8).split("\0")).contains(argument);
        } catch (final IOException gone) {
            return false;
        }
    }

    /** The REST address {@code simulate} prints once its cluster is up (at most 150 s). */
    static String awaitRestUrl(final Running simulate) throws IOException, InterruptedException {
        final Pattern rest = Pattern.compile("REST at (http://[0-9.]+:[0-9]+)");
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        while (System.nanoTime() < until && simulate.process().isAlive()) {
            final Matcher matcher = rest.matcher(simulate.output());
            if (matcher.find()) {
                return matcher.group(1);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("simulate did not come up: " + simulate.output());
    }

    static Result run(final Duration deadline, final String... args) throws IOException, InterruptedException {
        return start(args).await(deadline);
    }

    static Running start(final String... args) throws IOException {
        final Path logs = Files.createDirectories(home().resolve("integration-tests/target/it-logs"));
        final Path log = Files.createTempFile(logs, "zeroshard-" + (args.length > 0 ? args[0] : "none") + "-", ".log");
        final List<String> command = new ArrayList<>();
        command.add(home().resolve("bin/zeroshard").toString());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command)
            .directory(home().toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        builder.environment().put("ZEROSHARD_SKIP_BUILD", "1");
        return new Running(builder.start(), log, args);
    }

    private static Result await(final Running running, final Duration deadline)
        throws IOException, InterruptedException {
        final Process process = running.process();
        final Path log = running.log();
        final String[] args = running.args();
        if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError("bin/zeroshard " + String.join(" ", args) + " did not finish within "
                + deadline + "; its output is in " + log);
        }
        return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8), log);
    }
}
