package dev.zeroshard.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
    @TempDir
    Path temp;

    @Test
    void shouldWriteLlmcHeaderWhenWritingTokens() throws IOException {
        final Path path = temp.resolve("train.bin");
        TokenFile.write(path, new int[] {1, 2, 65535, 0, 50256});

        final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bytes.limit()).isEqualTo(1024 + 2 * 5);
        assertThat(bytes.getInt(0)).isEqualTo(20240520);
        assertThat(bytes.getInt(4)).isEqualTo(1);
        assertThat(bytes.getInt(8)).isEqualTo(5);
        for (int i = 3; i < 256; i++) {
            assertThat(bytes.getInt(4 * i)).isZero();
        }
        assertThat(bytes.getShort(1024 + 2 * 2) & 0xFFFF).isEqualTo(65535);
    }

    @Test
    void shouldReadTokensWhenFileHasLlmcHeader() throws IOException {
        final Path path = temp.resolve("llmc.bin");
        final int[] tokens = {5, 0, 65535, 1234, 50256, 7};
        TokenFile.write(path, tokens);

        final TokenFile file = TokenFile.open(path);
        assertThat(file.layout()).isEqualTo(TokenFile.Layout.LLMC);
        assertThat(file.length()).isEqualTo(6);
        assertThat(file.get(2)).isEqualTo(65535);
        final int[] read = new int[6];
        file.read(0, read, 0, 6);
        assertThat(read).containsExactly(tokens);
        assertThat(file.locate(3)).isEqualTo("token index 3 (byte offset 1030)");
    }

    @Test
    void shouldReadRawUint16WhenFileHasNoMagic() throws IOException {
        final Path path = temp.resolve("nanogpt.bin");
        Files.write(path, littleEndianShorts(3, 1, 4, 1, 5, 9, 2, 6));

        final TokenFile file = TokenFile.open(path);
        assertThat(file.layout()).isEqualTo(TokenFile.Layout.RAW_UINT16);
        assertThat(file.length()).isEqualTo(8);
        final int[] read = new int[5];
        file.read(3, read, 1, 4);
        assertThat(read).containsExactly(0, 1, 5, 9, 2);
        assertThat(file.locate(3)).isEqualTo("token index 3 (byte offset 6)");
    }

    @Test
    void shouldReadAcrossMappedPiecesWhenFileSpansSeveral() throws IOException {
        final Path path = temp.resolve("pieces.bin");
        final int[] tokens = new int[1000];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 37) & 0xFFFF;
        }
        TokenFile.write(path, tokens);

        // 16-byte pieces: 8 tokens each
        final TokenFile file = TokenFile.open(path, 4);
        final int[] read = new int[1000];
        file.read(0, read, 0, 1000);
        assertThat(read).containsExactly(tokens);
        final int[] middle = new int[21];
        file.read(5, middle, 0, 21);
        for (int i = 0; i < 21; i++) {
            assertThat(middle[i]).isEqualTo(tokens[5 + i]);
            assertThat(file.get(5 + i)).isEqualTo(tokens[5 + i]);
        }
    }

    @Test
    void shouldNameFileAndBothSizesWhenLengthDisagreesWithHeader() throws IOException {
        final Path path = temp.resolve("short.bin");
        TokenFile.write(path, new int[100]);
        final byte[] bytes = Files.readAllBytes(path);
        Files.write(path, java.util.Arrays.copyOf(bytes, bytes.length - 10));

        assertThatThrownBy(() -> TokenFile.open(path))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(path.toString())
            .hasMessageContaining("100 tokens")
            .hasMessageContaining("1224 bytes")
            .hasMessageContaining("1214 bytes");
    }

    @Test
    void shouldRefuseFileWhenVersionIsNotUint16() throws IOException {
        final Path path = temp.resolve("v2.bin");
        final ByteBuffer header = ByteBuffer.allocate(1024 + 8).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0, 20240520).putInt(4, 2).putInt(8, 2);
        Files.write(path, header.array());

        assertThatThrownBy(() -> TokenFile.open(path))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(path.toString())
            .hasMessageContaining("version 2");
    }

    @Test
    void shouldRefuseFileWhenHeaderIsTruncated() throws IOException {
        final Path path = temp.resolve("truncated.bin");
        Files.write(path, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 20240520).array());

        assertThatThrownBy(() -> TokenFile.open(path))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining("12 bytes")
            .hasMessageContaining("1024-byte header");
    }

    @Test
    void shouldRefuseRawFileWhenLengthIsOdd() throws IOException {
        final Path path = temp.resolve("odd.bin");
        Files.write(path, new byte[] {1, 0, 2});

        assertThatThrownBy(() -> TokenFile.open(path))
            .isInstanceOf(MalformedDataException.class)
            .hasMessageContaining(path.toString())
            .hasMessageContaining("3 bytes");
    }

    @Test
    void shouldOpenEmptyFileWhenItHasNoTokens() throws IOException {
        final Path raw = temp.resolve("empty.bin");
        Files.write(raw, new byte[0]);
        assertThat(TokenFile.open(raw).length()).isZero();
        final Path llmc = temp.resolve("empty-llmc.bin");
        TokenFile.write(llmc, new int[0]);
        assertThat(TokenFile.open(llmc).length()).isZero();
    }

    @Test
    void shouldRefuseTokenWhenItDoesNotFitUint16() throws IOException {
        final Path path = temp.resolve("big.bin");
        try (TokenFileWriter writer = TokenFileWriter.create(path)) {
            writer.write(1);
            assertThatThrownBy(() -> writer.write(65536))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65536")
                .hasMessageContaining("uint16");
            assertThatThrownBy(() -> writer.write(-1)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(listing()).isEmpty();
    }

    @Test
    void shouldLeaveNothingWhenClosedWithoutCommit() throws IOException {
        final Path path = temp.resolve("abandoned.bin");
        try (TokenFileWriter writer = TokenFileWriter.create(path)) {
            writer.write(new int[] {1, 2, 3}, 0, 3);
            assertThat(listing()).hasSize(1).allMatch(name -> name.startsWith("abandoned.bin.") && name.endsWith(".tmp"));
        }
        assertThat(listing()).isEmpty();
    }

    @Test
    void shouldReplaceWholeFileWhenCommittingOverAnOldOne() throws IOException {
        final Path path = temp.resolve("replaced.bin");
        TokenFile.write(path, new int[] {1, 2, 3});
        try (TokenFileWriter writer = TokenFileWriter.create(path)) {
            for (int i = 0; i < 100_000; i++) {
                writer.write(i & 0xFFFF);
            }
            // until the commit, readers still see the old file
            assertThat(TokenFile.open(path).length()).isEqualTo(3);
            assertThat(writer.commit()).isEqualTo(path.toAbsolutePath());
        }
        final TokenFile file = TokenFile.open(path);
        assertThat(file.length()).isEqualTo(100_000);
        assertThat(file.get(99_999)).isEqualTo(99_999 & 0xFFFF);
        assertThat(listing()).containsExactly("replaced.bin");
    }

    private Stream<String> listingStream() throws IOException {
        return Files.list(temp).map(p -> p.getFileName().toString());
    }

    private java.util.List<String> listing() throws IOException {
        try (Stream<String> names = listingStream()) {
            return names.toList();
        }
    }

    private static byte[] littleEndianShorts(final int... values) {
        final ByteBuffer buffer = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (final int value : values) {
            buffer.putShort((short)value);
        }
        return buffer.array();
    }
}
