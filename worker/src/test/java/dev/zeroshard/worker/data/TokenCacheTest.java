package dev.zeroshard.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCacheTest {
    private static Gpt2BpeTokenizer gpt2;

    @TempDir
    Path temp;

    @BeforeAll
    static void loadTokenizer() throws IOException, URISyntaxException {
        gpt2 = Gpt2BpeTokenizer.fromDirectory(
            Path.of(TokenCacheTest.class.getResource("/data/gpt2-bpe/vocab.json").toURI()).getParent());
    }

    @Test
    void shouldTokenizeWholeTextWhenSourceIsPlainText() throws IOException {
        final String text = "The cat sat on the mat.\nIt's 42 \u00e9t\u00e9s \ud83d\ude00\n";
        final Path source = write("story.txt", text);

        final TokenFile tokens = TokenCache.tokenize(source, gpt2);

        assertThat(all(tokens)).containsExactly(gpt2.encode(text));
        assertThat(tokens.layout()).isEqualTo(TokenFile.Layout.LLMC);
        assertThat(tokens.path().getParent()).isEqualTo(source.toAbsolutePath().getParent());
        assertThat(tokens.path().getFileName().toString()).matches("story\\.txt\\.gpt2-bpe-[0-9a-f]{16}\\.[0-9a-f]{24}\\.tokens\\.bin");
        assertThat(tokens.path()).isEqualTo(TokenCache.cachePath(source, gpt2));
    }

    @Test
    void shouldEncodeLikeTheWholeWhenTextIsEncodedInPieces() throws IOException {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            text.append(i % 7 == 0 ? "\n\n  indented line " : "line ").append(i).append(i % 3 == 0 ? " it's\n" : ".\n");
        }
        final Path source = write("long.txt", text.toString());

        final TokenFile tokens = TokenCache.tokenize(source, TokenCache.SourceFormat.TEXT, gpt2, null, 64);

        assertThat(all(tokens)).containsExactly(gpt2.encode(text.toString()));
    }

    @Test
    void shouldReuseCacheWhenSourceIsUnchanged() throws IOException {
        final Path source = write("same.txt", "hello again");
        final Path cache = TokenCache.tokenize(source, ByteTokenizer.instance()).path();
        // replace the cache with different tokens: a second call must return them untouched
        TokenFile.write(cache, new int[] {7, 7, 7});

        final TokenFile second = TokenCache.tokenize(source, ByteTokenizer.instance());

        assertThat(second.path()).isEqualTo(cache);
        assertThat(all(second)).containsExactly(7, 7, 7);
    }

    @Test
    void shouldTokenizeAgainAndDropStaleCacheWhenSourceChanges() throws IOException {
        final Path source = write("changing.txt", "first");
        final Path firstCache = TokenCache.tokenize(source, ByteTokenizer.instance()).path();
        Files.writeString(source, "second version");
        Files.setLastModifiedTime(source, FileTime.fromMillis(Files.getLastModifiedTime(source).toMillis() + 5_000));

        final TokenFile second = TokenCache.tokenize(source, ByteTokenizer.instance());

        assertThat(second.path()).isNotEqualTo(firstCache);
        assertThat(all(second)).containsExactly(ByteTokenizer.instance().encode("second version"));
        assertThat(firstCache).doesNotExist();
    }

    @Test
    void shouldKeepCachesApartWhenTokenizersDiffer() throws IOException {
        final Path source = write("both.txt", "The cat sat.");
        final TokenFile bytes = TokenCache.tokenize(source, ByteTokenizer.instance());
        final TokenFile bpe = TokenCache.tokenize(source, gpt2);

        assertThat(bytes.path()).isNotEqualTo(bpe.path());
        assertThat(bytes.path()).exists();
        assertThat(all(bpe)).containsExactly(464, 3797, 3332, 13);
    }

    @Test
    void shouldWriteIntoCacheDirWhenOneIsGiven() throws IOException {
        final Path source = write("elsewhere.txt", "abc");
        final Path cacheDir = temp.resolve("cache/tokens");

        final TokenFile tokens = TokenCache.tokenize(source, ByteTokenizer.instance(), cacheDir);

        assertThat(tokens.path().getParent()).isEqualTo(cacheDir.toAbsolutePath());
        assertThat(tokens.path().getFileName().toString()).startsWith("elsewhere.txt-");
        assertThat(all(tokens)).containsExactly(97, 98, 99);
        assertThat(names(temp)).containsExactlyInAnyOrder("elsewhere.txt", "cache");
    }

    @Test
    void shouldPrecedeEveryDocumentWithEndOfTextWhenTokenizerHasOne() throws IOException {
        final Path source = write("docs.jsonl",
            "{\"text\": \"The cat sat.\", \"id\": 1}\n\n{\"text\": \"I'm here.\"}\r\n   \n{\"meta\": {}, \"text\": \"\"}");

        final TokenFile tokens = TokenCache.tokenize(source, gpt2);

        assertThat(all(tokens)).containsExactly(50256, 464, 3797, 3332, 13, 50256, 40, 1101, 994, 13, 50256);
    }

    @Test
    void shouldConcatenateDocumentsWhenTokenizerHasNoEndOfText() throws IOException {
        final Path source = write("docs.jsonl", "{\"text\": \"ab\"}\n{\"text\": \"\u00e9\"}\n");

        final TokenFile tokens = TokenCache.tokenize(source, ByteTokenizer.instance());

        assertThat(all(tokens)).containsExactly(97, 98, 0xC3, 0xA9);
    }

    @Test
    void shouldNameFileAndLineWhenJsonlLineIsMalformed() throws IOException {
        final Path source = write("bad.jsonl", "{\"text\": \"ok\"}\n\n{\"text\": \"unterminated}\n{\"text\": \"fine\"}\n");

        assertThatThrownBy(() -> TokenCache.tokenize(source, ByteTokenizer.instance()))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(source + " line 3");
        assertThat(names(temp)).containsExactly("bad.jsonl");
    }

    @Test
    void shouldNameFileAndLineWhenTextFieldIsMissing() throws IOException {
        final Path missing = write("missing.jsonl", "{\"text\": \"ok\"}\n{\"body\": \"no text\"}\n");
        assertThatThrownBy(() -> TokenCache.tokenize(missing, ByteTokenizer.instance()))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(missing + " line 2")
            .hasMessageContaining("\"text\"");

        final Path notObject = write("array.jsonl", "[1, 2]\n");
        assertThatThrownBy(() -> TokenCache.tokenize(notObject, ByteTokenizer.instance()))
            .hasMessageContaining(notObject + " line 1")
            .hasMessageContaining("ARRAY");

        final Path twoObjects = write("two.jsonl", "{\"text\": \"a\"} {\"text\": \"b\"}\n");
        assertThatThrownBy(() -> TokenCache.tokenize(twoObjects, ByteTokenizer.instance()))
            .hasMessageContaining(twoObjects + " line 1");

        final Path numberText = write("number.jsonl", "{\"text\": 5}");
        assertThatThrownBy(() -> TokenCache.tokenize(numberText, ByteTokenizer.instance()))
            .hasMessageContaining(numberText + " line 1");
    }

    @Test
    void shouldNameLineAndOffsetWhenTextIsNotUtf8() throws IOException {
        final Path source = temp.resolve("latin1.txt");
        Files.write(source, "first line\nsecond caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));

        assertThatThrownBy(() -> TokenCache.tokenize(source, ByteTokenizer.instance()))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(source + " line 2")
            .hasMessageContaining("byte offset 21");
    }

    @Test
    void shouldNameLineWhenJsonlIsNotUtf8() throws IOException {
        final Path source = temp.resolve("latin1.jsonl");
        Files.write(source, "{\"text\": \"a\"}\n{\"text\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1));

        assertThatThrownBy(() -> TokenCache.tokenize(source, ByteTokenizer.instance()))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(source + " line 2");
    }

    @Test
    void shouldRefuseTokenizerWhenVocabularyExceedsUint16() throws IOException {
        final Path source = write("wide.txt", "x");
        final Tokenizer wide = new Tokenizer() {
            @Override
            public int vocabSize() {
                return 100_000;
            }

            @Override
            public String id() {
                return "wide";
            }

            @Override
            public int[] encode(final String text) {
                return new int[] {99_999};
            }

            @Override
            public String decode(final int[] ids, final int from, final int to) {
                return "";
            }
        };

        assertThatThrownBy(() -> TokenCache.tokenize(source, wide))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("100000")
            .hasMessageContaining("65536");
    }

    private Path write(final String name, final String text) throws IOException {
        return Files.writeString(temp.resolve(name), text, StandardCharsets.UTF_8);
    }

    private static int[] all(final TokenSequence tokens) {
        final int[] all = new int[Math.toIntExact(tokens.length())];
        tokens.read(0, all, 0, all.length);
        return all;
    }

    private static List<String> names(final Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
