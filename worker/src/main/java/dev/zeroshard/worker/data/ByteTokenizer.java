package dev.zeroshard.worker.data;

import java.nio.charset.StandardCharsets;

/**
 * The trivial tokenizer: one token per UTF-8 byte, vocabulary 256, no end-of-text token. It needs no
 * files, so it is the default for built-in data and small experiments.
 *
 * <p>Every string round-trips through {@code decode(encode(s))} except one with unpaired surrogates,
 * which are encoded as U+FFFD (the bytes {@code EF BF BD}) and so come back as U+FFFD: UTF-8 cannot
 * represent a lone surrogate.
 */
public final class ByteTokenizer implements Tokenizer {
    /** The vocabulary size: one id per byte value. */
    public static final int VOCAB_SIZE = 256;

    private static final ByteTokenizer INSTANCE = new ByteTokenizer();

    private ByteTokenizer() {
    }

    /** The (stateless) byte tokenizer. */
    public static ByteTokenizer instance() {
        return INSTANCE;
    }

    @Override
    public int vocabSize() {
        return VOCAB_SIZE;
    }

    @Override
    public String id() {
        return "byte";
    }

    @Override
    public int[] encode(final String text) {
        final byte[] bytes = new byte[Utf8.MAX_BYTES_PER_CHAR * text.length()];
        final int length = Utf8.encode(text, 0, text.length(), bytes, 0);
        final int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    @Override
    public String decode(final int[] ids, final int from, final int to) {
        checkRange(ids, from, to);
        final byte[] bytes = new byte[to - from];
        for (int i = from; i < to; i++) {
            final int id = ids[i];
            if (id < 0 || id >= VOCAB_SIZE) {
                throw new IllegalArgumentException("token id " + id + " at index " + i + " is outside the byte vocabulary [0, 256)");
            }
            bytes[i - from] = (byte)id;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ByteTokenizer";
    }

    static void checkRange(final int[] ids, final int from, final int to) {
        if (from < 0 || to > ids.length || from > to) {
            throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") of " + ids.length + " ids");
        }
    }
}
