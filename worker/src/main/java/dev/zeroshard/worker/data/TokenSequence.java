package dev.zeroshard.worker.data;

/**
 * A read-only sequence of token ids, indexed by {@code long} because token files may hold more than
 * 2^31 tokens. Implementations are immutable and safe to read from several threads.
 */
public interface TokenSequence {
    /** Number of tokens. */
    long length();

    /** The token at {@code index} (0-based, in tokens). */
    int get(long index);

    /** Copies tokens {@code [from, from + count)} into {@code dst[dstOffset, dstOffset + count)}. */
    void read(long from, int[] dst, int dstOffset, int count);

    /** What the tokens come from (a file path, a generated data set), for messages. */
    String name();

    /** Where token {@code index} lies, for messages: by default its index; a file adds the byte offset. */
    default String locate(final long index) {
        return "token index " + index;
    }
}
