package dev.zeroshard.cli;

import dev.zeroshard.worker.train.StepMetrics;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Shows training progress: a live line (step/total, loss, tokens/s, ETA) redrawn in place on a
 * terminal, or one line every {@code printEvery} steps otherwise; and one JSON line per step in the
 * metrics file when one is given.
 */
final class ProgressReporter implements Consumer<StepMetrics>, AutoCloseable {
    private final PrintWriter out;
    private final long totalSteps;
    private final int printEvery;
    private final boolean live;
    private final Writer metrics;
    private double secondsSoFar;
    private long stepsSoFar;

    ProgressReporter(final PrintWriter out, final long totalSteps, final int printEvery, final Path metricsFile)
        throws IOException {
        this.out = out;
        this.totalSteps = totalSteps;
        this.printEvery = Math.max(1, printEvery);
        this.live = System.console() != null;
        this.metrics = metricsFile == null ? null : Files.newBufferedWriter(metricsFile, StandardCharsets.UTF_8);
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
                throw new UncheckedIOException(ex);
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
