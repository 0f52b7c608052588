package dev.zeroshard.worker.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A token file in one of the two layouts that llm.c and nanoGPT use, read memory-mapped.
 *
 * <ul>
 * <li>{@link Layout#LLMC}: a header of 256 little-endian int32 ({@value #HEADER_BYTES} bytes) with
 * {@code header[0] = }{@value #MAGIC}, {@code header[1] = }{@value #VERSION_UINT16} (uint16 tokens)
 * and {@code header[2] =} the token count, then the tokens as little-endian uint16. The file length
 * must equal {@code 1024 + 2 * count}.</li>
 * <li>{@link Layout#RAW_UINT16}: nanoGPT's {@code train.bin}, nothing but little-endian uint16
 * tokens; the length must be even.</li>
 * </ul>
 * The layout is recognised by the magic in the first four bytes. (A raw file would need the tokens
 * 55432 and 308 at its start to spell the magic, impossible with GPT-2's 50257 tokens; with a larger
 * vocabulary such a file would be refused for its size rather than misread.)
 *
 * <p>Files over 1 GiB are mapped in several pieces, so any length works. Immutable and thread-safe;
 * the mapping lives until the object is garbage collected. {@link TokenFileWriter} writes the llm.c
 * layout.
 */
public final class TokenFile implements TokenSequence {
    /** llm.c's token file magic, {@code header[0]}. */
    public static final int MAGIC = 20240520;
    /** llm.c's version for uint16 tokens, {@code header[1]}. */
    public static final int VERSION_UINT16 = 1;
    /** The llm.c header: 256 int32. */
    public static final int HEADER_INTS = 256;
    public static final int HEADER_BYTES = 4 * HEADER_INTS;
    /** Largest token id a uint16 file can hold. */
    public static final int MAX_TOKEN = 0xFFFF;

    /** How the tokens are laid out in the file. */
    public enum Layout {
        /** nanoGPT: uint16 tokens and nothing else. */
        RAW_UINT16,
        /** llm.c: a 1024-byte header, then uint16 tokens. */
        LLMC
    }

    /** Bytes per mapped piece, log2; a power of two, so a uint16 never straddles two pieces. */
    static final int CHUNK_SHIFT = 30;

    private final Path path;
    private final Layout layout;
    private final long dataOffsetBytes;
    private final long length;
    private final MappedByteBuffer[] chunks;
    private final int chunkShift;
    private final int chunkMask;

    private TokenFile(final Path path, final Layout layout, final long dataOffsetBytes, final long length,
        final MappedByteBuffer[] chunks, final int chunkShift) {
        this.path = path;
        this.layout = layout;
        this.dataOffsetBytes = dataOffsetBytes;
        this.length = length;
        this.chunks = chunks;
        this.chunkShift = chunkShift;
        this.chunkMask = (1 << chunkShift) - 1;
    }

    /**
     * Opens and maps {@code path}, recognising the layout by the magic.
     *
     * @throws MalformedDataException if the size disagrees with the header (naming both numbers), the
     *     version is not {@value #VERSION_UINT16}, or a raw file has an odd length.
     */
    public static TokenFile open(final Path path) throws IOException {
        return open(path, CHUNK_SHIFT);
    }

    /** As {@link #open(Path)}, mapping pieces of {@code 2^chunkShift} bytes (small in tests). */
    static TokenFile open(final Path path, final int chunkShift) throws IOException {
        if (chunkShift < 1 || chunkShift > CHUNK_SHIFT) {
            throw new IllegalArgumentException("chunkShift=" + chunkShift + " outside [1, " + CHUNK_SHIFT + "]");
        }
        final long chunkBytes = 1L << chunkShift;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            final long sizeBytes = channel.size();
            final ByteBuffer head = ByteBuffer.allocate((int)Math.min(HEADER_BYTES, sizeBytes)).order(ByteOrder.LITTLE_ENDIAN);
            // read(dst, position) may return short counts
            while (head.hasRemaining()) {
                if (channel.read(head, head.position()) < 0) {
                    break;
                }
            }
            head.flip();
            final Layout layout;
            final long dataOffsetBytes;
            final long length;
            if (head.remaining() >= 4 && head.getInt(0) == MAGIC) {
                if (sizeBytes < HEADER_BYTES) {
                    throw new MalformedDataException(path + ": starts with the llm.c magic " + MAGIC + " but has "
                        + sizeBytes + " bytes, fewer than the " + HEADER_BYTES + "-byte header");
                }
                final int version = head.getInt(4);
                if (version != VERSION_UINT16) {
                    throw new MalformedDataException(path + ": llm.c token file version " + version
                        + " is not supported (only version " + VERSION_UINT16 + ", uint16 tokens)");
                }
                final int count = head.getInt(8);
                final long expectedBytes = HEADER_BYTES + 2L * count;
                if (count < 0 || expectedBytes != sizeBytes) {
                    throw new MalformedDataException(path + ": the header says " + count + " tokens, which take "
                        + expectedBytes + " bytes with the header, but the file has " + sizeBytes + " bytes");
                }
                layout = Layout.LLMC;
                dataOffsetBytes = HEADER_BYTES;
                length = count;
            } else {
                if (sizeBytes % 2 != 0) {
                    throw new MalformedDataException(path + ": a raw uint16 token file must have an even length, this one has "
                        + sizeBytes + " bytes");
                }
                layout = Layout.RAW_UINT16;
                dataOffsetBytes = 0;
                length = sizeBytes / 2;
            }
            final long dataBytes = 2 * length;
            final int chunkCount = Math.toIntExact((dataBytes + chunkBytes - 1) >>> chunkShift);
            final MappedByteBuffer[] chunks = new MappedByteBuffer[chunkCount];
            for (int c = 0; c < chunkCount; c++) {
                final long start = (long)c << chunkShift;
                final long size = Math.min(chunkBytes, dataBytes - start);
                chunks[c] = channel.map(FileChannel.MapMode.READ_ONLY, dataOffsetBytes + start, size);
                chunks[c].order(ByteOrder.LITTLE_ENDIAN);
            }
            return new TokenFile(path, layout, dataOffsetBytes, length, chunks, chunkShift);
        }
    }

    /** Writes {@code tokens} to {@code path} in the llm.c layout, atomically (temp file and rename). */
    public static void write(final Path path, final int[] tokens) throws IOException {
        try (TokenFileWriter writer = TokenFileWriter.create(path)) {
            writer.write(tokens, 0, tokens.length);
            writer.commit();
        }
    }

    public Path path() {
        return path;
    }

    public Layout layout() {
        return layout;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public int get(final long index) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException("token " + index + " of " + length + " in " + path);
        }
        final long byteIndex = 2 * index;
        return chunks[(int)(byteIndex >>> chunkShift)].getShort((int)(byteIndex & chunkMask)) & 0xFFFF;
    }

    @Override
    public void read(final long from, final int[] dst, final int dstOffset, final int count) {
        if (from < 0 || count < 0 || from + count > length) {
            throw new IndexOutOfBoundsException("tokens [" + from + ", " + (from + count) + ") of " + length + " in " + path);
        }
        int out = dstOffset;
        long byteIndex = 2 * from;
        final long endByte = 2 * (from + count);
        while (byteIndex < endByte) {
            final MappedByteBuffer chunk = chunks[(int)(byteIndex >>> chunkShift)];
            final int start = (int)(byteIndex & chunkMask);
            final int end = (int)Math.min(chunkMask + 1L, start + (endByte - byteIndex));
            for (int b = start; b < end; b += 2) {
                dst[out++] = chunk.getShort(b) & 0xFFFF;
            }
            byteIndex += end - start;
        }
    }

    @Override
    public String name() {
        return path.toString();
    }

    /** The byte offset of token {@code index} in the file. */
    public long byteOffset(final long index) {
        return dataOffsetBytes + 2 * index;
    }

    @Override
    public String locate(final long index) {
        return "token index " + index + " (byte offset " + byteOffset(index) + ")";
    }

    @Override
    public String toString() {
        return "TokenFile[" + path + ", " + layout + ", " + length + " tokens]";
    }
}
