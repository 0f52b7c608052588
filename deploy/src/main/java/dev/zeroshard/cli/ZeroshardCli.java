package dev.zeroshard.cli;

import dev.zeroshard.checkpoints.sharded.InvalidCheckpointException;
import dev.zeroshard.sharding.collective.CollectiveException;

import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.worker.data.MalformedDataException;
import dev.zeroshard.worker.train.TrainingStoppedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * {@code bin/zeroshard}: the one entry point users meet. Usage errors exit with 2, invalid
 * configs and jobs with 1 after listing every problem, success with 0.
 */
@Command(
    name = "zeroshard",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "ZeRO-sharded transformer training on a cluster of JVMs.",
    subcommands = {DemoCommand.class, TrainCommand.class, EvalCommand.class, EstimateCommand.class,
        CheckpointCommand.class, SimulateCommand.class, SubmitCommand.class, StatusCommand.class,
        CoordinatorCommand.class, WorkerNodeCommand.class, OperatorCommand.class, BenchCommand.class, ConfigCommand.class, RankCommand.class},
    commandListHeading = "%nCommands:%n",
    footer = {"", "Run 'zeroshard COMMAND --help' for the options of a command."})
public final class ZeroshardCli implements Runnable {
    /** Exit status of an invalid config, job spec or input file. */
    public static final int EXIT_INVALID_INPUT = 1;
    /** Exit status of a rank whose peer failed or stopped answering (the message names it). */
    public static final int EXIT_PEER_FAILED = 3;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(final String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line on the standard streams and returns its exit status. */
    public static int run(final String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with its output and errors sent to the given writers. */
    public static int run(final PrintWriter out, final PrintWriter err, final String... args) {
        try {
            return new CommandLine(new ZeroshardCli())
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler(ZeroshardCli::reportFailure)
                .execute(args);
        } finally {
            // a command's last print() without a line end stays in the writer otherwise, and main exits
            out.flush();
            err.flush();
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: say what to run");
    }

    private static int reportFailure(
        final Exception ex, final CommandLine commandLine, final CommandLine.ParseResult parseResult) {
        final PrintWriter err = commandLine.getErr();
        if (ex instanceof ConfigException invalid) {
            err.println("zeroshard " + commandLine.getCommandName() + ": " + invalid.errors().size()
                + (invalid.errors().size() == 1 ? " problem:" : " problems:"));
            invalid.errors().forEach(error -> err.println("  " + error));
            return EXIT_INVALID_INPUT;
        }
        if (ex instanceof InvalidCheckpointException invalid) {
            err.println("zeroshard " + commandLine.getCommandName() + ": invalid checkpoint: " + invalid.getMessage());
            return EXIT_INVALID_INPUT;
        }
        if (ex instanceof CollectiveException peer) {
            err.println("zeroshard " + commandLine.getCommandName() + ": " + peer.getMessage());
            return EXIT_PEER_FAILED;
        }
        if (ex instanceof UncheckedIOException io) {
            err.println("zeroshard " + commandLine.getCommandName() + ": " + describe(io.getCause()));
            return EXIT_INVALID_INPUT;
        }
        if (ex instanceof IOException || ex instanceof IllegalArgumentException
            || ex instanceof MalformedDataException || ex instanceof TrainingStoppedException) {
            err.println("zeroshard " + commandLine.getCommandName() + ": " + describe(ex));
            return EXIT_INVALID_INPUT;
        }
        throw new IllegalStateException(ex);
    }

    /** The message; for a file system error without a reason, which would print its bare path, what is wrong too. */
    static String describe(final Throwable ex) {
        if (ex instanceof FileSystemException file && file.getReason() == null) {
            final String what = ex instanceof NoSuchFileException ? "no such file or directory"
                : ex instanceof AccessDeniedException ? "permission denied"
                : ex instanceof FileAlreadyExistsException ? "already exists"
                : ex instanceof NotDirectoryException ? "not a directory"
                : ex instanceof DirectoryNotEmptyException ? "directory not empty"
                : ex.getClass().getSimpleName();
            return file.getMessage() + ": " + what;
        }
        return ex.getMessage();
    }
}
