package dev.zeroshard.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.stream.IntStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the tokenizer against ids from the reference JavaScript encoder (see tools/gpt2-bpe), on an
 * extract of GPT-2's files (the first 6000 merges) and the strings the extract provably encodes
 * like the full files. With {@code -Dzeroshard.gpt2.dir=<dir with encoder.json and vocab.bpe>} (or
 * the environment variable ZEROSHARD_GPT2_DIR) it also checks the full vocabulary.
 */
class Gpt2BpeTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path extractDir;
    private static Gpt2BpeTokenizer extract;
    private static JsonNode expected;

    @TempDir
    Path temp;

    @BeforeAll
    static void loadExtract() throws IOException, URISyntaxException {
        extractDir = Path.of(Gpt2BpeTokenizerTest.class.getResource("/data/gpt2-bpe/vocab.json").toURI()).getParent();
        extract = Gpt2BpeTokenizer.fromDirectory(extractDir);
        expected = JSON.readTree(extractDir.resolve("expected-ids.json").toFile());
    }

    @Test
    void shouldProduceReferenceIdsWhenEncodingWithTheExtract() {
        assertThat(extract.mergeCount()).isEqualTo(expected.get("merges").asInt());
        assertThat(expected.get("extract").size()).isGreaterThan(30);
        for (final JsonNode testCase : expected.get("extract")) {
            final String text = testCase.get("text").asText();
            final int[] ids = ids(testCase.get("ids"));
            assertThat(extract.encode(text)).as("encode(%s)", text).containsExactly(ids);
            assertThat(extract.decode(ids)).as("decode of %s", text).isEqualTo(text);
        }
    }

    @Test
    void shouldProduceReferenceIdsWhenGivenTheFullFiles() throws IOException {
        final String dir = System.getProperty("zeroshard.gpt2.dir", System.getenv("ZEROSHARD_GPT2_DIR"));
        assumeTrue(dir != null && !dir.isBlank(), "full GPT-2 files not given (-Dzeroshard.gpt2.dir)");
        final Gpt2BpeTokenizer full = Gpt2BpeTokenizer.fromDirectory(Path.of(dir));
        assertThat(full.vocabSize()).isEqualTo(50257);
        assertThat(full.mergeCount()).isEqualTo(50000);
        for (final String list : List.of("extract", "full")) {
            for (final JsonNode testCase : expected.get(list)) {
                final String text = testCase.get("text").asText();
                assertThat(full.encode(text)).as("encode(%s)", text).containsExactly(ids(testCase.get("ids")));
            }
        }
        for (final String text : UnicodeSamples.random(11, 300, 60)) {
            assertThat(full.decode(full.encode(text))).isEqualTo(text);
        }
    }

    @Test
    void shouldKeepReferenceIdsWhenVocabularyIsTheExtract() {
        // the extract keeps GPT-2's ids: 256 bytes, 256 + rank per merge, <|endoftext|> at 50256
        assertThat(extract.vocabSize()).isEqualTo(50257);
        assertThat(extract.endOfText()).hasValue(50256);
        assertThat(extract.decode(new int[] {50256})).isEqualTo("<|endoftext|>");
        assertThat(extract.encode("<|endoftext|>")).doesNotContain(50256);
        assertThat(extract.id()).matches("gpt2-bpe-[0-9a-f]{16}");
    }

    @Test
    void shouldRoundTripWhenTextIsArbitraryUnicode() {
        for (final String text : UnicodeSamples.FIXED) {
            assertThat(extract.decode(extract.encode(text))).as("round trip of %s", text).isEqualTo(text);
        }
        for (final String text : UnicodeSamples.random(3, 1000, 50)) {
            final int[] ids = extract.encode(text);
            assertThat(IntStream.of(ids).boxed().toList()).allMatch(id -> id >= 0 && id < extract.vocabSize());
            assertThat(extract.decode(ids)).isEqualTo(text);
        }
    }

    @Test
    void shouldEncodeReplacementCharacterWhenSurrogateIsUnpaired() {
        assertThat(extract.decode(extract.encode("a\ud800b\udfff"))).isEqualTo("a\ufffdb\ufffd");
    }

    @Test
    void shouldSplitLikeGpt2WhenPretokenizing() {
        assertThat(pieces("Hello  world's 123abc!!\n\n x")).containsExactly(
            "Hello", " ", " world", "'s", " 123", "abc", "!!", "\n\n", " x");
        assertThat(pieces("I'M they'll  \t\n")).containsExactly("I", "'", "M", " they", "'ll", "  \t\n");
        assertThat(pieces("\u00e9t\u00e9 \u4e16\u754c 42\u00b2")).containsExactly("\u00e9t\u00e9", " \u4e16\u754c", " 42\u00b2");
    }

    @Test
    void shouldApplyLowestRankFirstWhenMergesCompete() throws IOException {
        // "abc" can become ab|c or a|bc: the merge listed first (lower rank) wins
        assertThat(tokens(synthetic("bc-first", "b c", "a b"), "abc")).containsExactly("a", "bc");
        assertThat(tokens(synthetic("ab-first", "a b", "b c"), "abc")).containsExactly("ab", "c");
    }

    @Test
    void shouldMergeLeftToRightWhenOccurrencesOverlap() throws IOException {
        final Gpt2BpeTokenizer tokenizer = synthetic("aa", "a a");
        assertThat(tokens(tokenizer, "aaa")).containsExactly("aa", "a");
        assertThat(tokens(tokenizer, "aaaa")).containsExactly("aa", "aa");
        assertThat(tokens(tokenizer, "aaaaa")).containsExactly("aa", "aa", "a");
    }

    @Test
    void shouldFinishARoundBeforeALowerRankPairItCreatesWhenMerging() throws IOException {
        // rank 0 (xy x) only appears once rank 1 (x y) has merged; the reference merges every
        // x y of the round first, so "xyxy" ends as xy|xy, not xyx|y
        assertThat(tokens(synthetic("rounds", "xy x", "x y"), "xyxy")).containsExactly("xy", "xy");
    }

    @Test
    void shouldReadOpenAiNamesWhenHuggingFaceNamesAreAbsent() throws IOException {
        final Path dir = Files.createDirectories(temp.resolve("openai"));
        Files.copy(extractDir.resolve("vocab.json"), dir.resolve("encoder.json"));
        Files.copy(extractDir.resolve("merges.txt"), dir.resolve("vocab.bpe"));
        final Gpt2BpeTokenizer openAi = Gpt2BpeTokenizer.fromDirectory(dir);
        assertThat(openAi.id()).isEqualTo(extract.id());
        assertThat(openAi.encode("The cat sat on the mat.")).containsExactly(extract.encode("The cat sat on the mat."));
    }

    @Test
    void shouldNameTheFilesWhenDirectoryHasNone() {
        assertThatThrownBy(() -> Gpt2BpeTokenizer.fromDirectory(temp))
            .isInstanceOf(NoSuchFileException.class)
            .hasMessageContaining(temp.toString())
            .hasMessageContaining("vocab.json + merges.txt")
            .hasMessageContaining("encoder.json + vocab.bpe");
    }

    @Test
    void shouldNameFileAndLineWhenMergeLineIsMalformed() throws IOException {
        final Path dir = syntheticDir("bad-merge", "a b", "b c d");
        assertThatThrownBy(() -> Gpt2BpeTokenizer.fromDirectory(dir))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(dir.resolve("merges.txt") + " line 3")
            .hasMessageContaining("'b c d'");
    }

    @Test
    void shouldNameFileAndLineWhenMergeUsesUnknownToken() throws IOException {
        final Path dir = syntheticDir("unknown", "a b");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\nq zz\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Gpt2BpeTokenizer.fromDirectory(dir))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(dir.resolve("merges.txt") + " line 3")
            .hasMessageContaining("'zz' is not in the vocabulary");
    }

    @Test
    void shouldNameBothLinesWhenMergeRepeats() throws IOException {
        final Path dir = syntheticDir("repeat", "a b", "b c", "a b");
        assertThatThrownBy(() -> Gpt2BpeTokenizer.fromDirectory(dir))
            .hasMessageContaining("merges.txt line 4")
            .hasMessageContaining("line 2");
    }

    @Test
    void shouldNameFileAndLineWhenVocabularyIsMalformed() throws IOException {
        final Path dir = syntheticDir("bad-vocab", "a b");
        final List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve("vocab.json")));
        lines.set(5, "  \"broken\": \"seven\",");
        Files.write(dir.resolve("vocab.json"), lines);
        assertThatThrownBy(() -> Gpt2BpeTokenizer.fromDirectory(dir))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(dir.resolve("vocab.json") + " line 6")
            .hasMessageContaining("'broken'");

        lines.set(5, "  \"broken\" 7,");
        Files.write(dir.resolve("vocab.json"), lines);
        assertThatThrownBy(() -> Gpt2BpeTokenizer.fromDirectory(dir))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(dir.resolve("vocab.json") + " line 6");
    }

    @Test
    void shouldNameTheByteWhenVocabularyLacksOne() throws IOException {
        final Path dir = syntheticDir("no-newline", "a b");
        final String vocab = Files.readString(dir.resolve("vocab.json"));
        // byte 0x0A is named U+010A in GPT-2's byte alphabet
        Files.writeString(dir.resolve("vocab.json"), vocab.replace("\"\u010a\"", "\"unused\""));
        assertThatThrownBy(() -> Gpt2BpeTokenizer.fromDirectory(dir))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining("byte 0x0a");
    }

    @Test
    void shouldRefuseIdWhenNotInVocabulary() {
        // the extract has no ids between 6256 and 50255
        assertThatThrownBy(() -> extract.decode(new int[] {464, 7000}))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("7000")
            .hasMessageContaining("index 1");
        assertThatThrownBy(() -> extract.decode(new int[] {-1})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldEncodePiecesLikeTheWholeWhenCutAfterNewlineBetweenNonWhitespace() {
        // the Tokenizer contract TokenCache relies on to encode large files in pieces
        final SplittableRandom random = new SplittableRandom(5);
        final String[] words = {"the", " cat", "  ", "\n", "\n\n", " 42", "'s", "!", "\u00e9", " \u4e16", "x", "\t", "ok."};
        for (int trial = 0; trial < 300; trial++) {
            final StringBuilder text = new StringBuilder();
            for (int w = random.nextInt(40); w > 0; w--) {
                text.append(words[random.nextInt(words.length)]);
            }
            final int cut = TokenCache.lastSafeCut(text, 0);
            if (cut == 0) {
                continue;
            }
            final int[] whole = extract.encode(text.toString());
            final int[] head = extract.encode(text.substring(0, cut));
            final int[] tail = extract.encode(text.substring(cut));
            final int[] joined = new int[head.length + tail.length];
            System.arraycopy(head, 0, joined, 0, head.length);
            System.arraycopy(tail, 0, joined, head.length, tail.length);
            assertThat(joined).as("pieces of %s", text).containsExactly(whole);
        }
    }

    private static int[] ids(final JsonNode array) {
        final int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }

    private static List<String> pieces(final String text) {
        final List<String> pieces = new ArrayList<>();
        final Matcher matcher = Gpt2BpeTokenizer.PRETOKENIZE.matcher(text);
        while (matcher.find()) {
            pieces.add(matcher.group());
        }
        return pieces;
    }

    private static List<String> tokens(final Gpt2BpeTokenizer tokenizer, final String text) {
        final int[] ids = tokenizer.encode(text);
        final List<String> tokens = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            tokens.add(tokenizer.decode(ids, i, i + 1));
        }
        return tokens;
    }

    private Gpt2BpeTokenizer synthetic(final String name, final String... merges) throws IOException {
        return Gpt2BpeTokenizer.fromDirectory(syntheticDir(name, merges));
    }

    /**
     * A byte-level vocabulary of the 256 bytes plus the products of {@code merges}, written as
     * vocab.json (one entry a line, bytes first) and merges.txt (a #version line, then the merges).
     */
    private Path syntheticDir(final String name, final String... merges) throws IOException {
        final Path dir = Files.createDirectories(temp.resolve(name));
        final List<String> entries = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            entries.add(JSON.writeValueAsString(String.valueOf(Gpt2BpeTokenizer.byteToChar(b))) + ": " + b);
        }
        int next = 256;
        for (final String merge : merges) {
            final String product = merge.replace(" ", "");
            final String entry = JSON.writeValueAsString(product) + ": ";
            if (entries.stream().noneMatch(e -> e.startsWith(entry)) && product.length() > 1 && merge.split(" ").length == 2) {
                entries.add(entry + next++);
            }
        }
        Files.writeString(dir.resolve("vocab.json"), "{\n  " + String.join(",\n  ", entries) + "\n}\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", merges) + "\n", StandardCharsets.UTF_8);
        return dir;
    }
}
