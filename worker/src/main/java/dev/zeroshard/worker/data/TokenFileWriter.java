package dev.zeroshard.worker.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Writes a token file in llm.c's layout (see {@link TokenFile}) without holding the tokens in
 * memory. Tokens go to a temporary file beside the target; {@link #commit()} fills in the header,
 * forces the data to disk and renames the file into place atomically, so a reader sees either no
 * file or a complete one. Closing without committing deletes the temporary file. One thread only.
 */
public final class TokenFileWriter implements AutoCloseable {
    private static final int BUFFER_BYTES = 1 << 16;

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private long count;
    private boolean committed;

    private TokenFileWriter(final Path target, final Path temp, final FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    /** Starts a file that {@link #commit()} will move to {@code target}. */
    public static TokenFileWriter create(final Path target) throws IOException {
        final Path absolute = target.toAbsolutePath();
        // not Files.createTempFile: its owner-only permissions would stick to the committed file
        final Path temp = absolute.resolveSibling(absolute.getFileName() + "." + UUID.randomUUID() + ".tmp");
        final FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
        try {
            // the header is written last, once the count is known
            channel.write(ByteBuffer.allocate(TokenFile.HEADER_BYTES), 0);
            channel.position(TokenFile.HEADER_BYTES);
        } catch (final IOException e) {
            channel.close();
            Files.deleteIfExists(temp);
            throw e;
        }
        return new TokenFileWriter(absolute, temp, channel);
    }

    /** Appends one token, which must fit uint16. */
    public void write(final int token) throws IOException {
        checkOpen();
        if (token < 0 || token > TokenFile.MAX_TOKEN) {
            throw new IllegalArgumentException("token " + token + " (number " + count + " written to " + target
                + ") does not fit a uint16 token file");
        }
        if (count == Integer.MAX_VALUE) {
            throw new IllegalStateException(target + ": an llm.c token file holds at most " + Integer.MAX_VALUE + " tokens");
        }
        if (!buffer.hasRemaining()) {
            flush();
        }
        buffer.putShort((short)token);
        count++;
    }

    /** Appends {@code tokens[from, from + length)}. */
    public void write(final int[] tokens, final int from, final int length) throws IOException {
        for (int i = from; i < from + length; i++) {
            write(tokens[i]);
        }
    }

    /** Tokens written so far. */
    public long count() {
        return count;
    }

    /** Writes the header, forces everything to disk and renames the file to its target; returns the target. */
    public Path commit() throws IOException {
        checkOpen();
        flush();
        final ByteBuffer header = ByteBuffer.allocate(TokenFile.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0, TokenFile.MAGIC).putInt(4, TokenFile.VERSION_UINT16).putInt(8, (int)count);
        long position = 0;
        while (header.hasRemaining()) {
            position += channel.write(header, position);
        }
        channel.force(true);
        channel.close();
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        committed = true;
        return target;
    }

    /** Deletes the temporary file unless {@link #commit()} succeeded. */
    @Override
    public void close() throws IOException {
        if (committed) {
            return;
        }
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    private void checkOpen() {
        if (committed || !channel.isOpen()) {
            throw new IllegalStateException("the writer for " + target + " is already committed or closed");
        }
    }
}
