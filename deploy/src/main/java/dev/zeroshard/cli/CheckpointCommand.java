package dev.zeroshard.cli;

import dev.zeroshard.checkpoints.safetensors.Dtype;
import dev.zeroshard.checkpoints.sharded.Checkpoint;
import dev.zeroshard.checkpoints.sharded.CheckpointExporter;
import dev.zeroshard.checkpoints.sharded.CheckpointStore;
import dev.zeroshard.checkpoints.sharded.InvalidCheckpointException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code zeroshard checkpoint}: list, verify and export sharded checkpoints. */
@Command(
    name = "checkpoint",
    mixinStandardHelpOptions = true,
    description = "List, verify and export the checkpoints 'train --checkpoint-dir' writes.",
    subcommands = {CheckpointCommand.Ls.class, CheckpointCommand.Verify.class, CheckpointCommand.Export.class})
final class CheckpointCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: 'ls', 'verify' or 'export'");
    }

    /** A checkpoint directory itself (it has a manifest) rather than a root of them. */
    static boolean isCheckpoint(final Path path) {
        return Files.isRegularFile(path.resolve("manifest.pb"));
    }

    @Command(name = "ls", mixinStandardHelpOptions = true,
        description = "List the checkpoints under DIR, newest first: step, ranks, stage, size, validity.")
    static final class Ls implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "checkpoint root (train --checkpoint-dir)")
        private Path root;

        @Option(names = "--checksums", description = "also read every shard and check its CRC32C")
        private boolean checksums;

        @Override
        public Integer call() throws IOException {
            final PrintWriter out = spec.commandLine().getOut();
            final CheckpointStore store = new CheckpointStore(root);
            final List<CheckpointStore.Entry> entries = store.list(false);
            if (entries.isEmpty()) {
                out.println("no checkpoints under " + root);
                return 0;
            }
            final Path latest = store.pointer().orElse(null);
            out.printf("%-15s %8s %6s %6s %6s %12s  %-20s %s%n", "checkpoint", "step", "ranks", "stage", "dtype",
                "size", "written", "status");
            for (final CheckpointStore.Entry entry : entries) {
                final String name = entry.directory().getFileName().toString();
                final String marker = entry.directory().equals(latest) ? " (latest)" : "";
                if (!entry.valid()) {
                    out.printf("%-15s %8d %6s %6s %6s %12s  %-20s INVALID: %s%n", name, entry.step(), "-", "-", "-",
                        "-", "-", entry.problem().orElse("?"));
                    continue;
                }
                final Checkpoint checkpoint = entry.checkpoint().orElseThrow();
                String status;
                try {
                    checkpoint.verify(checksums);
                    status = (checksums ? "ok (checksums)" : "ok (sizes)") + marker;
                } catch (final InvalidCheckpointException ex) {
                    status = "INVALID: " + ex.getMessage();
                }
                out.printf(Locale.ROOT, "%-15s %8d %6d %6d %6s %9.1f MiB  %-20s %s%n", name, checkpoint.step(),
                    checkpoint.manifest().getWorldSize(), checkpoint.manifest().getZeroStage(),
                    checkpoint.manifest().getBf16() ? "bf16" : "fp32", checkpoint.sizeBytes() / 1048576.0,
                    Instant.ofEpochMilli(checkpoint.manifest().getCreatedUnixMs()).toString().substring(0, 19),
                    status);
            }
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Check every shard's presence, size and CRC32C: of one checkpoint (PATH), or of every checkpoint "
            + "under a root (DIR). Exits 1 if any is invalid.")
    static final class Verify implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "DIR|PATH", description = "a checkpoint root or one checkpoint directory")
        private Path path;

        @Override
        public Integer call() throws IOException {
            final PrintWriter out = spec.commandLine().getOut();
            final PrintWriter err = spec.commandLine().getErr();
            if (isCheckpoint(path)) {
                try {
                    final Checkpoint checkpoint = Checkpoint.open(path).verify();
                    out.println(path + ": ok (step " + checkpoint.step() + ", " + checkpoint.manifest().getShardsCount()
                        + " shards)");
                    return 0;
                } catch (final InvalidCheckpointException ex) {
                    err.println("INVALID " + ex.getMessage());
                    return ZeroshardCli.EXIT_INVALID_INPUT;
                }
            }
            final List<CheckpointStore.Entry> entries = new CheckpointStore(path).list(true);
            if (entries.isEmpty()) {
                err.println(path + ": no checkpoints (no step-NNNNNNNN directory)");
                return ZeroshardCli.EXIT_INVALID_INPUT;
            }
            int invalid = 0;
            for (final CheckpointStore.Entry entry : entries) {
                if (entry.valid()) {
                    out.println(entry.directory() + ": ok");
                } else {
                    err.println("INVALID " + entry.problem().orElse(entry.directory().toString()));
                    invalid++;
                }
            }
            return invalid == 0 ? 0 : ZeroshardCli.EXIT_INVALID_INPUT;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
        description = "Consolidate a checkpoint's fp32 master weights into a Hugging Face GPT-2 directory "
            + "(model.safetensors + config.json), tensor by tensor: memory stays one tensor, not the model.")
    static final class Export implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "DIR|PATH", description = "a checkpoint directory, or a root (its latest valid one)")
        private Path path;

        @Option(names = "--out", required = true, paramLabel = "OUT_DIR", description = "where to write")
        private Path out;

        @Option(names = "--dtype", defaultValue = "f32", paramLabel = "f32|bf16",
            description = "dtype of the exported weights (default: ${DEFAULT-VALUE})")
        private String dtype;

        @Override
        public Integer call() throws IOException {
            final Dtype type = switch (dtype.toLowerCase(Locale.ROOT)) {
                case "f32", "fp32" -> Dtype.F32;
                case "bf16" -> Dtype.BF16;
                default -> throw new ParameterException(spec.commandLine(), "--dtype=" + dtype
                    + ": must be f32 or bf16");
            };
            final PrintWriter printer = spec.commandLine().getOut();
            final Checkpoint checkpoint = isCheckpoint(path) ? Checkpoint.open(path).verify()
                : new CheckpointStore(path).resolve("latest", printer::println).orElseThrow(() ->
                    new IllegalArgumentException(path + ": no valid checkpoint to export"));
            final long start = System.nanoTime();
            final Path weights = CheckpointExporter.export(checkpoint, out, type);
            printer.printf(Locale.ROOT, "exported step %d of %s to %s (%s, %.1f MiB, %.1f s)%n", checkpoint.step(),
                checkpoint.directory(), weights, type, Files.size(weights) / 1048576.0,
                (System.nanoTime() - start) / 1e9);
            return 0;
        }
    }
}
