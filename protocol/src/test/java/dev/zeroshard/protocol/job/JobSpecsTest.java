package dev.zeroshard.protocol.job;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.protocol.config.JsonValues;
import dev.zeroshard.protocol.v1.DataSpec;
import dev.zeroshard.protocol.v1.JobSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobSpecsTest {
    private static final String MODEL = """
        {"vocab_size": 256, "n_positions": 64, "n_embd": 64, "n_layer": 2, "n_head": 4}""";

    @Test
    void shouldResolveBuiltinDemoJob() {
        final ResolvedJob job = JobSpecs.resolve(JobSpecs.builtinDemo());

        assertThat(job.spec().getName()).isEqualTo("demo");
        assertThat(job.spec().getData().getBuiltin()).isEqualTo(JobSpecs.BUILTIN_DATASET);
        assertThat(job.worldSize()).isEqualTo(1);
        assertThat(job.deepspeed().config().zero().stage()).isEqualTo(2);
        assertThat(job.deepspeed().config().precision().bf16()).isTrue();
        assertThat(job.describe()).contains("demo", "zero_optimization.stage");
    }

    @Test
    void shouldFillDefaultsWhenOptionalSectionsAreAbsent() {
        final ResolvedJob job = JobSpecs.readJson("""
            {"name": "tiny", "model": %s, "max_steps": 10}""".formatted(MODEL));

        final DataSpec data = job.spec().getData();
        assertThat(data.getBuiltin()).isEqualTo("patterns");
        assertThat(data.getTokenizer()).isEqualTo("byte");
        assertThat(data.getSeqLen()).isEqualTo(64);
        assertThat(job.worldSize()).isEqualTo(1);
        assertThat(job.spec().getBackend()).isEqualTo("auto");
        assertThat(job.deepspeed().config().batch().microBatchPerGpu()).isEqualTo(1);
    }

    @Test
    void shouldAcceptCamelCaseNamesAsProtobufJsonMappingDoes() {
        final ResolvedJob job = JobSpecs.readJson("""
            {"name": "tiny", "model": %s, "maxSteps": 7, "worldSize": 2,
             "data": {"tokenFile": "/data/train.bin", "seqLen": 32}}""".formatted(MODEL));

        assertThat(job.spec().getMaxSteps()).isEqualTo(7);
        assertThat(job.spec().getData().getTokenFile()).isEqualTo("/data/train.bin");
        assertThat(job.spec().getData().getSeqLen()).isEqualTo(32);
    }

    @Test
    void shouldRoundTripThroughJsonAndBinary() throws Exception {
        final JobSpec spec = JobSpecs.builtinDemo();

        final JobSpec fromJson = JobSpecs.parse(JsonValues.readTree(JobSpecs.toJson(spec)));
        final JobSpec fromBinary = JobSpec.parseFrom(spec.toByteArray());

        assertThat(fromJson).isEqualTo(spec);
        assertThat(fromBinary).isEqualTo(spec);
        assertThat(fromJson.getDeepspeed().getFieldsOrThrow("zero_optimization").getStructValue()
            .getFieldsOrThrow("reduce_bucket_size").getNumberValue()).isEqualTo(5e5);
    }

    @Test
    void shouldPrefixDeepSpeedErrorsWithTheirPathInTheJob() {
        final String json = """
            {"name": "tiny", "model": %s, "max_steps": 10,
             "deepspeed": {"zero_optimization": {"stage": 5}}}""".formatted(MODEL);

        assertThatThrownBy(() -> JobSpecs.readJson(json))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .extracting(error -> error.path())
                .containsExactly("deepspeed.zero_optimization.stage"));
    }

    @Test
    void shouldShowTheValueOfAnUnknownKey() {
        final String json = """
            {"name": "tiny", "model": %s, "max_step": 5}""".formatted(MODEL);

        assertThatThrownBy(() -> JobSpecs.readJson(json))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .extracting(ConfigError::toString)
                .singleElement().asString().startsWith("max_step=5: unknown key; did you mean max_steps?"));
    }

    @Test
    void shouldShowIntegersAsTheUserWroteThemThoughTheJobKeepsDeepSpeedAsAStruct() {
        final String json = """
            {"name": "tiny", "model": %s, "max_steps": 10,
             "deepspeed": {"train_micro_batch_size_per_gpu": -4, "zero_optimisation": {"stage": 2, "x": [1, 0.5]}}}"""
            .formatted(MODEL);

        assertThatThrownBy(() -> JobSpecs.readJson(json))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .extracting(ConfigError::value)
                .contains("-4", "{\"stage\":2,\"x\":[1,0.5]}"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        name: spaces are refused     | "name": "my job"                                   | name                       | must be 1-63 letters
        max_steps must be positive  | "max_steps": 0                                     | max_steps                  | must be > 0
        unknown top-level key       | "max_step": 5                                      | max_step                   | max_steps
        one data source only        | "data": {"builtin": "patterns", "text_file": "a"}  | data.text_file             | only one of
        unknown builtin data        | "data": {"builtin": "shakespeare"}                 | data.builtin               | must be one of
        tokenizer form              | "data": {"tokenizer": "sentencepiece"}             | data.tokenizer             | "gpt2:DIR"
        sequence beyond positions   | "data": {"seq_len": 65}                            | data.seq_len               | n_positions(64)
        empty file name             | "data": {"token_file": ""}                         | data.token_file            | must name a file
        save without a directory    | "checkpoint": {"save_every_steps": 5}              | checkpoint.dir             | must be set
        negative retention          | "checkpoint": {"keep_last": -1}                    | checkpoint.keep_last       | must be >= 0
        resume latest needs a dir   | "checkpoint": {"resume": "latest"}                 | checkpoint.resume          | checkpoint.dir
        elastic above world size    | "world_size": 2, "elastic": {"min_workers": 3}     | elastic.min_workers        | world_size(2)
        negative restarts           | "elastic": {"max_restarts": -1}                    | elastic.max_restarts       | must be >= 0
        unknown backend             | "backend": "tpu"                                   | backend                    | must be one of
        wrong type                  | "seed": "abc"                                      | seed                       | integer
        deepspeed must be an object | "deepspeed": [1, 2]                                | deepspeed                  | must be a JSON object
        """)
    void shouldRefuseInvalidJobWithPathAndRule(
        final String description, final String field, final String path, final String rule) {
        final ObjectNode job = (ObjectNode)JsonValues.readTree("""
            {"name": "tiny", "model": %s, "max_steps": 10}""".formatted(MODEL));
        job.setAll((ObjectNode)JsonValues.readTree("{" + field + "}"));
        final String json = job.toString();

        assertThatThrownBy(() -> JobSpecs.readJson(json))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .anySatisfy(error -> {
                    assertThat(error.path()).isEqualTo(path);
                    assertThat(error.rule()).contains(rule);
                }));
    }

    @Test
    void shouldRequireModel() {
        assertThatThrownBy(() -> JobSpecs.readJson("{\"name\": \"x\", \"max_steps\": 1}"))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .extracting(error -> error.path()).containsExactly("model"));
    }
}
