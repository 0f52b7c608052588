package dev.zeroshard.worker.data;

import java.util.SplittableRandom;

/**
 * Generates the ASCII text of {@link BuiltinDataset#PATTERNS}, line by line, straight into bytes.
 * Every random choice comes from one {@link SplittableRandom} seeded once, so the text depends on
 * the seed alone.
 */
final class PatternsGenerator {
    private static final String[] NOUNS = {"cat", "dog", "owl", "fox", "cow", "bee", "fish", "bird"};
    private static final String[] ADJECTIVES = {"red", "blue", "green", "small", "big", "old", "happy", "quick"};
    private static final String[] VERBS = {"sees", "likes", "chases", "finds", "helps", "follows"};
    private static final String[] PLACES = {"in the park", "on the hill", "by the river", "at home"};
    /** Relative frequency of the line kinds, in the order of {@link #line}'s switch. */
    private static final int[] KIND_WEIGHTS = {4, 3, 2, 2, 2, 1};
    private static final int KIND_WEIGHT_TOTAL = 14;
    /** Longest line, with margin; lines are built in a scratch buffer of this size. */
    private static final int MAX_LINE_BYTES = 256;

    private final SplittableRandom random;
    private final byte[] line = new byte[MAX_LINE_BYTES];
    private int length;

    private PatternsGenerator(final long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** Exactly {@code lengthBytes} bytes of text (the last line is cut where the length runs out). */
    static byte[] generate(final long seed, final int lengthBytes) {
        final PatternsGenerator generator = new PatternsGenerator(seed);
        final byte[] out = new byte[lengthBytes];
        int offset = 0;
        while (offset < lengthBytes) {
            generator.line();
            final int count = Math.min(generator.length, lengthBytes - offset);
            System.arraycopy(generator.line, 0, out, offset, count);
            offset += count;
        }
        return out;
    }

    /** Writes one line, newline included, to {@code line[0, length)}. */
    private void line() {
        length = 0;
        int pick = random.nextInt(KIND_WEIGHT_TOTAL);
        int kind = 0;
        while (pick >= KIND_WEIGHTS[kind]) {
            pick -= KIND_WEIGHTS[kind];
            kind++;
        }
        switch (kind) {
            case 0 -> sentence();
            case 1 -> math();
            case 2 -> count();
            case 3 -> echo();
            case 4 -> recall();
            default -> letters();
        }
        put('\n');
    }

    /** {@code the quick fox sees the old owl by the river.} */
    private void sentence() {
        put("the ").put(pick(ADJECTIVES)).put(' ').put(pick(NOUNS)).put(' ').put(pick(VERBS));
        put(" the ").put(pick(ADJECTIVES)).put(' ').put(pick(NOUNS));
        if (random.nextBoolean()) {
            put(' ').put(pick(PLACES));
        }
        put('.');
    }

    /** {@code math: 3 + 4 = 7, 9 - 2 = 7.}: two to four facts over 0..9. */
    private void math() {
        put("math: ");
        final int facts = 2 + random.nextInt(3);
        for (int f = 0; f < facts; f++) {
            if (f > 0) {
                put(", ");
            }
            final int a = random.nextInt(10);
            final int b = random.nextInt(10);
            if (random.nextBoolean()) {
                put(a).put(" + ").put(b).put(" = ").put(a + b);
            } else {
                put(Math.max(a, b)).put(" - ").put(Math.min(a, b)).put(" = ").put(Math.max(a, b) - Math.min(a, b));
            }
        }
        put('.');
    }

    /** {@code count: 5 6 7 8 9.} or {@code count down: 9 8 7 6.} */
    private void count() {
        final boolean down = random.nextInt(4) == 0;
        final int steps = 4 + random.nextInt(5);
        final int start = down ? steps + random.nextInt(30) : random.nextInt(30);
        put(down ? "count down:" : "count:");
        for (int i = 0; i < steps; i++) {
            put(' ').put(down ? start - i : start + i);
        }
        put('.');
    }

    /** {@code echo: red owl finds blue fish | red owl finds blue fish}: copy the phrase after the bar. */
    private void echo() {
        put("echo: ");
        final int start = length;
        put(pick(ADJECTIVES)).put(' ').put(pick(NOUNS)).put(' ').put(pick(VERBS)).put(' ');
        put(pick(ADJECTIVES)).put(' ').put(pick(NOUNS));
        final int end = length;
        put(" | ");
        for (int i = start; i < end; i++) {
            put((char)line[i]);
        }
    }

    /** {@code recall: cat=3 dog=7 owl=1; dog? 7}: three distinct keys, then one of them asked. */
    private void recall() {
        put("recall:");
        final int first = random.nextInt(NOUNS.length);
        final int second = (first + 1 + random.nextInt(NOUNS.length - 1)) % NOUNS.length;
        int third = random.nextInt(NOUNS.length);
        while (third == first || third == second) {
            third = random.nextInt(NOUNS.length);
        }
        final int[] keys = {first, second, third};
        final int[] values = {random.nextInt(10), random.nextInt(10), random.nextInt(10)};
        for (int k = 0; k < 3; k++) {
            put(' ').put(NOUNS[keys[k]]).put('=').put(values[k]);
        }
        final int asked = random.nextInt(3);
        put("; ").put(NOUNS[keys[asked]]).put("? ").put(values[asked]);
    }

    /** {@code letters: defghij}: a run of the alphabet. */
    private void letters() {
        put("letters: ");
        final int run = 5 + random.nextInt(6);
        final int start = random.nextInt(26 - run + 1);
        for (int i = 0; i < run; i++) {
            put((char)('a' + start + i));
        }
    }

    private String pick(final String[] words) {
        return words[random.nextInt(words.length)];
    }

    private PatternsGenerator put(final char c) {
        line[length++] = (byte)c;
        return this;
    }

    private PatternsGenerator put(final String text) {
        for (int i = 0; i < text.length(); i++) {
            line[length++] = (byte)text.charAt(i);
        }
        return this;
    }

    private PatternsGenerator put(final int number) {
        if (number >= 10) {
            put(number / 10);
        }
        return put((char)('0' + number % 10));
    }
}
