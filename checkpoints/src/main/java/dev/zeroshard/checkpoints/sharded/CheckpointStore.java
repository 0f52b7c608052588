package dev.zeroshard.checkpoints.sharded;

import dev.zeroshard.protocol.io.FileTrees;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A job's checkpoint root: the committed {@code step-NNNNNNNN} directories, the {@code latest} pointer, staging
 * directories of saves in progress (or of crashed ones), and retention.
 */
public final class CheckpointStore {
    private final Path root;

    public CheckpointStore(final Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** One committed directory as found: its checkpoint when it opens and verifies, else why not. */
    public record Entry(Path directory, long step, Optional<Checkpoint> checkpoint, Optional<String> problem) {
        public boolean valid() {
            return checkpoint.isPresent();
        }
    }

    /** Every step directory, newest first, each opened and (when {@code verify}) checked in full. */
    public List<Entry> list(final boolean verify) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        final List<Entry> entries = new ArrayList<>();
        try (Stream<Path> children = Files.list(root)) {
            for (final Path directory : children.filter(CheckpointStore::isStepDirectory)
                .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList()) {
                final long step = Long.parseLong(directory.getFileName().toString()
                    .substring(CheckpointFiles.STEP_PREFIX.length()));
                try {
                    final Checkpoint checkpoint = Checkpoint.open(directory);
                    entries.add(new Entry(directory, step, Optional.of(verify ? checkpoint.verify() : checkpoint),
                        Optional.empty()));
                } catch (final InvalidCheckpointException ex) {
                    entries.add(new Entry(directory, step, Optional.empty(), Optional.of(ex.getMessage())));
                }
            }
        }
        return entries;
    }

    /**
     * The checkpoint {@code spec} names: {@code latest} (the pointer's target when it verifies, else the newest
     * valid one, each fallback reported to {@code warnings}) or a directory path (which must verify).
     *
     * @return empty when {@code latest} is asked for and there is no valid checkpoint at all.
     * @throws InvalidCheckpointException when a named directory is not a valid checkpoint.
     */
    public Optional<Checkpoint> resolve(final String spec, final Consumer<String> warnings) throws IOException {
        if (!"latest".equals(spec)) {
            return Optional.of(Checkpoint.open(Path.of(spec)).verify());
        }
        final Optional<Path> pointed = pointer();
        if (pointed.isPresent()) {
            try {
                return Optional.of(Checkpoint.open(pointed.get()).verify());
            } catch (final InvalidCheckpointException ex) {
                warnings.accept("latest points at an invalid checkpoint (" + ex.getMessage()
                    + "); falling back to the newest valid one");
            }
        }
        for (final Entry entry : list(true)) {
            if (entry.valid()) {
                if (pointed.isPresent() && !entry.directory().equals(pointed.get())) {
                    warnings.accept("resuming from " + entry.directory());
                }
                return entry.checkpoint();
            }
            warnings.accept("skipping " + entry.problem().orElse(entry.directory().toString()));
        }
        return Optional.empty();
    }

    /**
     * Deletes committed checkpoints beyond the newest {@code keepLast} valid ones (0 keeps all; the newest valid
     * one is always among those kept), never one in {@code protectedDirectories} (absolute, normalized paths: the
     * checkpoint a run loaded), and staging directories left by other runs.
     */
    public List<Path> retain(final int keepLast, final Set<Path> protectedDirectories, final String currentRunId)
        throws IOException {
        final List<Path> deleted = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return deleted;
        }
        try (Stream<Path> children = Files.list(root)) {
            for (final Path staging : children.filter(p -> p.getFileName().toString()
                .startsWith(CheckpointFiles.STAGING_PREFIX) && !p.getFileName().toString().endsWith("-" + currentRunId))
                .toList()) {
                FileTrees.delete(staging);
                deleted.add(staging);
            }
        }
        if (keepLast <= 0) {
            return deleted;
        }
        int validKept = 0;
        for (final Entry entry : list(false)) {
            // an unreadable directory is left for a person to look at; only valid ones beyond K go
            final boolean keep = !entry.valid() || validKept < keepLast
                || protectedDirectories.contains(entry.directory().toAbsolutePath().normalize());
            if (entry.valid() && validKept < keepLast) {
                validKept++;
            }
            if (!keep) {
                FileTrees.delete(entry.directory());
                deleted.add(entry.directory());
            }
        }
        return deleted;
    }

    /** Where {@code latest} points, if it exists. */
    public Optional<Path> pointer() throws IOException {
        try {
            final String name = Files.readString(root.resolve(CheckpointFiles.LATEST), StandardCharsets.UTF_8).trim();
            return name.isEmpty() ? Optional.empty() : Optional.of(root.resolve(name));
        } catch (final NoSuchFileException ex) {
            return Optional.empty();
        }
    }

    /** The staging directory of step {@code step} for the run {@code runId}. */
    public Path staging(final long step, final String runId) {
        return root.resolve(CheckpointFiles.stagingDirectory(step, runId));
    }

    private static boolean isStepDirectory(final Path path) {
        final String name = path.getFileName().toString();
        return name.startsWith(CheckpointFiles.STEP_PREFIX) && name.length() > CheckpointFiles.STEP_PREFIX.length()
            && name.substring(CheckpointFiles.STEP_PREFIX.length()).chars().allMatch(Character::isDigit)
            && Files.isDirectory(path);
    }
}
