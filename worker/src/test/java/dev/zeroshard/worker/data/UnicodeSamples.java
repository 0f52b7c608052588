package dev.zeroshard.worker.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Strings for round-trip tests: fixed awkward cases and random mixes of scripts, emoji and whitespace. */
final class UnicodeSamples {
    /** Code point ranges to draw from: ASCII, Latin-1, Greek/Cyrillic, combining marks, CJK, Hangul, emoji, whitespace. */
    private static final int[][] RANGES = {
        {0x20, 0x7E}, {0x09, 0x0D}, {0xA0, 0xFF}, {0x370, 0x4FF}, {0x300, 0x36F}, {0x4E00, 0x9FFF},
        {0xAC00, 0xD7A3}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x2000, 0x200A}, {0x3000, 0x3000},
        {0x10000, 0x1007F}, {0x0600, 0x06FF}};

    static final List<String> FIXED = List.of(
        "",
        "plain ascii",
        "caf\u00e9 na\u00efve",
        "e\u0301 a\u0308 n\u0303 \u1e9b\u0323",
        "\u4f60\u597d\uff0c\u4e16\u754c",
        "\ud83d\ude00\ud83d\udc4d\ud83c\udffd\ud83c\uddfa\ud83c\uddf3\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67",
        "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",
        "tabs\tand\r\nnewlines\n\n\n",
        "   leading and trailing   ",
        "\u00a0\u3000\u2028\u2029\u0085",
        "it's we'll they'D I'M",
        "\u0000\u0001\u007f",
        "\uffff\ufffd\ufeff");

    private UnicodeSamples() {
    }

    /** {@code count} random strings of up to {@code maxCodePoints} code points. */
    static List<String> random(final long seed, final int count, final int maxCodePoints) {
        final SplittableRandom random = new SplittableRandom(seed);
        final List<String> samples = new ArrayList<>(count);
        for (int s = 0; s < count; s++) {
            final StringBuilder text = new StringBuilder();
            final int length = random.nextInt(maxCodePoints + 1);
            for (int i = 0; i < length; i++) {
                final int[] range = RANGES[random.nextInt(RANGES.length)];
                text.appendCodePoint(range[0] + random.nextInt(range[1] - range[0] + 1));
            }
            samples.add(text.toString());
        }
        return samples;
    }
}
