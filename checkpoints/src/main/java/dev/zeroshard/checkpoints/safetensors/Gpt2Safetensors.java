package dev.zeroshard.checkpoints.safetensors;

import dev.zeroshard.sharding.layout.ParameterLayout;
import dev.zeroshard.sharding.layout.TensorRange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face GPT-2 checkpoints ⇄ a flat parameter buffer carved by a {@link ParameterLayout} whose tensor names
 * are the Hugging Face ones ({@code wte.weight}, {@code h.0.attn.c_attn.weight}, {@code ln_f.bias}). Conv1D weights
 * are (in, out) in both, so nothing is transposed.
 *
 * <p>Loading accepts what {@code save_pretrained} writes for {@code GPT2Model} and {@code GPT2LMHeadModel}: names
 * with or without the {@code transformer.} prefix; a tied {@code lm_head.weight}, which must have the shape of
 * {@code wte.weight} and the same values (it is not loaded: the head is tied); the causal-mask buffers older
 * checkpoints carry, {@code h.N.attn.bias} of shape (1, 1, n_positions, n_positions) and the scalar
 * {@code h.N.attn.masked_bias}, which are skipped. Anything else is refused: a missing tensor, a shape that differs
 * from the layout's, an unknown tensor, a dtype other than F32, F16 or BF16. Every check runs before the first value
 * is written, so a refused file leaves the buffer untouched.
 *
 * <p>Threading: stateless.
 */
public final class Gpt2Safetensors {
    /** The prefix {@code GPT2LMHeadModel.save_pretrained} puts before the base model's names. */
    public static final String BASE_MODEL_PREFIX = "transformer.";
    /** The language-model head, tied to {@code wte.weight}. */
    public static final String LM_HEAD = "lm_head.weight";
    /** The token embedding, (vocab, n_embd). */
    public static final String TOKEN_EMBEDDING = "wte.weight";
    /** The position embedding, (n_positions, n_embd). */
    public static final String POSITION_EMBEDDING = "wpe.weight";
    /** What Hugging Face's loader expects in {@code __metadata__}. */
    public static final Map<String, String> HF_METADATA = Map.of("format", "pt");

    private static final Pattern MASK_BUFFER = Pattern.compile("h\\.(\\d+)\\.attn\\.(bias|masked_bias)");
    private static final int COMPARE_CHUNK_ELEMENTS = 1 << 16;
    private static final int MAX_NAMES_IN_MESSAGE = 10;

    private Gpt2Safetensors() {
    }

    /**
     * Fills {@code flat[flatOffsetElements .. + layout.totalElements())} from a Hugging Face GPT-2 safetensors file,
     * converting F16 and BF16 to fp32.
     *
     * @throws SafetensorsException naming the file and the tensor when the file does not match the layout.
     */
    public static void load(final Path file, final ParameterLayout layout, final float[] flat,
                            final int flatOffsetElements) throws IOException {
        checkFlat(layout, flat, flatOffsetElements);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            final Map<String, TensorInfo> sources = matchNames(reader, layout);
            for (final TensorRange range : layout.tensors()) {
                final TensorInfo source = sources.get(range.name());
                if (!Arrays.equals(source.shape(), range.shape())) {
                    throw new SafetensorsException(file, source.name(), "shape " + Arrays.toString(source.shape())
                        + " in the file, " + Arrays.toString(range.shape()) + " in the layout");
                }
                checkConvertible(file, source);
            }
            if (reader.contains(LM_HEAD) && !layout.contains(LM_HEAD)) {
                checkTiedHead(reader, sources.get(TOKEN_EMBEDDING));
            }
            for (final TensorRange range : layout.tensors()) {
                reader.read(sources.get(range.name()).name(), flat,
                    flatOffsetElements + Math.toIntExact(range.offsetElements()));
            }
        }
    }

    /**
     * Writes every tensor of the layout, by its layout name (no prefix), in layout order, streaming from
     * {@code flat[flatOffsetElements ..]}. {@code metadata} is written after {@code "format": "pt"} (which it may
     * override), as Hugging Face's loader refuses a file with metadata but no format.
     */
    public static void save(final Path file, final ParameterLayout layout, final float[] flat,
                            final int flatOffsetElements, final Dtype dtype, final Map<String, String> metadata)
        throws IOException {
        checkFlat(layout, flat, flatOffsetElements);
        final List<TensorSpec> specs = new ArrayList<>(layout.tensors().size());
        for (final TensorRange range : layout.tensors()) {
            specs.add(new TensorSpec(range.name(), dtype, range.shape()));
        }
        final Map<String, String> fileMetadata = new LinkedHashMap<>(HF_METADATA);
        fileMetadata.putAll(metadata);
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, specs, fileMetadata)) {
            for (final TensorRange range : layout.tensors()) {
                writer.write(range.name(), flat, flatOffsetElements + Math.toIntExact(range.offsetElements()));
            }
            writer.commit();
        }
    }

    /** Layout name → the file's tensor for it; refuses duplicates, unknown tensors and missing ones. */
    private static Map<String, TensorInfo> matchNames(final SafetensorsReader reader, final ParameterLayout layout)
        throws SafetensorsException {
        final Path file = reader.file();
        final Map<String, TensorInfo> sources = new LinkedHashMap<>();
        final List<TensorInfo> unknown = new ArrayList<>();
        for (final TensorInfo tensor : reader.tensors()) {
            final String name = tensor.name().startsWith(BASE_MODEL_PREFIX)
                ? tensor.name().substring(BASE_MODEL_PREFIX.length()) : tensor.name();
            if (layout.contains(name)) {
                final TensorInfo previous = sources.put(name, tensor);
                if (previous != null) {
                    throw new SafetensorsException(file, name, "present twice, as '" + previous.name()
                        + "' and '" + tensor.name() + "'");
                }
            } else if (tensor.name().equals(LM_HEAD) && layout.contains(TOKEN_EMBEDDING)) {
                checkHeadShape(file, tensor, layout.tensor(TOKEN_EMBEDDING));
            } else if (!isMaskBuffer(name, tensor, layout)) {
                unknown.add(tensor);
            }
        }
        if (!unknown.isEmpty()) {
            throw new SafetensorsException(file, unknown.size() == 1 ? unknown.get(0).name() : null,
                unknown.size() + " tensors not in the layout: " + describe(unknown));
        }
        final List<TensorInfo> missing = new ArrayList<>();
        for (final TensorRange range : layout.tensors()) {
            if (!sources.containsKey(range.name())) {
                missing.add(new TensorInfo(range.name(), Dtype.F32, range.shape(), 0, 0));
            }
        }
        if (!missing.isEmpty()) {
            throw new SafetensorsException(file, missing.size() == 1 ? missing.get(0).name() : null,
                missing.size() + " layout tensors missing from the file: " + describe(missing));
        }
        return sources;
    }

    /**
     * A causal-mask buffer of a layer the layout has: {@code h.N.attn.bias} shaped (1, 1, T, T) with T the
     * layout's n_positions, or {@code h.N.attn.masked_bias} holding one value.
     */
    private static boolean isMaskBuffer(final String name, final TensorInfo tensor, final ParameterLayout layout) {
        final Matcher matcher = MASK_BUFFER.matcher(name);
        if (!matcher.matches() || !layout.contains("h." + matcher.group(1) + ".attn.c_attn.weight")) {
            return false;
        }
        final long[] shape = tensor.shape();
        if (matcher.group(2).equals("masked_bias")) {
            return shape.length == 0 || (shape.length == 1 && shape[0] == 1);
        }
        final boolean square = shape.length == 4 && shape[0] == 1 && shape[1] == 1 && shape[2] == shape[3]
            && shape[2] > 0;
        return square && (!layout.contains(POSITION_EMBEDDING)
            || layout.tensor(POSITION_EMBEDDING).shape()[0] == shape[2]);
    }

    private static void checkHeadShape(final Path file, final TensorInfo head, final TensorRange embedding)
        throws SafetensorsException {
        if (!Arrays.equals(head.shape(), embedding.shape())) {
            throw new SafetensorsException(file, head.name(), "shape " + Arrays.toString(head.shape())
                + " in the file, but the tied head must be (vocab, n_embd) = " + Arrays.toString(embedding.shape())
                + " like " + TOKEN_EMBEDDING);
        }
    }

    /** The head is tied to wte: a file whose head holds other values is an untied model we cannot represent. */
    private static void checkTiedHead(final SafetensorsReader reader, final TensorInfo embedding) throws IOException {
        final TensorInfo head = reader.tensor(LM_HEAD);
        checkConvertible(reader.file(), head);
        final long lengthElements = embedding.lengthElements();
        final long columns = embedding.shape()[1];
        final int chunkElements = (int) Math.min(COMPARE_CHUNK_ELEMENTS, lengthElements);
        final float[] headValues = new float[chunkElements];
        final float[] embeddingValues = new float[chunkElements];
        for (long first = 0; first < lengthElements; first += chunkElements) {
            final int count = (int) Math.min(chunkElements, lengthElements - first);
            reader.readRange(head.name(), first, count, headValues, 0);
            reader.readRange(embedding.name(), first, count, embeddingValues, 0);
            for (int i = 0; i < count; i++) {
                if (Float.floatToIntBits(headValues[i]) != Float.floatToIntBits(embeddingValues[i])) {
                    final long index = first + i;
                    throw new SafetensorsException(reader.file(), head.name(), "differs from " + embedding.name()
                        + " at [" + index / columns + ", " + index % columns + "] (" + headValues[i] + " vs "
                        + embeddingValues[i] + "): the head is not tied, and this model ties it");
                }
            }
        }
    }

    private static void checkConvertible(final Path file, final TensorInfo tensor) throws SafetensorsException {
        if (!tensor.dtype().isFloatConvertible()) {
            throw new SafetensorsException(file, tensor.name(), "dtype " + tensor.dtype()
                + " cannot be read as fp32 (F32, F16 or BF16 only)");
        }
    }

    private static void checkFlat(final ParameterLayout layout, final float[] flat, final int flatOffsetElements) {
        if (flatOffsetElements < 0 || flatOffsetElements + layout.totalElements() > flat.length) {
            throw new IndexOutOfBoundsException("layout of " + layout.totalElements()
                + " elements does not fit float[" + flat.length + "] at offset " + flatOffsetElements);
        }
    }

    /** "name[shape], ..." for at most {@link #MAX_NAMES_IN_MESSAGE} tensors, then how many more. */
    private static String describe(final List<TensorInfo> tensors) {
        final StringBuilder text = new StringBuilder();
        final int shown = Math.min(tensors.size(), MAX_NAMES_IN_MESSAGE);
        for (int i = 0; i < shown; i++) {
            text.append(i == 0 ? "" : ", ").append(tensors.get(i).name())
                .append(Arrays.toString(tensors.get(i).shape()));
        }
        if (tensors.size() > shown) {
            text.append(" and ").append(tensors.size() - shown).append(" more");
        }
        return text.toString();
    }
}
