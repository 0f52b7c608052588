package dev.zeroshard.worker.data;

/**
 * UTF-8 encoding that agrees with a browser's TextEncoder (and so with the reference GPT-2 encoder
 * under node): an unpaired surrogate becomes U+FFFD ({@code EF BF BD}), where
 * {@code String.getBytes(UTF_8)} would write {@code '?'}.
 */
final class Utf8 {
    /** Most bytes one UTF-16 unit can produce (a BMP character; a surrogate pair gives 4 for 2). */
    static final int MAX_BYTES_PER_CHAR = 3;

    private Utf8() {
    }

    /**
     * Encodes {@code text[from, to)} into {@code dst} at {@code dstOffset}, which must have room for
     * {@code MAX_BYTES_PER_CHAR * (to - from)} bytes; returns the number of bytes written. A high
     * surrogate at {@code to - 1} counts as unpaired.
     */
    static int encode(final CharSequence text, final int from, final int to, final byte[] dst, final int dstOffset) {
        int out = dstOffset;
        int i = from;
        while (i < to) {
            final char c = text.charAt(i);
            if (c < 0x80) {
                dst[out++] = (byte)c;
                i++;
            } else if (c < 0x800) {
                dst[out++] = (byte)(0xC0 | (c >>> 6));
                dst[out++] = (byte)(0x80 | (c & 0x3F));
                i++;
            } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
                final int cp = Character.toCodePoint(c, text.charAt(i + 1));
                dst[out++] = (byte)(0xF0 | (cp >>> 18));
                dst[out++] = (byte)(0x80 | ((cp >>> 12) & 0x3F));
                dst[out++] = (byte)(0x80 | ((cp >>> 6) & 0x3F));
                dst[out++] = (byte)(0x80 | (cp & 0x3F));
                i += 2;
            } else {
                final char bmp = Character.isSurrogate(c) ? '\uFFFD' : c;
                dst[out++] = (byte)(0xE0 | (bmp >>> 12));
                dst[out++] = (byte)(0x80 | ((bmp >>> 6) & 0x3F));
                dst[out++] = (byte)(0x80 | (bmp & 0x3F));
                i++;
            }
        }
        return out - dstOffset;
    }
}
