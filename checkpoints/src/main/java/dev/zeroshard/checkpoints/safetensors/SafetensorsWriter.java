package dev.zeroshard.checkpoints.safetensors;

import dev.zeroshard.protocol.io.IoErrors;
import dev.zeroshard.sharding.numeric.Bf16;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * Writes a safetensors file without holding it in memory: the caller declares every tensor up front (the header
 * needs all offsets), then streams each tensor's fp32 values in declaration order, whole ({@link #write}) or in
 * pieces ({@link #append}); the writer converts to the declared dtype (BF16 and F16 round to nearest even) through
 * one fixed 1 MiB buffer.
 *
 * <p>Data goes to a hidden temporary file in the target's directory; {@link #commit} checks every tensor is
 * complete, fsyncs the file, renames it atomically onto the target and fsyncs the directory. {@link #close} without
 * a commit (an exception, an abandoned write) deletes the temporary file, so a failed write leaves neither a target
 * nor a partial file, and an existing target stays as it was. Use it in try-with-resources:
 *
 * <pre>{@code
 * try (SafetensorsWriter writer = SafetensorsWriter.create(path, specs, Map.of("format", "pt"))) {
 *     writer.write("wte.weight", flat, wteOffset);
 *     ...
 *     writer.commit();
 * }
 * }</pre>
 *
 * <p>Threading: one thread.
 */
public final class SafetensorsWriter implements AutoCloseable {
    private static final int CHUNK_BYTES = 1 << 20;

    private final Path target;
    private final Path temporary;
    private final FileChannel channel;
    private final List<TensorSpec> tensors;
    private final long expectedFileBytes;
    private final ByteBuffer chunk;
    private final FloatBuffer chunkAsFloats;
    /** CRC32C of every byte written, in file order: the file's checksum without reading it back. */
    private final CRC32C crc = new CRC32C();

    /** Index of the tensor being written, or just written (moved past lazily); tensors.size() at the end. */
    private int current;
    private long writtenInCurrentElements;
    private boolean failed;
    private boolean committed;
    private boolean closed;

    private SafetensorsWriter(final Path target, final Path temporary, final FileChannel channel,
                              final List<TensorSpec> tensors, final long expectedFileBytes) {
        this.target = target;
        this.temporary = temporary;
        this.channel = channel;
        this.tensors = tensors;
        this.expectedFileBytes = expectedFileBytes;
        this.chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        this.chunkAsFloats = chunk.asFloatBuffer();
    }

    /**
     * Declares the tensors, writes the header to a temporary file beside {@code target} and returns the writer.
     *
     * @param target   the file to create or replace on {@link #commit}.
     * @param tensors  every tensor, in the order its data will be written; names unique; wider dtypes before
     *                 narrower ones when mixing (each tensor's data must start at a multiple of its element size).
     * @param metadata the {@code __metadata__} map (Hugging Face writes {@code {"format": "pt"}}); may be empty.
     */
    public static SafetensorsWriter create(final Path target, final List<TensorSpec> tensors,
                                           final Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(target, "target");
        final List<TensorSpec> declared = List.copyOf(tensors);
        final Set<String> names = new HashSet<>();
        long dataBytes = 0;
        for (final TensorSpec tensor : declared) {
            if (!names.add(tensor.name())) {
                throw new IllegalArgumentException("tensor " + tensor.name() + " declared twice for " + target);
            }
            dataBytes = Math.addExact(dataBytes, tensor.lengthBytes());
        }
        // sorted: the same weights and metadata give the same bytes in every JVM (Map.of iterates in a random order)
        final Map<String, String> metadataCopy = new TreeMap<>();
        for (final Map.Entry<String, String> entry : metadata.entrySet()) {
            metadataCopy.put(Objects.requireNonNull(entry.getKey(), "metadata key"),
                Objects.requireNonNull(entry.getValue(), () -> "metadata value of " + entry.getKey()));
        }
        final byte[] header = SafetensorsHeader.encode(declared, metadataCopy);
        if (header.length > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("header of " + header.length + " bytes for " + target
                + " exceeds the " + SafetensorsHeader.MAX_HEADER_BYTES + " bytes readers accept");
        }
        final long expectedFileBytes = 8L + header.length + dataBytes;

        final Path absolute = target.toAbsolutePath();
        final Path temporary = absolute.resolveSibling("." + absolute.getFileName() + "."
            + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".partial");
        // CREATE_NEW, not Files.createTempFile: the committed file should get the usual permissions (umask), not
        // the owner-only ones of a temp file; a name collision fails here rather than clobbering another writer.
        final FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
        try {
            final ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(header.length).put(header).flip();
            final SafetensorsWriter writer = new SafetensorsWriter(absolute, temporary, channel, declared,
                expectedFileBytes);
            writer.crc.update(prefix.duplicate());
            while (prefix.hasRemaining()) {
                channel.write(prefix);
            }
            return writer;
        } catch (final IOException e) {
            channel.close();
            Files.deleteIfExists(temporary);
            throw IoErrors.naming(e, "writing", absolute);
        } catch (final RuntimeException e) {
            channel.close();
            Files.deleteIfExists(temporary);
            throw e;
        }
    }

    /** The file this writer creates on commit. */
    public Path target() {
        return target;
    }

    /** CRC32C of the whole file as written so far (complete after {@link #commit}). */
    public int crc32c() {
        return (int) crc.getValue();
    }

    /** The temporary file being written (gone after commit or close). */
    public Path temporaryFile() {
        return temporary;
    }

    /**
     * Writes the whole of the next declared tensor from {@code src[srcOffsetElements ..]}.
     *
     * @throws IllegalStateException when {@code name} is not the next tensor or part of it was already appended.
     */
    public void write(final String name, final float[] src, final int srcOffsetElements) throws IOException {
        checkOpen();
        advancePastCompleteTensors(name);
        if (current == tensors.size()) {
            throw new IllegalStateException("tensor " + name + ": all " + tensors.size()
                + " declared tensors are already written to " + target);
        }
        final TensorSpec next = tensors.get(current);
        if (!next.name().equals(name) || writtenInCurrentElements != 0) {
            throw new IllegalStateException("tensor " + name + " written out of order: the next is " + next.name()
                + " with " + writtenInCurrentElements + " of " + next.lengthElements() + " elements written");
        }
        final long lengthElements = next.lengthElements();
        if (lengthElements > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + name + " has " + lengthElements
                + " elements, more than one float[] holds: use append");
        }
        append(src, srcOffsetElements, (int) lengthElements);
    }

    /**
     * Writes the next {@code lengthElements} values of the current tensor (the first declared tensor not yet
     * complete; empty tensors need no call); a piece never spans two tensors.
     */
    public void append(final float[] src, final int srcOffsetElements, final int lengthElements) throws IOException {
        checkOpen();
        if (srcOffsetElements < 0 || lengthElements < 0 || srcOffsetElements > src.length - lengthElements) {
            throw new IndexOutOfBoundsException(lengthElements + " elements from offset " + srcOffsetElements
                + " do not fit float[" + src.length + "]");
        }
        if (lengthElements == 0) {
            return;
        }
        advancePastCompleteTensors(null);
        if (current == tensors.size()) {
            throw new IllegalStateException(lengthElements + " more elements after all " + tensors.size()
                + " declared tensors are written to " + target);
        }
        final TensorSpec tensor = tensors.get(current);
        final long remaining = tensor.lengthElements() - writtenInCurrentElements;
        if (lengthElements > remaining) {
            throw new IllegalStateException("tensor " + tensor.name() + ": " + lengthElements
                + " elements appended where " + remaining + " remain");
        }
        try {
            writeConverted(tensor.dtype(), src, srcOffsetElements, lengthElements);
        } catch (final IOException e) {
            failed = true;
            throw IoErrors.naming(e, "writing", target);
        } catch (final RuntimeException e) {
            failed = true;
            throw e;
        }
        writtenInCurrentElements += lengthElements;
    }

    /**
     * Makes the file durable and visible: checks that every declared tensor was written in full, fsyncs, renames
     * the temporary file atomically onto the target (replacing it) and fsyncs the directory.
     */
    public void commit() throws IOException {
        checkOpen();
        advancePastCompleteTensors(null);
        if (current != tensors.size()) {
            final TensorSpec tensor = tensors.get(current);
            throw new IllegalStateException("commit of " + target + " before tensor " + tensor.name()
                + " is complete (" + writtenInCurrentElements + " of " + tensor.lengthElements()
                + " elements) and " + (tensors.size() - current - 1) + " tensors after it");
        }
        try {
            if (channel.position() != expectedFileBytes) {
                throw new IOException("wrote " + channel.position() + " bytes to " + temporary + ", expected "
                    + expectedFileBytes);
            }
            channel.force(true);
            channel.close();
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            committed = true;
        } catch (final IOException e) {
            failed = true;
            throw IoErrors.naming(e, "writing", target);
        } catch (final RuntimeException e) {
            failed = true;
            throw e;
        }
        try (FileChannel directory = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    /** Deletes the temporary file unless {@link #commit} succeeded; idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (!committed) {
            try {
                channel.close();
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
    }

    private void checkOpen() {
        if (closed || committed) {
            throw new IllegalStateException("writer of " + target + " is " + (committed ? "committed" : "closed"));
        }
        if (failed) {
            throw new IllegalStateException("writer of " + target + " failed earlier; close it");
        }
    }

    /**
     * Moves past tensors whose data is complete; an empty tensor needs no data, so it is passed too, unless it is
     * {@code emptyTensorName}, which the caller is writing explicitly.
     */
    private void advancePastCompleteTensors(final String emptyTensorName) {
        while (current < tensors.size()) {
            final TensorSpec tensor = tensors.get(current);
            if (writtenInCurrentElements != tensor.lengthElements()
                || (tensor.lengthElements() == 0 && tensor.name().equals(emptyTensorName))) {
                return;
            }
            current++;
            writtenInCurrentElements = 0;
        }
    }

    /** src[srcOffset .. srcOffset + length) converted to dtype, little-endian, through the fixed chunk. */
    private void writeConverted(final Dtype dtype, final float[] src, final int srcOffset, final int length)
        throws IOException {
        final int chunkElements = CHUNK_BYTES / dtype.sizeBytes();
        int done = 0;
        while (done < length) {
            final int count = Math.min(chunkElements, length - done);
            final int from = srcOffset + done;
            chunk.clear();
            switch (dtype) {
                case F32 -> {
                    chunkAsFloats.clear();
                    chunkAsFloats.put(src, from, count);
                    chunk.limit(count * Float.BYTES);
                }
                case BF16 -> {
                    for (int i = 0; i < count; i++) {
                        chunk.putShort(i << 1, Bf16.fromFloat(src[from + i]));
                    }
                    chunk.limit(count * Short.BYTES);
                }
                case F16 -> {
                    for (int i = 0; i < count; i++) {
                        chunk.putShort(i << 1, Fp16.fromFloat(src[from + i]));
                    }
                    chunk.limit(count * Short.BYTES);
                }
                default -> throw new IllegalStateException("no conversion from fp32 to " + dtype);
            }
            crc.update(chunk.duplicate());
            while (chunk.hasRemaining()) {
                channel.write(chunk);
            }
            done += count;
        }
    }
}
