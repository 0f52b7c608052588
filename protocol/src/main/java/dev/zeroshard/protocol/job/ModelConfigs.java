package dev.zeroshard.protocol.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.protocol.config.JsonValues;
import dev.zeroshard.protocol.v1.ModelConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GPT-2 model configs in the form of a Hugging Face {@code config.json}: reading (a file written by
 * {@code save_pretrained} loads as it is), defaults, validation and writing.
 */
public final class ModelConfigs {
    /** GPT-2's LayerNorm epsilon, used when a config leaves it out. */
    public static final double DEFAULT_LAYER_NORM_EPSILON = 1e-5;
    /** GPT-2's initialisation standard deviation. */
    public static final double DEFAULT_INITIALIZER_RANGE = 0.02;
    /** Hugging Face's name of GPT-2's tanh-approximated GELU. */
    public static final String DEFAULT_ACTIVATION = "gelu_new";

    private static final List<String> SUPPORTED_ACTIVATIONS = List.of("gelu_new", "gelu_pytorch_tanh");

    /**
     * Keys a Hugging Face GPT-2 config carries that change nothing about what is trained here
     * (inference caching, fine-tuning heads, bookkeeping): accepted and dropped.
     */
    private static final Set<String> INFERENCE_ONLY_HF_KEYS = Set.of(
        "_name_or_path", "transformers_version", "torch_dtype", "use_cache", "task_specific_params",
        "summary_type", "summary_use_proj", "summary_activation", "summary_proj_to_labels",
        "summary_first_dropout", "output_past", "gradient_checkpointing", "pad_token_id", "id2label",
        "label2id", "problem_type", "return_dict", "tokenizer_class", "prefix", "reorder_and_upcast_attn");

    /** Keys whose only value the architecture implemented here has. */
    private static final Map<String, Boolean> FIXED_HF_KEYS = Map.of(
        "scale_attn_weights", true,
        "scale_attn_by_inverse_layer_idx", false,
        "add_cross_attention", false,
        "is_encoder_decoder", false);

    private ModelConfigs() {
    }

    /** Reads a Hugging Face style {@code config.json}. */
    public static ModelConfig read(final Path file) {
        return parse(JsonValues.readTree(file));
    }

    /** Parses a Hugging Face style config object; throws with every problem found. */
    public static ModelConfig parse(final JsonNode json) {
        final List<ConfigError> errors = new ArrayList<>();
        final ModelConfig config = read(json, "model", errors);
        ConfigException.throwIfAny(errors);
        return config;
    }

    /**
     * Reads a model config at {@code path} of a larger document, adding problems (parse and
     * validation) to {@code errors}. Returns the config with defaults applied.
     */
    static ModelConfig read(final JsonNode json, final String path, final List<ConfigError> errors) {
        if (!json.isObject()) {
            errors.add(new ConfigError(path, JsonValues.render(json), "must be a JSON object"));
            return ModelConfig.getDefaultInstance();
        }
        final ObjectNode modelFields = ((ObjectNode)json).deepCopy();
        INFERENCE_ONLY_HF_KEYS.forEach(modelFields::remove);
        FIXED_HF_KEYS.forEach((key, required) -> {
            final JsonNode value = modelFields.remove(key);
            if (value != null && !(value.isBoolean() && value.booleanValue() == required)) {
                errors.add(new ConfigError(JsonValues.child(path, key), JsonValues.render(value),
                    "must be " + required + ": the only GPT-2 variant zeroshard trains"));
            }
        });
        final ModelConfig.Builder builder = ModelConfig.newBuilder();
        final int before = errors.size();
        new ProtoJsonReader(errors).merge(modelFields, builder, path);
        if (errors.size() > before) {
            return builder.build();
        }
        final ModelConfig config = withDefaults(builder.build());
        errors.addAll(validate(config, path));
        return config;
    }

    /** Fills what a GPT-2 config may leave out with GPT-2's values. */
    public static ModelConfig withDefaults(final ModelConfig config) {
        final ModelConfig.Builder builder = config.toBuilder();
        if (builder.getModelType().isEmpty()) {
            builder.setModelType("gpt2");
        }
        if (builder.getActivationFunction().isEmpty()) {
            builder.setActivationFunction(DEFAULT_ACTIVATION);
        }
        if (builder.getLayerNormEpsilon() == 0) {
            builder.setLayerNormEpsilon(DEFAULT_LAYER_NORM_EPSILON);
        }
        if (!builder.hasInitializerRange()) {
            builder.setInitializerRange(DEFAULT_INITIALIZER_RANGE);
        }
        if (!builder.hasNInner() || builder.getNInner() == 0) {
            builder.setNInner(4 * builder.getNEmbd());
        }
        if (!builder.hasTieWordEmbeddings()) {
            builder.setTieWordEmbeddings(true);
        }
        return builder.build();
    }

    /** Every rule a model config must satisfy, as errors under {@code path}. */
    public static List<ConfigError> validate(final ModelConfig config, final String path) {
        final List<ConfigError> errors = new ArrayList<>();
        if (!config.getModelType().equals("gpt2")) {
            errors.add(new ConfigError(path + ".model_type", quoted(config.getModelType()),
                "must be \"gpt2\": the architecture zeroshard implements"));
        }
        positive(errors, path + ".vocab_size", config.getVocabSize());
        positive(errors, path + ".n_positions", config.getNPositions());
        positive(errors, path + ".n_embd", config.getNEmbd());
        positive(errors, path + ".n_layer", config.getNLayer());
        positive(errors, path + ".n_head", config.getNHead());
        positive(errors, path + ".n_inner", config.getNInner());
        if (config.getNHead() > 0 && config.getNEmbd() > 0 && config.getNEmbd() % config.getNHead() != 0) {
            errors.add(new ConfigError(path + ".n_head", Integer.toString(config.getNHead()),
                "must divide n_embd(" + config.getNEmbd() + ")"));
        }
        if (config.hasNCtx() && config.getNCtx() != config.getNPositions()) {
            errors.add(new ConfigError(path + ".n_ctx", Integer.toString(config.getNCtx()),
                "must equal n_positions(" + config.getNPositions() + ") when set"));
        }
        if (!(config.getLayerNormEpsilon() > 0 && config.getLayerNormEpsilon() < 1)) {
            errors.add(new ConfigError(path + ".layer_norm_epsilon", Double.toString(config.getLayerNormEpsilon()),
                "must be in (0, 1)"));
        }
        if (!(config.getInitializerRange() > 0 && config.getInitializerRange() < 1)) {
            errors.add(new ConfigError(path + ".initializer_range", Double.toString(config.getInitializerRange()),
                "must be in (0, 1)"));
        }
        if (!SUPPORTED_ACTIVATIONS.contains(config.getActivationFunction())) {
            errors.add(new ConfigError(path + ".activation_function", quoted(config.getActivationFunction()),
                "must be one of " + SUPPORTED_ACTIVATIONS + " (GPT-2's tanh-approximated GELU)"));
        }
        if (!config.getTieWordEmbeddings()) {
            errors.add(new ConfigError(path + ".tie_word_embeddings", "false",
                "must be true: the LM head is the token embedding, as in GPT-2"));
        }
        probability(errors, path + ".resid_pdrop", config.getResidPdrop());
        probability(errors, path + ".embd_pdrop", config.getEmbdPdrop());
        probability(errors, path + ".attn_pdrop", config.getAttnPdrop());
        // generation's ids, unread by training; save_pretrained writes GPT-2's 50256 whatever vocab_size is
        tokenId(errors, path + ".bos_token_id", config.hasBosTokenId(), config.getBosTokenId());
        tokenId(errors, path + ".eos_token_id", config.hasEosTokenId(), config.getEosTokenId());
        return errors;
    }

    /** The number of trainable parameters (tied LM head counted once). */
    public static long parameterCount(final ModelConfig config) {
        final long c = config.getNEmbd();
        final long inner = config.getNInner() > 0 ? config.getNInner() : 4 * c;
        final long perLayer = 2 * c + (3 * c * c + 3 * c) + (c * c + c) + 2 * c + (c * inner + inner) + (inner * c + c);
        return (long)config.getVocabSize() * c + (long)config.getNPositions() * c + config.getNLayer() * perLayer + 2 * c;
    }

    /** The config as a Hugging Face {@code config.json} (snake_case names, defaults written out). */
    public static String toHuggingFaceJson(final ModelConfig config) {
        try {
            return JsonFormat.printer().preservingProtoFieldNames().print(withDefaults(config));
        } catch (final InvalidProtocolBufferException ex) {
            throw new IllegalStateException("model config not printable", ex);
        }
    }

    private static void positive(final List<ConfigError> errors, final String path, final int value) {
        if (value <= 0) {
            errors.add(new ConfigError(path, Integer.toString(value), "must be > 0"));
        }
    }

    private static void probability(final List<ConfigError> errors, final String path, final double value) {
        if (!(value >= 0 && value < 1)) {
            errors.add(new ConfigError(path, Double.toString(value), "must be in [0, 1)"));
        }
    }

    private static void tokenId(final List<ConfigError> errors, final String path, final boolean present, final int id) {
        if (present && id < 0) {
            errors.add(new ConfigError(path, Integer.toString(id), "must be >= 0"));
        }
    }

    private static String quoted(final String value) {
        return "\"" + value + "\"";
    }
}
