package dev.zeroshard.worker.data;

import java.util.OptionalInt;

/**
 * Turns text into token ids and back.
 *
 * <p>Contract shared by the implementations, which {@link TokenCache} relies on to tokenize large
 * files in pieces: for strings {@code a} and {@code b} where {@code a} ends with an ASCII
 * non-whitespace character followed by {@code '\n'} and {@code b} starts with an ASCII non-whitespace
 * character, {@code encode(a + b)} equals {@code encode(a)} followed by {@code encode(b)}.
 *
 * <p>Implementations are immutable (or internally synchronised) and safe to share between threads.
 */
public interface Tokenizer {
    /** Number of token ids: every id produced lies in {@code [0, vocabSize())}. */
    int vocabSize();

    /**
     * Identifies the vocabulary (its kind and content), for cache keys: two tokenizers with the
     * same id encode every string identically. Contains only {@code [a-z0-9-]}.
     */
    String id();

    /**
     * The end-of-text token that separates documents, if the vocabulary has one. {@link #encode}
     * never produces it from text.
     */
    default OptionalInt endOfText() {
        return OptionalInt.empty();
    }

    /** Encodes {@code text}; unpaired surrogates are encoded as U+FFFD (as a browser's TextEncoder does). */
    int[] encode(String text);

    /**
     * Decodes {@code ids[from, to)}. Byte sequences that are not valid UTF-8 (for example a range
     * that cuts a character in two) decode to U+FFFD.
     *
     * @throws IllegalArgumentException if an id is outside the vocabulary.
     */
    String decode(int[] ids, int from, int to);

    /** Decodes all of {@code ids}. */
    default String decode(final int[] ids) {
        return decode(ids, 0, ids.length);
    }
}
