package dev.zeroshard.cli;

import dev.zeroshard.protocol.io.DurableFiles;
import dev.zeroshard.protocol.io.IoErrors;
import dev.zeroshard.worker.train.StepMetrics;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Shows training progress: a live line (step/total, loss, tokens/s, ETA) redrawn in place on a
 * terminal, or one line every {@code printEvery} steps otherwise; and one JSON line per step in the
 * metrics file when one is given. A run resumed at step K keeps the file's lines up to step K and
 * appends after them; lines of steps after K (from the run that stopped) are dropped, as those steps
 * are trained again.
 */
final class ProgressReporter implements Consumer<StepMetrics>, AutoCloseable {
    private static final Pattern STEP = Pattern.compile("^\\{\"step\":(\\d+)[,}]");

    private final PrintWriter out;
    private final long totalSteps;
    private final int printEvery;
    private final boolean live;
    private final Writer metrics;
    private final Path metricsFile;
    private double secondsSoFar;
    private long stepsSoFar;

    ProgressReporter(final PrintWriter out, final long totalSteps, final int printEvery, final Path metricsFile,
                     final long startStep) throws IOException {
        this.out = out;
        this.totalSteps = totalSteps;
        this.printEvery = Math.max(1, printEvery);
        this.live = System.console() != null;
        this.metricsFile = metricsFile;
        this.metrics = metricsFile == null ? null : openMetrics(metricsFile, startStep);
    }

    private static Writer openMetrics(final Path file, final long startStep) throws IOException {
        if (startStep == 0 || !Files.exists(file)) {
            return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        }
        final List<String> kept = new ArrayList<>();
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            final Matcher step = STEP.matcher(line);
            if (step.find() && Long.parseLong(step.group(1)) <= startStep) {
                kept.add(line);
            }
        }
        DurableFiles.writeAtomically(file, kept.stream().map(line -> line + "\n").collect(Collectors.joining())
            .getBytes(StandardCharsets.UTF_8));
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    @Override
    public void accept(final StepMetrics step) {
        secondsSoFar += step.stepSeconds();
        stepsSoFar++;
        final double eta = secondsSoFar / stepsSoFar * (totalSteps - step.step());
        final String line = String.format(Locale.ROOT, "step %d/%d | loss %.4f | lr %.2e | grad norm %.3f | %,.0f tokens/s | ETA %s",
            step.step(), totalSteps, step.loss(), step.lr(), step.gradNorm(), step.tokensPerS(), duration(eta));
        if (live) {
            out.print("\r" + line + "   ");
            if (step.step() == totalSteps) {
                out.println();
            }
            out.flush();
        } else if (step.step() % printEvery == 0 || step.step() == 1 || step.step() == totalSteps) {
            out.println(line);
        }
        if (metrics != null) {
            try {
                metrics.write(step.toJsonLine());
                metrics.write('\n');
                metrics.flush();
            } catch (final IOException ex) {
                throw new UncheckedIOException(IoErrors.naming(ex, "writing", metricsFile));
            }
        }
    }

    static String duration(final double seconds) {
        final long s = Math.round(seconds);
        return s >= 3600
            ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override
    public void close() throws IOException {
        if (metrics != null) {
            metrics.close();
        }
    }
}
