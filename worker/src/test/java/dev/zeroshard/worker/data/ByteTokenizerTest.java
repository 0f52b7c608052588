package dev.zeroshard.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class ByteTokenizerTest {
    private final ByteTokenizer tokenizer = ByteTokenizer.instance();

    @Test
    void shouldEncodeUtf8BytesWhenGivenMixedScripts() {
        // a (1 byte), é (2), € (3), 😀 (4)
        assertThat(tokenizer.encode("a\u00e9\u20ac\ud83d\ude00"))
            .containsExactly(0x61, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80);
    }

    @Test
    void shouldRoundTripWhenTextIsArbitraryUnicode() {
        for (final String text : UnicodeSamples.FIXED) {
            assertThat(tokenizer.decode(tokenizer.encode(text))).isEqualTo(text);
        }
        for (final String text : UnicodeSamples.random(7, 500, 40)) {
            final int[] ids = tokenizer.encode(text);
            assertThat(IntStream.of(ids).boxed().toList()).allMatch(id -> id >= 0 && id < 256);
            assertThat(tokenizer.decode(ids)).isEqualTo(text);
        }
    }

    @Test
    void shouldEncodeReplacementCharacterWhenSurrogateIsUnpaired() {
        assertThat(tokenizer.encode("a\ud800b")).containsExactly(0x61, 0xEF, 0xBF, 0xBD, 0x62);
        assertThat(tokenizer.encode("\udc00")).containsExactly(0xEF, 0xBF, 0xBD);
        assertThat(tokenizer.encode("x\ud83d")).containsExactly(0x78, 0xEF, 0xBF, 0xBD);
        assertThat(tokenizer.decode(tokenizer.encode("a\ud800b"))).isEqualTo("a\ufffdb");
    }

    @Test
    void shouldDecodeReplacementCharacterWhenRangeCutsACharacter() {
        final int[] ids = tokenizer.encode("\u20ac!");
        assertThat(tokenizer.decode(ids, 0, 2)).isEqualTo("\ufffd");
        assertThat(tokenizer.decode(ids, 3, 4)).isEqualTo("!");
    }

    @Test
    void shouldRefuseIdWhenOutsideByteRange() {
        assertThatThrownBy(() -> tokenizer.decode(new int[] {65, 256}))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("256")
            .hasMessageContaining("index 1");
    }

    @Test
    void shouldDescribeVocabularyWhenAsked() {
        assertThat(tokenizer.vocabSize()).isEqualTo(256);
        assertThat(tokenizer.id()).isEqualTo("byte");
        assertThat(tokenizer.endOfText()).isEmpty();
    }
}
