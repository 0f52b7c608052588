package dev.zeroshard.checkpoints.safetensors;

import dev.zeroshard.sharding.numeric.Bf16;
import static dev.zeroshard.checkpoints.safetensors.RawSafetensors.bytes;
import static dev.zeroshard.checkpoints.safetensors.RawSafetensors.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zeroshard.sharding.layout.ParameterLayout;
import dev.zeroshard.sharding.layout.TensorRange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2SafetensorsTest {
    private static final int VOCAB = 11;
    private static final int POSITIONS = 6;
    private static final int CHANNELS = 4;
    private static final int LAYERS = 2;
    private static final String[] BLOCK = {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
        "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
        "mlp.c_proj.weight", "mlp.c_proj.bias"};

    @TempDir
    Path dir;

    private final ParameterLayout layout = gpt2Layout();
    private final float[] flat = randomFlat(layout);

    /** The GPT-2 layout with Hugging Face names and Conv1D (in, out) weights, as the worker builds it. */
    static ParameterLayout gpt2Layout() {
        final long c = CHANNELS;
        final ParameterLayout.Builder builder = ParameterLayout.builder()
            .add("wte.weight", VOCAB, c)
            .add("wpe.weight", POSITIONS, c);
        for (int layer = 0; layer < LAYERS; layer++) {
            final String h = "h." + layer + ".";
            builder.add(h + "ln_1.weight", c).add(h + "ln_1.bias", c)
                .add(h + "attn.c_attn.weight", c, 3 * c).add(h + "attn.c_attn.bias", 3 * c)
                .add(h + "attn.c_proj.weight", c, c).add(h + "attn.c_proj.bias", c)
                .add(h + "ln_2.weight", c).add(h + "ln_2.bias", c)
                .add(h + "mlp.c_fc.weight", c, 4 * c).add(h + "mlp.c_fc.bias", 4 * c)
                .add(h + "mlp.c_proj.weight", 4 * c, c).add(h + "mlp.c_proj.bias", c);
        }
        return builder.add("ln_f.weight", c).add("ln_f.bias", c).build();
    }

    @Test
    void shouldRoundTripEveryTensorWhenSavingAndLoadingF32() throws IOException {
        final Path file = dir.resolve("model.safetensors");
        Gpt2Safetensors.save(file, layout, flat, 0, Dtype.F32, Map.of("step", "5"));

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.tensors()).extracting(TensorInfo::name)
                .containsExactlyElementsOf(layout.tensors().stream().map(TensorRange::name).toList());
            assertThat(reader.metadata()).isEqualTo(Map.of("format", "pt", "step", "5"));
            assertThat(reader.tensor("h.1.mlp.c_fc.weight").shape()).containsExactly(CHANNELS, 4 * CHANNELS);
        }
        final float[] loaded = new float[(int) layout.totalElements() + 5];
        Gpt2Safetensors.load(file, layout, loaded, 3);
        assertThat(Arrays.copyOfRange(loaded, 3, 3 + flat.length)).containsExactly(flat);
        assertThat(loaded[0]).isZero();
        assertThat(loaded[loaded.length - 1]).isZero();
    }

    @Test
    void shouldRoundToTheFileDtypeWhenSavingBf16AndF16() throws IOException {
        for (final Dtype dtype : List.of(Dtype.BF16, Dtype.F16)) {
            final Path file = dir.resolve(dtype + ".safetensors");
            Gpt2Safetensors.save(file, layout, flat, 0, dtype, Map.of());
            final float[] loaded = new float[flat.length];
            Gpt2Safetensors.load(file, layout, loaded, 0);
            final UnaryOperator<Float> round = dtype == Dtype.BF16 ? Bf16::round : Fp16::round;
            for (int i = 0; i < flat.length; i++) {
                assertThat(loaded[i]).as("%s element %d", dtype, i).isEqualTo(round.apply(flat[i]));
            }
        }
    }

    @Test
    void shouldLoadWhenNamesCarryTheTransformerPrefixAndTheFileHasATiedHeadAndMaskBuffers() throws IOException {
        final List<Tensor> tensors = new ArrayList<>(layoutTensors("transformer."));
        tensors.add(new Tensor("lm_head.weight", values("wte.weight"), VOCAB, CHANNELS));
        for (int layer = 0; layer < LAYERS; layer++) {
            tensors.add(new Tensor("transformer.h." + layer + ".attn.bias", mask(), 1, 1, POSITIONS, POSITIONS));
            tensors.add(new Tensor("transformer.h." + layer + ".attn.masked_bias", new float[] {-1e4f}));
        }
        final Path file = writeFile(reversed(tensors));

        final float[] loaded = new float[flat.length];
        Gpt2Safetensors.load(file, layout, loaded, 0);
        assertThat(loaded).containsExactly(flat);
    }

    @Test
    void shouldLoadWhenMaskBuffersCarryNoPrefixAsOlderCheckpointsDo() throws IOException {
        final List<Tensor> tensors = new ArrayList<>(layoutTensors(""));
        tensors.add(new Tensor("h.1.attn.bias", mask(), 1, 1, POSITIONS, POSITIONS));
        tensors.add(new Tensor("h.1.attn.masked_bias", new float[] {-1e4f}, 1));
        final float[] loaded = new float[flat.length];
        Gpt2Safetensors.load(writeFile(tensors), layout, loaded, 0);
        assertThat(loaded).containsExactly(flat);
    }

    @Test
    void shouldRefuseNamingTheTensorAndBothShapesWhenAShapeDiffersFromTheLayout() throws IOException {
        final List<Tensor> tensors = new ArrayList<>(layoutTensors("transformer."));
        final int qkv = indexOf(tensors, "transformer.h.0.attn.c_attn.weight");
        tensors.set(qkv, new Tensor(tensors.get(qkv).name(), tensors.get(qkv).values(), 3 * CHANNELS, CHANNELS));
        assertRefusedLeavingFlatUntouched(writeFile(tensors))
            .hasMessageContaining("tensor 'transformer.h.0.attn.c_attn.weight': shape [12, 4] in the file, "
                + "[4, 12] in the layout");
    }

    @Test
    void shouldRefuseNamingItWhenALayoutTensorIsMissing() throws IOException {
        final List<Tensor> tensors = new ArrayList<>(layoutTensors(""));
        tensors.remove(indexOf(tensors, "h.1.mlp.c_fc.bias"));
        assertRefusedLeavingFlatUntouched(writeFile(tensors))
            .hasMessageContaining("tensor 'h.1.mlp.c_fc.bias': 1 layout tensors missing from the file: "
                + "h.1.mlp.c_fc.bias[16]");
    }

    @Test
    void shouldRefuseNamingThemWhenTheFileHasUnknownTensors() throws IOException {
        final List<Tensor> tensors = new ArrayList<>(layoutTensors(""));
        tensors.add(new Tensor("h.0.attn.rotary.weight", new float[CHANNELS], CHANNELS));
        tensors.add(new Tensor("score.weight", new float[CHANNELS], CHANNELS));
        assertRefusedLeavingFlatUntouched(writeFile(tensors))
            .hasMessageContaining("2 tensors not in the layout: h.0.attn.rotary.weight[4], score.weight[4]");
    }

    @Test
    void shouldRefuseMaskBuffersWhenTheirShapesDoNotLookLikeMasks() throws IOException {
        assertRefusedWithExtra(new Tensor("h.0.attn.bias", new float[25], 1, 1, 5, 5),
            "tensor 'h.0.attn.bias': 1 tensors not in the layout: h.0.attn.bias[1, 1, 5, 5]");
        assertRefusedWithExtra(new Tensor("h.0.attn.bias", mask(), POSITIONS, POSITIONS),
            "h.0.attn.bias[6, 6]");
        assertRefusedWithExtra(new Tensor("h.7.attn.bias", mask(), 1, 1, POSITIONS, POSITIONS),
            "h.7.attn.bias[1, 1, 6, 6]");
        assertRefusedWithExtra(new Tensor("transformer.h.0.attn.masked_bias", new float[2], 2),
            "transformer.h.0.attn.masked_bias[2]");
    }

    @Test
    void shouldRefuseTheHeadWhenItsShapeIsNotVocabByChannels() throws IOException {
        assertRefusedWithExtra(new Tensor("lm_head.weight", new float[VOCAB * (CHANNELS + 1)], VOCAB, CHANNELS + 1),
            "tensor 'lm_head.weight': shape [11, 5] in the file, but the tied head must be (vocab, n_embd) = [11, 4]");
    }

    @Test
    void shouldRefuseTheHeadWhenItsValuesDifferFromTheTokenEmbedding() throws IOException {
        final float[] head = values("wte.weight");
        head[2 * CHANNELS + 3] += 1.0f;
        assertRefusedWithExtra(new Tensor("lm_head.weight", head, VOCAB, CHANNELS),
            "tensor 'lm_head.weight': differs from wte.weight at [2, 3]");
    }

    @Test
    void shouldRefuseWhenATensorIsPresentWithAndWithoutThePrefix() throws IOException {
        assertRefusedWithExtra(new Tensor("transformer.ln_f.bias", values("ln_f.bias"), CHANNELS),
            "tensor 'ln_f.bias': present twice, as 'ln_f.bias' and 'transformer.ln_f.bias'");
    }

    @Test
    void shouldRefuseNamingTheTensorWhenItsDtypeIsNotAFloat() throws IOException {
        final ParameterLayout one = ParameterLayout.builder().add("ln_f.bias", 1).build();
        final Path file = RawSafetensors.write(dir.resolve("ints.safetensors"),
            "{" + entry("ln_f.bias", "I64", "[1]", 0, 8) + "}", bytes(1, 0, 0, 0, 0, 0, 0, 0));
        assertThatThrownBy(() -> Gpt2Safetensors.load(file, one, new float[1], 0))
            .isInstanceOf(SafetensorsException.class)
            .hasMessage("safetensors file " + file + ", tensor 'ln_f.bias': dtype I64 cannot be read as fp32 "
                + "(F32, F16 or BF16 only)");
    }

    @Test
    void shouldRefuseWhenTheFlatBufferIsTooSmall() {
        assertThatThrownBy(() -> Gpt2Safetensors.load(dir.resolve("never-opened"), layout,
            new float[flat.length], 1))
            .isInstanceOf(IndexOutOfBoundsException.class)
            .hasMessageContaining("layout of " + flat.length + " elements does not fit float[" + flat.length
                + "] at offset 1");
    }

    private void assertRefusedWithExtra(final Tensor extra, final String problem) throws IOException {
        final List<Tensor> tensors = new ArrayList<>(layoutTensors(""));
        tensors.add(extra);
        assertRefusedLeavingFlatUntouched(writeFile(tensors)).hasMessageContaining(problem);
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertRefusedLeavingFlatUntouched(final Path file) {
        final float[] target = new float[flat.length];
        Arrays.fill(target, 7f);
        final AbstractThrowableAssert<?, ? extends Throwable> refusal =
            assertThatThrownBy(() -> Gpt2Safetensors.load(file, layout, target, 0))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageStartingWith("safetensors file " + file);
        for (final float value : target) {
            assertThat(value).isEqualTo(7f);
        }
        return refusal;
    }

    private record Tensor(String name, float[] values, long... shape) {
    }

    private List<Tensor> layoutTensors(final String prefix) {
        final List<Tensor> tensors = new ArrayList<>();
        for (final TensorRange range : layout.tensors()) {
            tensors.add(new Tensor(prefix + range.name(), values(range.name()), range.shape()));
        }
        return tensors;
    }

    private float[] values(final String name) {
        final TensorRange range = layout.tensor(name);
        return Arrays.copyOfRange(flat, (int) range.offsetElements(), (int) range.endElements());
    }

    private Path writeFile(final List<Tensor> tensors) throws IOException {
        final Path file = dir.resolve("hf-" + tensors.size() + "-" + System.nanoTime() + ".safetensors");
        final List<TensorSpec> specs = new ArrayList<>();
        for (final Tensor tensor : tensors) {
            specs.add(new TensorSpec(tensor.name(), Dtype.F32, tensor.shape()));
        }
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            for (final Tensor tensor : tensors) {
                writer.write(tensor.name(), tensor.values(), 0);
            }
            writer.commit();
        }
        return file;
    }

    private static float[] mask() {
        final float[] mask = new float[POSITIONS * POSITIONS];
        for (int row = 0; row < POSITIONS; row++) {
            for (int col = 0; col <= row; col++) {
                mask[row * POSITIONS + col] = 1f;
            }
        }
        return mask;
    }

    private static int indexOf(final List<Tensor> tensors, final String name) {
        for (int i = 0; i < tensors.size(); i++) {
            if (tensors.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException(name);
    }

    private static List<Tensor> reversed(final List<Tensor> tensors) {
        final List<Tensor> copy = new ArrayList<>(tensors);
        java.util.Collections.reverse(copy);
        return copy;
    }

    private static float[] randomFlat(final ParameterLayout layout) {
        final SplittableRandom random = new SplittableRandom(17);
        final float[] values = new float[(int) layout.totalElements()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
