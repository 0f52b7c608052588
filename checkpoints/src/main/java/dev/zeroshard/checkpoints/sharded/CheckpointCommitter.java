package dev.zeroshard.checkpoints.sharded;

import dev.zeroshard.protocol.io.DurableFiles;
import dev.zeroshard.protocol.io.FileTrees;
import dev.zeroshard.protocol.v1.CheckpointManifest;
import dev.zeroshard.protocol.v1.ShardFile;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Rank 0's half of a save: waits (with a deadline) until every rank's done-file is in the staging directory,
 * writes the manifest, renames the staging directory to {@code step-NNNNNNNN} and then the {@code latest} pointer,
 * each step durable (fsync) before the next. A crash anywhere leaves the previous checkpoint intact and
 * {@code latest} pointing at a complete checkpoint (or at nothing newer than one).
 */
public final class CheckpointCommitter {
    private static final long POLL_MS = 20;

    private CheckpointCommitter() {
    }

    /**
     * Commits the step staged in {@code staging} under {@code root}.
     *
     * @param manifest the manifest without its shard records (they come from the done-files).
     * @param timeoutNs how long to wait for the other ranks' shards.
     * @return the committed directory.
     * @throws IOException naming the ranks whose shards did not arrive, or the step that failed.
     */
    public static Path commit(final Path root, final Path staging, final CheckpointManifest manifest,
                              final long timeoutNs, final FaultInjector faults)
        throws IOException, InterruptedException {
        final int worldSize = manifest.getWorldSize();
        final List<ShardFile> shards = awaitShards(staging, worldSize, manifest.getStep(), timeoutNs);
        long expectedStart = 0;
        for (final ShardFile shard : shards) {
            if (shard.getStart() != expectedStart && shard.getEnd() > shard.getStart()) {
                throw new IOException("rank " + shard.getRank() + "'s shard starts at " + shard.getStart()
                    + ", expected " + expectedStart + ": the shards of step " + manifest.getStep() + " do not tile "
                    + "the buffer");
            }
            expectedStart = Math.max(expectedStart, shard.getEnd());
        }
        if (expectedStart != manifest.getTotalElements()) {
            throw new IOException("the shards of step " + manifest.getStep() + " cover " + expectedStart + " of "
                + manifest.getTotalElements() + " elements");
        }
        final CheckpointManifest complete = manifest.toBuilder().clearShards().addAllShards(shards).build();
        DurableFiles.writeAtomically(staging.resolve(CheckpointFiles.MANIFEST), complete.toByteArray());
        DurableFiles.fsyncDirectory(staging);
        faults.reached(CommitPoint.MANIFEST_WRITTEN, -1);

        final Path target = root.resolve(CheckpointFiles.stepDirectory(manifest.getStep()));
        if (Files.exists(target)) {
            // the same step saved again (a resumed run): the old one goes only once the new one is in place
            final Path old = root.resolve(".old-" + target.getFileName() + "-" + System.nanoTime());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            FileTrees.delete(old);
        } else {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        }
        DurableFiles.fsyncDirectory(root);
        faults.reached(CommitPoint.DIRECTORY_RENAMED, -1);

        final Path latest = root.resolve(CheckpointFiles.LATEST);
        final Path pending = root.resolve("." + CheckpointFiles.LATEST + ".tmp");
        Files.write(pending, (target.getFileName() + "\n").getBytes(StandardCharsets.UTF_8));
        try (FileChannel channel = FileChannel.open(pending, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        faults.reached(CommitPoint.LATEST_WRITTEN, -1);
        Files.move(pending, latest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        DurableFiles.fsyncDirectory(root);
        faults.reached(CommitPoint.LATEST_RENAMED, -1);
        return target;
    }

    private static List<ShardFile> awaitShards(final Path staging, final int worldSize, final long step,
                                               final long timeoutNs) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + timeoutNs;
        while (true) {
            final List<ShardFile> shards = new ArrayList<>();
            final List<Integer> missing = new ArrayList<>();
            for (int rank = 0; rank < worldSize; rank++) {
                final Path done = staging.resolve(CheckpointFiles.doneFile(rank));
                if (Files.exists(done)) {
                    shards.add(ShardFile.parseFrom(Files.readAllBytes(done)));
                } else {
                    missing.add(rank);
                }
            }
            if (missing.isEmpty()) {
                return shards;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("checkpoint of step " + step + ": rank(s) " + missing + " did not write "
                    + "their shard into " + staging + " within " + TimeUnit.NANOSECONDS.toSeconds(timeoutNs)
                    + " s; the previous checkpoint stays the latest");
            }
            Thread.sleep(POLL_MS);
        }
    }
}
