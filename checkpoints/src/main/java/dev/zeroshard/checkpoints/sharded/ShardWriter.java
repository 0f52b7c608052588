package dev.zeroshard.checkpoints.sharded;

import dev.zeroshard.checkpoints.safetensors.Dtype;
import dev.zeroshard.checkpoints.safetensors.SafetensorsWriter;
import dev.zeroshard.checkpoints.safetensors.TensorSpec;
import dev.zeroshard.protocol.io.DurableFiles;
import dev.zeroshard.protocol.v1.ShardFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes one rank's shard into a staging directory: a safetensors file with the tensors {@code master},
 * {@code exp_avg} and {@code exp_avg_sq} (fp32, the rank's range of the flat buffer; the range is in the metadata
 * too), committed atomically, then a done-file (a {@link ShardFile} record: range, size, CRC32C of the bytes
 * written, computed as they are written) that tells the committer this rank is finished.
 */
public final class ShardWriter {
    static final String MASTER = "master";
    static final String EXP_AVG = "exp_avg";
    static final String EXP_AVG_SQ = "exp_avg_sq";

    private ShardWriter() {
    }

    /** Writes {@code shard} into {@code staging} (created if needed); returns its record. */
    public static ShardFile write(final Path staging, final ShardSnapshot shard, final FaultInjector faults)
        throws IOException {
        Files.createDirectories(staging);
        final String name = CheckpointFiles.shardFile(shard.rank());
        final Path file = staging.resolve(name);
        final List<TensorSpec> tensors = List.of(TensorSpec.of(MASTER, Dtype.F32, shard.length()),
            TensorSpec.of(EXP_AVG, Dtype.F32, shard.length()), TensorSpec.of(EXP_AVG_SQ, Dtype.F32, shard.length()));
        final int crc;
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, tensors, Map.of("format", "zeroshard-shard",
            "start", Long.toString(shard.start()), "end", Long.toString(shard.end())))) {
            writer.write(MASTER, shard.master(), 0);
            writer.write(EXP_AVG, shard.expAvg(), 0);
            writer.write(EXP_AVG_SQ, shard.expAvgSq(), 0);
            writer.commit();
            crc = writer.crc32c();
        }
        faults.reached(CommitPoint.SHARD_WRITTEN, shard.rank());
        final ShardFile record = ShardFile.newBuilder()
            .setRank(shard.rank())
            .setFile(name)
            .setStart(shard.start())
            .setEnd(shard.end())
            .setSizeBytes(Files.size(file))
            .setCrc32C(crc)
            .build();
        DurableFiles.writeAtomically(staging.resolve(CheckpointFiles.doneFile(shard.rank())), record.toByteArray());
        faults.reached(CommitPoint.SHARD_DONE, shard.rank());
        return record;
    }
}
