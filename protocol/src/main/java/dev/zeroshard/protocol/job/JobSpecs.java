package dev.zeroshard.protocol.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.JsonValues;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.protocol.config.ResolvedDeepSpeedConfig;
import dev.zeroshard.protocol.v1.CheckpointSpec;
import dev.zeroshard.protocol.v1.DataSpec;
import dev.zeroshard.protocol.v1.ElasticSpec;
import dev.zeroshard.protocol.v1.JobSpec;
import dev.zeroshard.protocol.v1.ModelConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Job specs as users write them (JSON files and REST bodies): strict parsing, validation of every
 * field including the embedded DeepSpeed config, and resolution into a {@link ResolvedJob}.
 */
public final class JobSpecs {
    /** The data set every fresh machine has: generated text with learnable structure. */
    public static final String BUILTIN_DATASET = "patterns";
    /** The tokenizer used when a job names none. */
    public static final String DEFAULT_TOKENIZER = "byte";

    private static final String DEMO_RESOURCE = "demo-job.json";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Set<String> BUILTIN_DATASETS = Set.of(BUILTIN_DATASET);
    private static final Set<String> BACKENDS = Set.of("auto", "cpu", "cuda");

    private JobSpecs() {
    }

    /** Reads and validates a job spec file. */
    public static ResolvedJob read(final Path file) {
        return resolve(parse(JsonValues.readTree(file)));
    }

    /** Parses and validates a job spec document. */
    public static ResolvedJob readJson(final String json) {
        return resolve(parse(JsonValues.readTree(json)));
    }

    /**
     * Parses a job spec object without resolving it: unknown keys and wrong types are refused,
     * {@code model} may be a whole Hugging Face {@code config.json}.
     */
    public static JobSpec parse(final JsonNode json) {
        final List<ConfigError> errors = new ArrayList<>();
        if (!json.isObject()) {
            errors.add(new ConfigError("$", JsonValues.render(json), "a job spec must be a JSON object"));
            ConfigException.throwIfAny(errors);
        }
        final ObjectNode fields = ((ObjectNode)json).deepCopy();
        final JsonNode model = fields.remove("model");
        final JobSpec.Builder builder = JobSpec.newBuilder();
        new ProtoJsonReader(errors).merge(fields, builder, "$");
        if (model == null || model.isNull()) {
            errors.add(new ConfigError("model", "(absent)", "is required: a GPT-2 config.json object"));
        } else {
            builder.setModel(ModelConfigs.read(model, "model", errors));
        }
        ConfigException.throwIfAny(errors);
        return builder.build();
    }

    /** Validates every field and resolves defaults and the DeepSpeed config. */
    public static ResolvedJob resolve(final JobSpec spec) {
        final List<ConfigError> errors = new ArrayList<>();
        if (!NAME.matcher(spec.getName()).matches()) {
            errors.add(new ConfigError("name", quoted(spec.getName()),
                "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit"));
        }
        final ModelConfig model = ModelConfigs.withDefaults(spec.getModel());
        errors.addAll(ModelConfigs.validate(model, "model"));
        if (spec.getMaxSteps() <= 0) {
            errors.add(new ConfigError("max_steps", Long.toString(spec.getMaxSteps()), "must be > 0"));
        }
        if (spec.getWorldSize() < 0) {
            errors.add(new ConfigError("world_size", Integer.toString(spec.getWorldSize()), "must be >= 1 (0 means 1)"));
        }
        final int worldSize = Math.max(1, spec.getWorldSize());
        final String backend = spec.getBackend().isEmpty() ? "auto" : spec.getBackend();
        if (!BACKENDS.contains(backend)) {
            errors.add(new ConfigError("backend", quoted(backend), "must be one of " + BACKENDS));
        }
        final DataSpec data = resolveData(spec, model, errors);
        errors.addAll(checkpointErrors(spec.getCheckpoint()));
        errors.addAll(elasticErrors(spec.getElastic(), worldSize));

        ResolvedDeepSpeedConfig deepspeed = null;
        try {
            final JsonNode deepspeedJson = JsonValues.integralNumbersAsIntegers(JsonValues.readTree(
                spec.hasDeepspeed() ? JsonFormat.printer().print(spec.getDeepspeed()) : "{}"));
            // a max_steps below 1 is refused above; "auto" then takes a total no warmup exceeds, adding no error
            final long totalSteps = spec.getMaxSteps() >= 1 ? spec.getMaxSteps() : Long.MAX_VALUE;
            deepspeed = DeepSpeedConfigReader.resolve(deepspeedJson, new ResolveContext(
                worldSize, OptionalInt.of(model.getNEmbd()), OptionalLong.of(totalSteps)));
        } catch (final ConfigException ex) {
            for (final ConfigError error : ex.errors()) {
                errors.add(new ConfigError(JsonValues.child("deepspeed", error.path()), error.value(), error.rule()));
            }
        } catch (final InvalidProtocolBufferException ex) {
            throw new IllegalStateException("a parsed Struct always prints", ex);
        }
        ConfigException.throwIfAny(errors);
        final JobSpec resolved = spec.toBuilder()
            .setModel(model)
            .setData(data)
            .setWorldSize(worldSize)
            .setBackend(backend)
            .build();
        return new ResolvedJob(resolved, deepspeed);
    }

    /** The job {@code bin/zeroshard demo} runs: a small GPT-2 on the built-in data set. */
    public static JobSpec builtinDemo() {
        try (InputStream in = JobSpecs.class.getResourceAsStream(DEMO_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource missing from the jar: " + DEMO_RESOURCE);
            }
            return parse(JsonValues.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (final IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The spec as JSON with proto field names (the form users write). */
    public static String toJson(final JobSpec spec) {
        try {
            return JsonFormat.printer().preservingProtoFieldNames().print(spec);
        } catch (final InvalidProtocolBufferException ex) {
            throw new IllegalStateException("job spec not printable", ex);
        }
    }

    private static DataSpec resolveData(final JobSpec spec, final ModelConfig model, final List<ConfigError> errors) {
        final DataSpec.Builder data = spec.getData().toBuilder();
        if (data.getSourceCase() == DataSpec.SourceCase.SOURCE_NOT_SET) {
            data.setBuiltin(BUILTIN_DATASET);
        }
        if (data.getSourceCase() == DataSpec.SourceCase.BUILTIN && !BUILTIN_DATASETS.contains(data.getBuiltin())) {
            errors.add(new ConfigError("data.builtin", quoted(data.getBuiltin()), "must be one of " + BUILTIN_DATASETS));
        }
        final String file = switch (data.getSourceCase()) {
            case TEXT_FILE -> data.getTextFile();
            case JSONL_FILE -> data.getJsonlFile();
            case TOKEN_FILE -> data.getTokenFile();
            default -> null;
        };
        if (file != null && file.isBlank()) {
            errors.add(new ConfigError("data." + sourceName(data), "\"\"", "must name a file"));
        }
        if (data.getTokenizer().isEmpty()) {
            data.setTokenizer(DEFAULT_TOKENIZER);
        }
        final String tokenizer = data.getTokenizer();
        if (tokenizer.equals("byte")) {
            if (model.getVocabSize() < 256) {
                errors.add(new ConfigError("model.vocab_size", Integer.toString(model.getVocabSize()),
                    "must be >= 256 for the byte tokenizer (data.tokenizer=\"byte\")"));
            }
        } else if (!tokenizer.startsWith("gpt2:") || tokenizer.length() == "gpt2:".length()) {
            errors.add(new ConfigError("data.tokenizer", quoted(tokenizer),
                "must be \"byte\" or \"gpt2:DIR\" (a directory with GPT-2's BPE files)"));
        }
        if (data.getSeqLen() < 0 || data.getSeqLen() > model.getNPositions()) {
            errors.add(new ConfigError("data.seq_len", Integer.toString(data.getSeqLen()),
                "must be in [1, n_positions(" + model.getNPositions() + ")], or 0 for n_positions"));
        } else if (data.getSeqLen() == 0) {
            data.setSeqLen(model.getNPositions());
        }
        return data.build();
    }

    private static String sourceName(final DataSpec.Builder data) {
        return switch (data.getSourceCase()) {
            case TEXT_FILE -> "text_file";
            case JSONL_FILE -> "jsonl_file";
            case TOKEN_FILE -> "token_file";
            default -> "builtin";
        };
    }

    private static List<ConfigError> checkpointErrors(final CheckpointSpec checkpoint) {
        final List<ConfigError> errors = new ArrayList<>();
        if (checkpoint.getSaveEverySteps() < 0) {
            errors.add(new ConfigError("checkpoint.save_every_steps", Integer.toString(checkpoint.getSaveEverySteps()),
                "must be >= 0 (0 disables periodic saving)"));
        }
        if (checkpoint.getKeepLast() < 0) {
            errors.add(new ConfigError("checkpoint.keep_last", Integer.toString(checkpoint.getKeepLast()),
                "must be >= 0 (0 keeps all)"));
        }
        if (checkpoint.getSaveEverySteps() > 0 && checkpoint.getDir().isBlank()) {
            errors.add(new ConfigError("checkpoint.dir", "\"\"",
                "must be set when checkpoint.save_every_steps(" + checkpoint.getSaveEverySteps() + ") > 0"));
        }
        if (!checkpoint.getResume().isEmpty() && checkpoint.getDir().isBlank() && checkpoint.getResume().equals("latest")) {
            errors.add(new ConfigError("checkpoint.resume", "\"latest\"", "needs checkpoint.dir to look in"));
        }
        return errors;
    }

    private static List<ConfigError> elasticErrors(final ElasticSpec elastic, final int worldSize) {
        final List<ConfigError> errors = new ArrayList<>();
        if (elastic.getMinWorkers() < 0 || elastic.getMinWorkers() > worldSize) {
            errors.add(new ConfigError("elastic.min_workers", Integer.toString(elastic.getMinWorkers()),
                "must be in [1, world_size(" + worldSize + ")], or 0 for world_size"));
        }
        if (elastic.getMaxRestarts() < 0) {
            errors.add(new ConfigError("elastic.max_restarts", Integer.toString(elastic.getMaxRestarts()), "must be >= 0"));
        }
        return errors;
    }

    private static String quoted(final String value) {
        return "\"" + value + "\"";
    }
}
