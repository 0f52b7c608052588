package dev.zeroshard.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class BuiltinDatasetTest {
    private static final Pattern FACT = Pattern.compile("(\\d+) ([+-]) (\\d+) = (\\d+)");
    private static final Pattern RECALL = Pattern.compile("recall: (\\w+)=(\\d) (\\w+)=(\\d) (\\w+)=(\\d); (\\w+)\\? (\\d)");

    @Test
    void shouldGenerateSameTokensWhenSeedIsSame() {
        final int[] first = all(BuiltinDataset.PATTERNS.generate(42, 100_000));
        final int[] again = all(BuiltinDataset.PATTERNS.generate(42, 100_000));
        final int[] other = all(BuiltinDataset.PATTERNS.generate(43, 100_000));

        assertThat(again).containsExactly(first);
        assertThat(other).isNotEqualTo(first);
        assertThat(first).hasSize(100_000);
        assertThat(IntStream.of(first).boxed().toList()).allMatch(t -> t >= 0 && t < 128);
    }

    @Test
    void shouldFindDatasetWhenNamed() {
        assertThat(BuiltinDataset.byName("patterns")).isSameAs(BuiltinDataset.PATTERNS);
        assertThat(BuiltinDataset.byName("PATTERNS")).isSameAs(BuiltinDataset.PATTERNS);
        assertThat(BuiltinDataset.PATTERNS.tokenizer()).isSameAs(ByteTokenizer.instance());
        assertThatThrownBy(() -> BuiltinDataset.byName("shakespeare"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'shakespeare'")
            .hasMessageContaining("patterns");
    }

    @Test
    void shouldStateTrueFactsWhenGeneratingLines() {
        final String text = BuiltinDataset.PATTERNS.text(1, 200_000);
        final String[] lines = text.substring(0, text.lastIndexOf('\n')).split("\n");
        final Map<String, Integer> kinds = new HashMap<>();
        for (final String line : lines) {
            final String kind = line.startsWith("the ") ? "sentence" : line.substring(0, line.indexOf(':'));
            kinds.merge(kind, 1, Integer::sum);
            switch (kind) {
                case "math" -> {
                    final Matcher fact = FACT.matcher(line);
                    int facts = 0;
                    while (fact.find()) {
                        final int a = Integer.parseInt(fact.group(1));
                        final int b = Integer.parseInt(fact.group(3));
                        final int result = fact.group(2).equals("+") ? a + b : a - b;
                        assertThat(Integer.parseInt(fact.group(4))).as(line).isEqualTo(result).isNotNegative();
                        facts++;
                    }
                    assertThat(facts).as(line).isBetween(2, 4);
                }
                case "count", "count down" -> {
                    final String[] numbers = line.substring(line.indexOf(':') + 2, line.length() - 1).split(" ");
                    final int step = kind.equals("count") ? 1 : -1;
                    for (int i = 1; i < numbers.length; i++) {
                        assertThat(Integer.parseInt(numbers[i])).as(line).isEqualTo(Integer.parseInt(numbers[i - 1]) + step);
                    }
                }
                case "echo" -> {
                    final String[] halves = line.substring("echo: ".length()).split(" \\| ");
                    assertThat(halves).as(line).hasSize(2);
                    assertThat(halves[1]).isEqualTo(halves[0]);
                }
                case "recall" -> {
                    final Matcher recall = RECALL.matcher(line);
                    assertThat(recall.matches()).as(line).isTrue();
                    final Map<String, String> values = new HashMap<>();
                    for (int k = 0; k < 3; k++) {
                        values.put(recall.group(1 + 2 * k), recall.group(2 + 2 * k));
                    }
                    assertThat(values).as(line).hasSize(3);
                    assertThat(values.get(recall.group(7))).as(line).isEqualTo(recall.group(8));
                }
                case "letters" -> {
                    final String run = line.substring("letters: ".length());
                    for (int i = 1; i < run.length(); i++) {
                        assertThat(run.charAt(i) - run.charAt(i - 1)).as(line).isEqualTo(1);
                    }
                }
                case "sentence" -> assertThat(line).endsWith(".");
                default -> throw new AssertionError("unexpected line kind: " + line);
            }
        }
        assertThat(kinds).containsKeys("sentence", "math", "count", "count down", "echo", "recall", "letters");
    }

    @Test
    void shouldBeLearnableWhenMeasuredWithNgramModels() {
        // held-out cross-entropy of smoothed n-gram models, in nats per byte: structured (far below
        // ln 256 = 5.55 once a few bytes of context are known) but not trivial (unigram well above 2)
        final int[] train = all(BuiltinDataset.PATTERNS.generate(1, 1 << 20));
        final int[] test = all(BuiltinDataset.PATTERNS.generate(2, 1 << 17));

        assertThat(crossEntropy(train, test, 0)).isBetween(2.8, 3.6);
        assertThat(crossEntropy(train, test, 2)).isBetween(0.7, 1.4);
        assertThat(crossEntropy(train, test, 4)).isBetween(0.4, 0.8);
    }

    /** Held-out cross-entropy of an order-{@code k} byte model with add-0.01 smoothing. */
    private static double crossEntropy(final int[] train, final int[] test, final int k) {
        final Map<Long, int[]> counts = new HashMap<>();
        for (int i = k; i < train.length; i++) {
            final int[] next = counts.computeIfAbsent(context(train, i, k), c -> new int[129]);
            next[train[i]]++;
            next[128]++;
        }
        final double alpha = 0.01;
        double nats = 0;
        for (int i = k; i < test.length; i++) {
            final int[] next = counts.get(context(test, i, k));
            nats -= Math.log(next == null ? 1.0 / 128 : (next[test[i]] + alpha) / (next[128] + 128 * alpha));
        }
        return nats / (test.length - k);
    }

    private static long context(final int[] tokens, final int i, final int k) {
        long context = 0;
        for (int j = i - k; j < i; j++) {
            context = (context << 7) | tokens[j];
        }
        return context;
    }

    private static int[] all(final TokenSequence tokens) {
        final int[] all = new int[Math.toIntExact(tokens.length())];
        tokens.read(0, all, 0, all.length);
        return all;
    }
}
