package dev.zeroshard.checkpoints.safetensors;

import dev.zeroshard.sharding.numeric.Bf16;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file: the header is parsed and checked completely in {@link #open} (malformed JSON, unknown
 * dtypes, offsets that run backwards, overlap, leave gaps or pass the end of the file, byte lengths that disagree
 * with dtype × shape are all refused there, naming the file and the tensor), then tensors are read on demand
 * through memory-mapped windows and converted to fp32 (from F32, F16 or BF16).
 *
 * <p>Threading: after {@code open}, reads may run concurrently from several threads (each maps its own window).
 * {@link #close} must not race with reads.
 */
public final class SafetensorsReader implements AutoCloseable {
    /** Largest window mapped at once; a multiple of every element size, so no element straddles two windows. */
    private static final long WINDOW_BYTES = 1L << 30;
    private static final int LENGTH_FIELD_BYTES = 8;

    private final Path file;
    private final FileChannel channel;
    private final long dataStartBytes;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final Map<String, String> metadata;

    private SafetensorsReader(final Path file, final FileChannel channel, final long dataStartBytes,
                              final SafetensorsHeader header) {
        this.file = file;
        this.channel = channel;
        this.dataStartBytes = dataStartBytes;
        this.tensors = header.tensorsInFileOrder();
        final Map<String, TensorInfo> index = new LinkedHashMap<>();
        for (final TensorInfo tensor : tensors) {
            index.put(tensor.name(), tensor);
        }
        this.byName = Collections.unmodifiableMap(index);
        this.metadata = header.metadata();
    }

    /**
     * Opens a file and checks its header.
     *
     * @throws SafetensorsException when the file is not a well-formed safetensors file.
     * @throws IOException          when it cannot be read.
     */
    public static SafetensorsReader open(final Path file) throws IOException {
        final FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            final long fileBytes = channel.size();
            if (fileBytes < LENGTH_FIELD_BYTES) {
                throw new SafetensorsException(file, "file has " + fileBytes
                    + " bytes, fewer than the 8-byte header length (truncated?)");
            }
            final ByteBuffer lengthField = ByteBuffer.allocate(LENGTH_FIELD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthField, 0);
            final long headerBytes = lengthField.getLong(0);
            // headerBytes < 0 is a u64 above 2^63.
            if (headerBytes < 0 || headerBytes > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw new SafetensorsException(file, "header length " + Long.toUnsignedString(headerBytes)
                    + " exceeds the limit of " + SafetensorsHeader.MAX_HEADER_BYTES + " bytes");
            }
            if (headerBytes < 2) {
                throw new SafetensorsException(file, "header length " + headerBytes
                    + " is too short for a JSON object");
            }
            final long dataStartBytes = LENGTH_FIELD_BYTES + headerBytes;
            if (dataStartBytes > fileBytes) {
                throw new SafetensorsException(file, "file is truncated below its header: header length "
                    + headerBytes + " needs " + dataStartBytes + " bytes, the file has " + fileBytes);
            }
            final ByteBuffer headerBuffer = ByteBuffer.allocate((int) headerBytes);
            readFully(channel, headerBuffer, LENGTH_FIELD_BYTES);
            final SafetensorsHeader header = SafetensorsHeader.parse(file, headerBuffer.array(),
                fileBytes - dataStartBytes);
            return new SafetensorsReader(file, channel, dataStartBytes, header);
        } catch (final IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The file this reader reads. */
    public Path file() {
        return file;
    }

    /** Every tensor, in the order of their data in the file. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    public boolean contains(final String name) {
        return byName.containsKey(name);
    }

    /** The tensor with this name; throws naming it and the file when there is none. */
    public TensorInfo tensor(final String name) throws SafetensorsException {
        final TensorInfo tensor = byName.get(name);
        if (tensor == null) {
            throw new SafetensorsException(file, name, "no such tensor (the file has " + tensors.size()
                + " tensors)");
        }
        return tensor;
    }

    /** The {@code __metadata__} map; empty when the file has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads a whole tensor as fp32 into {@code dst[dstOffsetElements ..]}.
     *
     * @throws SafetensorsException when there is no such tensor, its dtype is not F32, F16 or BF16, or it has more
     *                              than {@code Integer.MAX_VALUE} elements.
     */
    public void read(final String name, final float[] dst, final int dstOffsetElements) throws IOException {
        final TensorInfo tensor = tensor(name);
        final long lengthElements = tensor.lengthElements();
        if (lengthElements > Integer.MAX_VALUE) {
            throw new SafetensorsException(file, name, lengthElements + " elements do not fit a float[]");
        }
        readRange(name, 0, (int) lengthElements, dst, dstOffsetElements);
    }

    /**
     * Reads elements {@code [firstElement, firstElement + lengthElements)} of a tensor (row-major order) as fp32
     * into {@code dst[dstOffsetElements ..]}: a rank's shard of a tensor without reading the rest.
     */
    public void readRange(final String name, final long firstElement, final int lengthElements, final float[] dst,
                          final int dstOffsetElements) throws IOException {
        final TensorInfo tensor = tensor(name);
        if (!tensor.dtype().isFloatConvertible()) {
            throw new SafetensorsException(file, name, "dtype " + tensor.dtype()
                + " cannot be read as fp32 (F32, F16 or BF16 only)");
        }
        final long tensorElements = tensor.lengthElements();
        if (firstElement < 0 || lengthElements < 0 || firstElement > tensorElements - lengthElements) {
            throw new IndexOutOfBoundsException("tensor " + name + " has " + tensorElements
                + " elements; asked for " + lengthElements + " from element " + firstElement);
        }
        if (dstOffsetElements < 0 || dstOffsetElements > dst.length - lengthElements) {
            throw new IndexOutOfBoundsException("tensor " + name + ": " + lengthElements
                + " elements do not fit float[" + dst.length + "] at offset " + dstOffsetElements);
        }
        final int elementBytes = tensor.dtype().sizeBytes();
        final int windowElements = (int) (WINDOW_BYTES / elementBytes);
        long positionBytes = dataStartBytes + tensor.beginBytes() + firstElement * elementBytes;
        int done = 0;
        while (done < lengthElements) {
            final int count = Math.min(windowElements, lengthElements - done);
            final MappedByteBuffer window = channel.map(FileChannel.MapMode.READ_ONLY, positionBytes,
                (long) count * elementBytes);
            window.order(ByteOrder.LITTLE_ENDIAN);
            convert(tensor.dtype(), window, count, dst, dstOffsetElements + done);
            positionBytes += (long) count * elementBytes;
            done += count;
        }
    }

    /**
     * Reads a whole I32 tensor (token ids, for example) into {@code dst[dstOffsetElements ..]}.
     *
     * @throws SafetensorsException when there is no such tensor or its dtype is not I32.
     */
    public void readInts(final String name, final int[] dst, final int dstOffsetElements) throws IOException {
        final TensorInfo tensor = tensor(name);
        if (tensor.dtype() != Dtype.I32) {
            throw new SafetensorsException(file, name, "dtype " + tensor.dtype() + " cannot be read as int32 (I32 only)");
        }
        final long lengthElements = tensor.lengthElements();
        if (dstOffsetElements < 0 || dstOffsetElements > dst.length - lengthElements) {
            throw new IndexOutOfBoundsException("tensor " + name + ": " + lengthElements
                + " elements do not fit int[" + dst.length + "] at offset " + dstOffsetElements);
        }
        final MappedByteBuffer window = channel.map(FileChannel.MapMode.READ_ONLY,
            dataStartBytes + tensor.beginBytes(), tensor.lengthBytes());
        window.order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(dst, dstOffsetElements, (int) lengthElements);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** window holds count little-endian elements of dtype; dst is fp32 at dstOffset. */
    private static void convert(final Dtype dtype, final ByteBuffer window, final int count, final float[] dst,
                                final int dstOffset) {
        switch (dtype) {
            case F32 -> window.asFloatBuffer().get(dst, dstOffset, count);
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = Bf16.toFloat(window.getShort(i << 1));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = Fp16.toFloat(window.getShort(i << 1));
                }
            }
            default -> throw new IllegalStateException("no fp32 conversion from " + dtype);
        }
    }

    private static void readFully(final FileChannel channel, final ByteBuffer buffer, final long positionBytes)
        throws IOException {
        long position = positionBytes;
        while (buffer.hasRemaining()) {
            final int read = channel.read(buffer, position);
            if (read < 0) {
                throw new EOFException("end of file at byte " + position);
            }
            position += read;
        }
    }
}
