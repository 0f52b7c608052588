package dev.zeroshard.worker.data;

import java.util.Objects;

/** Tokens held in an {@code int[]}: for tests and for data made in memory. */
public final class TokenArray implements TokenSequence {
    private final String name;
    private final int[] tokens;

    private TokenArray(final String name, final int[] tokens) {
        this.name = Objects.requireNonNull(name, "name");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
    }

    /** Wraps {@code tokens} without copying; the caller must not change them afterwards. */
    public static TokenArray wrap(final String name, final int[] tokens) {
        return new TokenArray(name, tokens);
    }

    @Override
    public long length() {
        return tokens.length;
    }

    @Override
    public int get(final long index) {
        return tokens[Math.toIntExact(index)];
    }

    @Override
    public void read(final long from, final int[] dst, final int dstOffset, final int count) {
        if (from < 0 || from + count > tokens.length) {
            throw new IndexOutOfBoundsException("tokens [" + from + ", " + (from + count) + ") of " + tokens.length + " in " + name);
        }
        System.arraycopy(tokens, (int)from, dst, dstOffset, count);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "TokenArray[" + name + ", " + tokens.length + " tokens]";
    }
}
