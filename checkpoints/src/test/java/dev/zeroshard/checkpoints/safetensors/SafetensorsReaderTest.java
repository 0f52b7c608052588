package dev.zeroshard.checkpoints.safetensors;

import static dev.zeroshard.checkpoints.safetensors.RawSafetensors.bytes;
import static dev.zeroshard.checkpoints.safetensors.RawSafetensors.concat;
import static dev.zeroshard.checkpoints.safetensors.RawSafetensors.entry;
import static dev.zeroshard.checkpoints.safetensors.RawSafetensors.lengthField;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReaderTest {
    @TempDir
    Path dir;

    /**
     * Three tensors of three dtypes, listed in the header out of data order, header padded with spaces:
     * f32 (2) = [1.0, -2.5] at [0, 8), bf16 (2, 1) = [1.0, 0.5] at [8, 12), f16 () = 1.0 at [12, 14),
     * and an empty f32 (0, 3) at [14, 14).
     */
    private Path handWritten() throws IOException {
        final String header = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"h\\u00e9\"},"
            + entry("half", "F16", "[]", 12, 14) + ","
            + entry("brain", "BF16", "[2,1]", 8, 12) + ","
            + entry("empty", "F32", "[0,3]", 14, 14) + ","
            + entry("single", "F32", "[2]", 0, 8) + "}      ";
        final byte[] data = bytes(
            0x00, 0x00, 0x80, 0x3f, /* 1.0f */ 0x00, 0x00, 0x20, 0xc0, /* -2.5f */
            0x80, 0x3f, /* bf16 1.0 */ 0x00, 0x3f, /* bf16 0.5 */
            0x00, 0x3c /* f16 1.0 */);
        return RawSafetensors.write(dir.resolve("hand.safetensors"), header, data);
    }

    @Test
    void shouldReadEveryDtypeWhenFileIsWrittenByHandFromTheSpec() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(handWritten())) {
            assertThat(reader.tensors()).extracting(TensorInfo::name)
                .containsExactly("single", "brain", "half", "empty");
            assertThat(reader.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("note", "hé"));
            assertThat(reader.tensor("brain")).isEqualTo(new TensorInfo("brain", Dtype.BF16, new long[] {2, 1}, 8, 12));
            assertThat(reader.tensor("half").shape()).isEmpty();
            assertThat(reader.tensor("half").lengthElements()).isEqualTo(1);
            assertThat(reader.tensor("empty").lengthElements()).isZero();

            final float[] dst = new float[7];
            reader.read("single", dst, 1);
            reader.read("brain", dst, 3);
            reader.read("half", dst, 5);
            reader.read("empty", dst, 7);
            assertThat(dst).containsExactly(0f, 1.0f, -2.5f, 1.0f, 0.5f, 1.0f, 0f);

            final float[] one = new float[1];
            reader.readRange("single", 1, 1, one, 0);
            assertThat(one).containsExactly(-2.5f);
            assertThatThrownBy(() -> reader.readRange("single", 1, 2, new float[2], 0))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("tensor single has 2 elements; asked for 2 from element 1");
            assertThatThrownBy(() -> reader.read("single", new float[2], 1))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("do not fit float[2] at offset 1");
        }
    }

    @Test
    void shouldListButRefuseToConvertWhenDtypeIsNotAFloat() throws IOException {
        final Path file = RawSafetensors.write(dir.resolve("ints.safetensors"),
            "{" + entry("ids", "I64", "[1]", 0, 8) + "}", bytes(1, 0, 0, 0, 0, 0, 0, 0));
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.tensor("ids").dtype()).isEqualTo(Dtype.I64);
            assertThatThrownBy(() -> reader.read("ids", new float[1], 0))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("'ids'")
                .hasMessageContaining("dtype I64 cannot be read as fp32");
            assertThatThrownBy(() -> reader.read("nope", new float[1], 0))
                .hasMessageContaining("'nope'").hasMessageContaining("no such tensor");
        }
    }

    @Test
    void shouldAcceptAFileWithOnlyMetadataWhenThereAreNoTensors() throws IOException {
        final Path file = RawSafetensors.write(dir.resolve("empty.safetensors"), "{}      ", new byte[0]);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.tensors()).isEmpty();
            assertThat(reader.metadata()).isEmpty();
        }
    }

    @Test
    void shouldRefuseWhenFileIsShorterThanTheLengthField() throws IOException {
        final Path file = RawSafetensors.writeBytes(dir.resolve("short"), bytes(2, 0, 0));
        assertRefused(file).hasMessageContaining("file has 3 bytes, fewer than the 8-byte header length");
    }

    @Test
    void shouldRefuseWhenHeaderLengthExceedsTheLimit() throws IOException {
        final Path file = RawSafetensors.writeBytes(dir.resolve("huge"),
            concat(lengthField(100_000_001L), "{}".getBytes(StandardCharsets.UTF_8)));
        assertRefused(file).hasMessageContaining("header length 100000001 exceeds the limit of 100000000 bytes");
        final Path unsigned = RawSafetensors.writeBytes(dir.resolve("u64"), concat(lengthField(-1L), bytes('{')));
        assertRefused(unsigned).hasMessageContaining("header length 18446744073709551615 exceeds the limit");
    }

    @Test
    void shouldRefuseWhenFileIsTruncatedBelowItsHeader() throws IOException {
        final byte[] whole = concat(lengthField(40), ("{" + entry("a", "F32", "[1]", 0, 4) + "}")
            .getBytes(StandardCharsets.UTF_8));
        final Path file = RawSafetensors.writeBytes(dir.resolve("cut"), java.util.Arrays.copyOf(whole, 30));
        assertRefused(file).hasMessageContaining("truncated below its header: header length 40 needs 48 bytes, "
            + "the file has 30");
    }

    @Test
    void shouldRefuseWhenHeaderLengthIsTooSmallForJson() throws IOException {
        final Path file = RawSafetensors.writeBytes(dir.resolve("zero"), concat(lengthField(0), bytes('{', '}')));
        assertRefused(file).hasMessageContaining("header length 0 is too short");
    }

    @Test
    void shouldRefuseWhenHeaderIsNotJson() throws IOException {
        assertHeaderRefused(" {}", new byte[0], "header does not start with '{'");
        assertHeaderRefused("{\"a\":", new byte[0], "header is not valid JSON");
        assertHeaderRefused("{} x", new byte[0], "header is not valid JSON");
        assertHeaderRefused("{} {}", new byte[0], "content after its closing '}'");
        assertHeaderRefused("{'a':1}", new byte[0], "header is not valid JSON");
        final Path file = RawSafetensors.writeBytes(dir.resolve("latin1"),
            concat(lengthField(8), bytes('{', '"', 0xe9, '"', ':', '1', '}', ' ')));
        assertRefused(file).hasMessageContaining("header is not valid UTF-8");
    }

    @Test
    void shouldRefuseWhenKeysAreDuplicated() throws IOException {
        assertHeaderRefused("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("a", "F32", "[1]", 4, 8) + "}",
            new byte[8], "Duplicate field 'a'");
        assertHeaderRefused("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            new byte[4], "Duplicate field 'dtype'");
    }

    @Test
    void shouldRefuseNamingTheTensorWhenAKeyIsMissing() throws IOException {
        assertHeaderRefused("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4],
            "tensor 'a': missing key 'shape'");
        assertHeaderRefused("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4],
            "tensor 'a': missing key 'dtype'");
        assertHeaderRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4],
            "tensor 'a': missing key 'data_offsets'");
        assertHeaderRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"offsets\":[0,4]}}", new byte[4],
            "tensor 'a': unknown key 'offsets'");
    }

    @Test
    void shouldRefuseNamingTheTensorWhenAValueHasTheWrongType() throws IOException {
        assertHeaderRefused("{\"a\":[1]}", new byte[0], "tensor 'a': expected START_OBJECT for its entry, "
            + "found START_ARRAY");
        assertHeaderRefused("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4],
            "tensor 'a': dtype must be a string, found VALUE_NUMBER_INT");
        assertHeaderRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", new byte[4],
            "tensor 'a': shape must be an array of integers, found VALUE_STRING");
        assertHeaderRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", new byte[4],
            "tensor 'a': shape must hold integers only, found VALUE_NUMBER_FLOAT '1.0'");
        assertHeaderRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4],
            "tensor 'a': shape value -1 is negative");
        assertHeaderRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", new byte[4],
            "tensor 'a': data_offsets must hold 2 numbers [begin, end], found 3");
        assertHeaderRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}",
            new byte[4], "tensor 'a': data_offsets value 99999999999999999999 is too large");
        assertHeaderRefused("{\"__metadata__\":{\"format\":1}}", new byte[0],
            "__metadata__ value of 'format' must be a string, found VALUE_NUMBER_INT");
        assertHeaderRefused("{\"__metadata__\":[]}", new byte[0], "expected START_OBJECT for __metadata__");
    }

    @Test
    void shouldRefuseNamingTheTensorWhenDtypeIsUnknown() throws IOException {
        assertHeaderRefused("{" + entry("a", "F12", "[1]", 0, 4) + "}", new byte[4],
            "tensor 'a': unknown dtype 'F12'");
    }

    @Test
    void shouldRefuseNamingTheTensorWhenOffsetsRunBackwards() throws IOException {
        assertHeaderRefused("{" + entry("a", "F32", "[0]", 4, 0) + "}", new byte[4],
            "tensor 'a': data_offsets [4, 0] run backwards");
    }

    @Test
    void shouldRefuseNamingTheTensorWhenByteLengthDisagreesWithDtypeAndShape() throws IOException {
        assertHeaderRefused("{" + entry("a", "F32", "[2,2]", 0, 8) + "}", new byte[8],
            "tensor 'a': data_offsets [0, 8] hold 8 bytes but dtype F32 x shape [2, 2] needs 16");
        assertHeaderRefused("{" + entry("a", "F32", "[4294967296,4294967296]", 0, 8) + "}", new byte[8],
            "tensor 'a': shape [4294967296, 4294967296] overflows");
    }

    @Test
    void shouldRefuseNamingBothTensorsWhenOffsetsOverlap() throws IOException {
        assertHeaderRefused("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}",
            new byte[12], "tensor 'b': data_offsets [4, 12] overlap tensor 'a' at [0, 8]");
        assertHeaderRefused("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 0, 8) + "}",
            new byte[8], "overlap tensor 'a' at [0, 8]");
    }

    @Test
    void shouldRefuseNamingTheTensorWhenOffsetsLeaveAGap() throws IOException {
        assertHeaderRefused("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 8, 12) + "}",
            new byte[12], "tensor 'b': data_offsets [8, 12] leave a gap of 4 bytes after tensor 'a' ending at 4");
        assertHeaderRefused("{" + entry("a", "F32", "[1]", 4, 8) + "}", new byte[8],
            "tensor 'a': data_offsets [4, 8] leave a gap of 4 bytes after the start of the data section");
        assertHeaderRefused("{" + entry("a", "F32", "[1]", 0, 4) + "}", new byte[6],
            "2 bytes after the last tensor 'a' ending at 4 belong to no tensor");
        assertHeaderRefused("{}", new byte[2], "2 bytes after the header (no tensors) belong to no tensor");
    }

    @Test
    void shouldRefuseNamingTheTensorWhenOffsetsExceedTheFile() throws IOException {
        assertHeaderRefused("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[2]", 4, 12) + "}",
            new byte[10], "tensor 'b': data_offsets [4, 12] exceed the data section of 10 bytes (file truncated?)");
    }

    private void assertHeaderRefused(final String header, final byte[] data, final String problem)
        throws IOException {
        final Path file = RawSafetensors.write(dir.resolve("bad.safetensors"), header, data);
        assertRefused(file).hasMessageContaining(problem);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(final Path file) {
        return assertThatThrownBy(() -> SafetensorsReader.open(file).close())
            .isInstanceOf(SafetensorsException.class)
            .hasMessageStartingWith("safetensors file " + file);
    }
}
