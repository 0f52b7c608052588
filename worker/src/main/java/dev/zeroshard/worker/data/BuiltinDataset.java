package dev.zeroshard.worker.data;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Training data that every machine has without a download: generated text with structure a small
 * model learns quickly, deterministic from a seed, tokenized with {@link ByteTokenizer}.
 *
 * <p>For a validation set, generate with another seed: the lines are drawn from the same
 * distribution but are different text.
 */
public enum BuiltinDataset {
    /**
     * Lines of a small grammar, each of one of six kinds: sentences over a few dozen words
     * ({@code the quick fox sees the old owl by the river.}), addition and subtraction facts over
     * 0..9 ({@code math: 3 + 4 = 7, 9 - 2 = 7.}), counting up or down
     * ({@code count: 5 6 7 8 9.}), a phrase repeated ({@code echo: red owl finds blue fish | red owl
     * finds blue fish}), key-value recall ({@code recall: cat=3 dog=7 owl=1; dog? 7}) and alphabet
     * runs ({@code letters: defghij}). Most bytes are predictable from a few before them; the rest
     * need arithmetic or attention back along the line. A byte-level GPT starts at ln 256 = 5.5
     * nats and can get below about 1.
     */
    PATTERNS("patterns");

    /** Tokens generated when the caller does not say: 4 Mi bytes, made in about 0.15 s. */
    public static final int DEFAULT_LENGTH_TOKENS = 4 << 20;

    private final String datasetName;

    BuiltinDataset(final String datasetName) {
        this.datasetName = datasetName;
    }

    /** The name users give on the command line. */
    public String datasetName() {
        return datasetName;
    }

    /** The data set called {@code name} (case-insensitive). */
    public static BuiltinDataset byName(final String name) {
        for (final BuiltinDataset dataset : values()) {
            if (dataset.datasetName.equalsIgnoreCase(name)) {
                return dataset;
            }
        }
        throw new IllegalArgumentException("no built-in data set '" + name + "'; known: " + knownNames());
    }

    /** The tokenizer the data is generated for. */
    public Tokenizer tokenizer() {
        return ByteTokenizer.instance();
    }

    /** Generates {@code lengthTokens} tokens from {@code seed}; the same arguments give the same tokens. */
    public TokenSequence generate(final long seed, final int lengthTokens) {
        if (lengthTokens < 0) {
            throw new IllegalArgumentException("lengthTokens=" + lengthTokens + " < 0");
        }
        final String name = "builtin:" + datasetName + "(seed=" + seed + ", tokens=" + lengthTokens + ")";
        return new ByteSequence(name, PatternsGenerator.generate(seed, lengthTokens));
    }

    /** The text {@link #generate} tokenizes, for looking at. */
    public String text(final long seed, final int lengthChars) {
        return new String(PatternsGenerator.generate(seed, lengthChars), StandardCharsets.US_ASCII);
    }

    private static String knownNames() {
        final StringBuilder names = new StringBuilder();
        for (final BuiltinDataset dataset : values()) {
            names.append(names.length() == 0 ? "" : ", ").append(dataset.datasetName.toLowerCase(Locale.ROOT));
        }
        return names.toString();
    }

    /** Byte tokens held as bytes: a quarter of the memory of an int[]. */
    private static final class ByteSequence implements TokenSequence {
        private final String name;
        private final byte[] tokens;

        ByteSequence(final String name, final byte[] tokens) {
            this.name = name;
            this.tokens = tokens;
        }

        @Override
        public long length() {
            return tokens.length;
        }

        @Override
        public int get(final long index) {
            return tokens[Math.toIntExact(index)] & 0xFF;
        }

        @Override
        public void read(final long from, final int[] dst, final int dstOffset, final int count) {
            if (from < 0 || count < 0 || from + count > tokens.length) {
                throw new IndexOutOfBoundsException("tokens [" + from + ", " + (from + count) + ") of " + tokens.length + " in " + name);
            }
            final int start = (int)from;
            for (int i = 0; i < count; i++) {
                dst[dstOffset + i] = tokens[start + i] & 0xFF;
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
