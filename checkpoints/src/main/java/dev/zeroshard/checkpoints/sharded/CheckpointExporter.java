package dev.zeroshard.checkpoints.sharded;

import dev.zeroshard.checkpoints.safetensors.Dtype;
import dev.zeroshard.checkpoints.safetensors.SafetensorsWriter;
import dev.zeroshard.checkpoints.safetensors.TensorSpec;
import dev.zeroshard.protocol.io.DurableFiles;
import dev.zeroshard.protocol.job.ModelConfigs;
import dev.zeroshard.protocol.v1.TensorEntry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Consolidates a sharded checkpoint into a Hugging Face GPT-2 directory ({@code model.safetensors} with the
 * layout's names, and {@code config.json}), streaming tensor by tensor: each tensor's master weights are read
 * from the shards that hold them and written out before the next is read, so memory is one tensor (plus a fixed
 * write buffer), never the model.
 */
public final class CheckpointExporter {
    public static final String WEIGHTS = "model.safetensors";
    public static final String CONFIG = "config.json";

    private CheckpointExporter() {
    }

    /** Writes {@code outDir/model.safetensors} (F32 or BF16) and {@code outDir/config.json}; returns the weights. */
    public static Path export(final Checkpoint checkpoint, final Path outDir, final Dtype dtype) throws IOException {
        if (dtype != Dtype.F32 && dtype != Dtype.BF16) {
            throw new IllegalArgumentException("export dtype " + dtype + ": must be F32 or BF16");
        }
        Files.createDirectories(outDir);
        final List<TensorEntry> tensors = checkpoint.manifest().getTensorsList();
        final List<TensorSpec> specs = new ArrayList<>();
        int largest = 0;
        for (final TensorEntry tensor : tensors) {
            specs.add(TensorSpec.of(tensor.getName(), dtype, tensor.getShapeList().stream().mapToLong(Long::longValue)
                .toArray()));
            largest = Math.max(largest, Math.toIntExact(length(tensor)));
        }
        final Path weights = outDir.resolve(WEIGHTS);
        final float[] buffer = new float[largest];
        try (SafetensorsWriter writer = SafetensorsWriter.create(weights, specs, Map.of("format", "pt",
            "producer", "zeroshard", "step", Long.toString(checkpoint.step())))) {
            for (final TensorEntry tensor : tensors) {
                final int length = Math.toIntExact(length(tensor));
                checkpoint.read(Checkpoint.State.MASTER, tensor.getOffset(), length, buffer, 0);
                writer.append(buffer, 0, length);
            }
            writer.commit();
        }
        DurableFiles.writeAtomically(outDir.resolve(CONFIG),
            ModelConfigs.toHuggingFaceJson(checkpoint.manifest().getModel()).getBytes(StandardCharsets.UTF_8));
        return weights;
    }

    private static long length(final TensorEntry tensor) {
        long length = 1;
        for (final long dim : tensor.getShapeList()) {
            length = Math.multiplyExact(length, dim);
        }
        return length;
    }
}
