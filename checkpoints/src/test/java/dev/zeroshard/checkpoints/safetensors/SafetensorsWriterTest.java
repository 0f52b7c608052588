package dev.zeroshard.checkpoints.safetensors;

import dev.zeroshard.sharding.numeric.Bf16;
import static dev.zeroshard.checkpoints.safetensors.RawSafetensors.bytes;
import static dev.zeroshard.checkpoints.safetensors.RawSafetensors.concat;
import static dev.zeroshard.checkpoints.safetensors.RawSafetensors.lengthField;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    @Test
    void shouldWriteExactlyTheSpecBytesWhenGivenOneTensorAndMetadata() throws IOException {
        final Path file = dir.resolve("one.safetensors");
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, List.of(TensorSpec.of("a", Dtype.F32, 2)),
            Map.of("format", "pt"))) {
            writer.write("a", new float[] {1.0f, -2.0f}, 0);
            writer.commit();
        }
        // 85 bytes of JSON padded with 3 spaces to 88, so the data starts at byte 96, a multiple of 8
        final String header = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}   ";
        assertThat(Files.readAllBytes(file)).containsExactly(concat(lengthField(88),
            header.getBytes(StandardCharsets.US_ASCII), bytes(0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0)));
    }

    @Test
    void shouldWriteTheSameBytesWhateverOrderTheMetadataComesIn() throws IOException {
        final Map<String, String> forward = new java.util.LinkedHashMap<>();
        forward.put("step", "200");
        forward.put("producer", "zeroshard");
        forward.put("format", "pt");
        final Map<String, String> backward = new java.util.LinkedHashMap<>();
        backward.put("format", "pt");
        backward.put("producer", "zeroshard");
        backward.put("step", "200");
        final byte[][] files = new byte[2][];
        int k = 0;
        for (final Map<String, String> metadata : List.of(forward, backward)) {
            final Path file = dir.resolve("m" + k + ".safetensors");
            try (SafetensorsWriter writer = SafetensorsWriter.create(file, List.of(TensorSpec.of("a", Dtype.F32, 1)),
                metadata)) {
                writer.write("a", new float[] {3.0f}, 0);
                writer.commit();
            }
            files[k++] = Files.readAllBytes(file);
        }
        assertThat(files[0]).as("exports of equal weights compare byte for byte").isEqualTo(files[1]);
        assertThat(new String(files[0], StandardCharsets.US_ASCII))
            .contains("{\"format\":\"pt\",\"producer\":\"zeroshard\",\"step\":\"200\"}");
    }

    @Test
    void shouldProduceTheReferenceImplementationsBytesWhenWritingTheCasesItsTestsPin() throws IOException {
        // huggingface/safetensors pins these outputs in its Rust tests: the header padded with spaces to a
        // multiple of 8 (none needed at 64 bytes, 7 at 65, 5 at 35), then the packed little-endian data.
        final byte[] zeroToFive = bytes(0, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40,
            0, 0, 0x80, 0x40, 0, 0, 0xa0, 0x40);
        final float[] values = {0f, 1f, 2f, 3f, 4f, 5f};
        assertThat(writeOne("attn.0", values, Map.of(), 1, 2, 3)).containsExactly(concat(lengthField(64),
            ascii("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}"), zeroToFive));
        assertThat(writeOne("attn0", values, Map.of(), 1, 1, 2, 3)).containsExactly(concat(lengthField(72),
            ascii("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       "),
            zeroToFive));
        assertThat(writeNone(Map.of())).containsExactly(concat(lengthField(8), ascii("{}      ")));
        assertThat(writeNone(Map.of("framework", "pt"))).containsExactly(concat(lengthField(40),
            ascii("{\"__metadata__\":{\"framework\":\"pt\"}}     ")));
    }

    private byte[] writeOne(final String name, final float[] values, final Map<String, String> metadata,
                            final long... shape) throws IOException {
        final Path file = dir.resolve(name + ".safetensors");
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, List.of(new TensorSpec(name, Dtype.F32, shape)),
            metadata)) {
            writer.write(name, values, 0);
            writer.commit();
        }
        return Files.readAllBytes(file);
    }

    private byte[] writeNone(final Map<String, String> metadata) throws IOException {
        final Path file = dir.resolve("none.safetensors");
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, List.of(), metadata)) {
            writer.commit();
        }
        return Files.readAllBytes(file);
    }

    private static byte[] ascii(final String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void shouldRoundTripValuesShapesAndMetadataWhenWritingEachDtype() throws IOException {
        final SplittableRandom random = new SplittableRandom(3);
        final float[] values = new float[64];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * 100;
        }
        values[0] = Float.NaN;
        values[1] = Float.NEGATIVE_INFINITY;
        values[2] = -0.0f;
        values[3] = 1e-6f;
        final Path file = dir.resolve("all.safetensors");
        final List<TensorSpec> specs = List.of(
            TensorSpec.of("w32", Dtype.F32, 4, 16),
            TensorSpec.of("scalar", Dtype.F32),
            TensorSpec.of("empty", Dtype.F32, 0, 5),
            TensorSpec.of("wbf", Dtype.BF16, 2, 4, 8),
            TensorSpec.of("w16", Dtype.F16, 64));
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, specs,
            Map.of("format", "pt", "step", "12"))) {
            writer.write("w32", values, 0);
            writer.write("scalar", new float[] {0f, 42.5f}, 1);
            writer.write("empty", new float[0], 0);
            writer.write("wbf", values, 0);
            writer.write("w16", values, 0);
            writer.commit();
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.metadata()).isEqualTo(Map.of("format", "pt", "step", "12"));
            assertThat(reader.tensors()).extracting(TensorInfo::name)
                .containsExactly("w32", "scalar", "empty", "wbf", "w16");
            assertThat(reader.tensor("wbf").shape()).containsExactly(2, 4, 8);
            assertThat(reader.tensor("scalar").shape()).isEmpty();
            assertThat(reader.tensor("empty").shape()).containsExactly(0, 5);
            assertThat(reader.tensor("w16").dtype()).isEqualTo(Dtype.F16);

            final float[] read = new float[64];
            reader.read("w32", read, 0);
            assertSameBits(read, values, v -> v);
            reader.read("wbf", read, 0);
            assertSameBits(read, values, Bf16::round);
            reader.read("w16", read, 0);
            assertSameBits(read, values, Fp16::round);
            reader.read("scalar", read, 0);
            assertThat(read[0]).isEqualTo(42.5f);
        }
    }

    @Test
    void shouldAcceptPiecesAcrossTheInternalChunkWhenStreamingOneLargeTensor() throws IOException {
        final int length = 300_001; // more than one 1 MiB chunk of F32
        final float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = i * 0.25f;
        }
        final Path file = dir.resolve("large.safetensors");
        try (SafetensorsWriter writer = SafetensorsWriter.create(file,
            List.of(TensorSpec.of("big", Dtype.F32, length), TensorSpec.of("big16", Dtype.BF16, length)), Map.of())) {
            for (int from = 0; from < length; from += 100_003) {
                writer.append(values, from, Math.min(100_003, length - from));
            }
            writer.write("big16", values, 0);
            writer.commit();
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            final float[] read = new float[length];
            reader.read("big", read, 0);
            assertSameBits(read, values, v -> v);
            reader.read("big16", read, 0);
            assertSameBits(read, values, Bf16::round);
            assertThat(reader.metadata()).isEmpty();
        }
    }

    @Test
    void shouldRefuseWhenTensorsAreWrittenOutOfOrderOrOverfilled() throws IOException {
        final Path file = dir.resolve("order.safetensors");
        try (SafetensorsWriter writer = SafetensorsWriter.create(file,
            List.of(TensorSpec.of("a", Dtype.F32, 2), TensorSpec.of("b", Dtype.F32, 2)), Map.of())) {
            assertThatThrownBy(() -> writer.write("b", new float[2], 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tensor b written out of order: the next is a with 0 of 2 elements written");
            writer.append(new float[1], 0, 1);
            assertThatThrownBy(() -> writer.append(new float[2], 0, 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tensor a: 2 elements appended where 1 remain");
            assertThatThrownBy(writer::commit)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("before tensor a is complete (1 of 2 elements) and 1 tensors after it");
        }
        assertThat(listing()).isEmpty();
    }

    @Test
    void shouldRefuseDeclarationsWhenNamesRepeatOrDataWouldBeMisaligned() {
        final Path file = dir.resolve("bad.safetensors");
        assertThatThrownBy(() -> SafetensorsWriter.create(file,
            List.of(TensorSpec.of("a", Dtype.F32, 1), TensorSpec.of("a", Dtype.F32, 1)), Map.of()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tensor a declared twice");
        assertThatThrownBy(() -> SafetensorsWriter.create(file,
            List.of(TensorSpec.of("odd", Dtype.BF16, 3), TensorSpec.of("f", Dtype.F32, 1)), Map.of()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("tensor f (F32) would start at byte 6, not a multiple of its element size 4");
        assertThatThrownBy(() -> TensorSpec.of("__metadata__", Dtype.F32, 1))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TensorSpec.of("ids", Dtype.I64, 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be written from fp32");
        assertThat(listing()).isEmpty();
    }

    @Test
    void shouldLeaveNeitherTargetNorPartialFileWhenTheWriterFailsMidway() throws IOException {
        final Path file = dir.resolve("model.safetensors");
        final List<TensorSpec> specs = List.of(TensorSpec.of("a", Dtype.F32, 1000), TensorSpec.of("b", Dtype.F32, 10));
        final IllegalStateException failure = new IllegalStateException("producer died");
        assertThatThrownBy(() -> {
            try (SafetensorsWriter writer = SafetensorsWriter.create(file, specs, Map.of())) {
                writer.write("a", new float[1000], 0);
                assertThat(Files.exists(writer.temporaryFile())).isTrue();
                assertThat(writer.temporaryFile().getParent()).isEqualTo(dir.toAbsolutePath());
                assertThat(Files.exists(file)).isFalse();
                throw failure;
            }
        }).isSameAs(failure);
        assertThat(listing()).isEmpty();
    }

    @Test
    void shouldKeepTheOldTargetWhenAReplacingWriteFailsAndReplaceItWhenOneCommits() throws IOException {
        final Path file = dir.resolve("model.safetensors");
        write(file, 1.0f);
        final List<TensorSpec> specs = List.of(TensorSpec.of("x", Dtype.F32, 1));
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, specs, Map.of())) {
            writer.append(new float[] {7f}, 0, 1);
            // abandoned without commit
        }
        assertThat(listing()).containsExactly("model.safetensors");
        assertThat(readX(file)).isEqualTo(1.0f);

        write(file, 2.0f);
        assertThat(listing()).containsExactly("model.safetensors");
        assertThat(readX(file)).isEqualTo(2.0f);
    }

    @Test
    void shouldRefuseUseWhenCommittedOrClosed() throws IOException {
        final Path file = dir.resolve("done.safetensors");
        final SafetensorsWriter writer = SafetensorsWriter.create(file, List.of(TensorSpec.of("x", Dtype.F32, 1)),
            Map.of());
        writer.write("x", new float[] {3f}, 0);
        writer.commit();
        assertThat(Files.exists(writer.temporaryFile())).isFalse();
        assertThatThrownBy(() -> writer.append(new float[1], 0, 1)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("is committed");
        writer.close();
        writer.close();
        assertThat(readX(file)).isEqualTo(3f);
    }

    private static void write(final Path file, final float x) throws IOException {
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, List.of(TensorSpec.of("x", Dtype.F32, 1)),
            Map.of())) {
            writer.write("x", new float[] {x}, 0);
            writer.commit();
        }
    }

    private static float readX(final Path file) throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            final float[] x = new float[1];
            reader.read("x", x, 0);
            return x[0];
        }
    }

    private List<String> listing() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(path -> path.getFileName().toString()).sorted().toList();
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertSameBits(final float[] actual, final float[] values,
                                       final java.util.function.UnaryOperator<Float> expected) {
        for (int i = 0; i < values.length; i++) {
            final int expectedBits = Float.floatToIntBits(expected.apply(values[i]));
            if (Float.floatToIntBits(actual[i]) != expectedBits) {
                assertThat(actual[i]).as("element %d", i).isEqualTo(Float.intBitsToFloat(expectedBits));
            }
        }
    }
}
