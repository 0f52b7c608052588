package dev.zeroshard.protocol.job;

import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.protocol.config.JsonValues;
import dev.zeroshard.protocol.v1.ModelConfig;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelConfigsTest {
    @Test
    void shouldLoadHuggingFaceGpt2ConfigWhenItCarriesInferenceOnlyKeys() throws Exception {
        final ModelConfig config = ModelConfigs.read(resource("model/gpt2-config.json"));

        assertThat(config.getVocabSize()).isEqualTo(50257);
        assertThat(config.getNPositions()).isEqualTo(1024);
        assertThat(config.getNEmbd()).isEqualTo(768);
        assertThat(config.getNLayer()).isEqualTo(12);
        assertThat(config.getNHead()).isEqualTo(12);
        assertThat(config.getNInner()).isEqualTo(4 * 768);
        assertThat(config.getLayerNormEpsilon()).isEqualTo(1e-5);
        assertThat(config.getActivationFunction()).isEqualTo("gelu_new");
        assertThat(config.getArchitecturesList()).containsExactly("GPT2LMHeadModel");
    }

    @Test
    void shouldCountGpt2SmallParametersAsPublished() throws Exception {
        final ModelConfig config = ModelConfigs.read(resource("model/gpt2-config.json"));

        assertThat(ModelConfigs.parameterCount(config)).isEqualTo(124_439_808L);
    }

    @Test
    void shouldLoadSavePretrainedOutputWhenNullsAndFixedKeysArePresent() throws Exception {
        final ModelConfig config = ModelConfigs.read(resource("model/save-pretrained-config.json"));

        assertThat(config.getNEmbd()).isEqualTo(64);
        assertThat(config.getNInner()).isEqualTo(256);
        assertThat(config.getTieWordEmbeddings()).isTrue();
    }

    @Test
    void shouldAcceptGpt2sTokenIdsOnASmallVocabularyAsSavePretrainedWritesThem() {
        // GPT2Config(vocab_size=256).save_pretrained() keeps bos/eos 50256: generation's ids, never read in training
        final ModelConfig config = ModelConfigs.read(JsonValues.readTree("""
            {"model_type": "gpt2", "vocab_size": 256, "n_positions": 64, "n_embd": 32, "n_layer": 1, "n_head": 2,
             "bos_token_id": 50256, "eos_token_id": 50256}"""), "model", new ArrayList<>());

        assertThat(ModelConfigs.validate(ModelConfigs.withDefaults(config), "model")).isEmpty();
        assertThat(ModelConfigs.validate(ModelConfigs.withDefaults(config.toBuilder().setEosTokenId(-1).build()),
            "model")).extracting(ConfigError::toString).containsExactly("model.eos_token_id=-1: must be >= 0");
    }

    @Test
    void shouldRoundTripThroughHuggingFaceJson() throws Exception {
        final ModelConfig config = ModelConfigs.read(resource("model/gpt2-config.json"));

        final ModelConfig again = ModelConfigs.parse(JsonValues.readTree(ModelConfigs.toHuggingFaceJson(config)));

        assertThat(again).isEqualTo(config);
    }

    @Test
    void shouldReportEveryProblemWithItsPathWhenConfigIsInvalid() {
        final String json = """
            {"model_type": "llama", "vocab_size": 0, "n_positions": 64, "n_embd": 60, "n_layer": 2,
             "n_head": 7, "activation_function": "relu", "n_ctx": 32, "scale_attn_weights": false}""";

        assertThatThrownBy(() -> ModelConfigs.parse(JsonValues.readTree(json)))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .extracting(error -> error.path() + ": " + error.rule())
                .containsExactlyInAnyOrder(
                    "model.scale_attn_weights: must be true: the only GPT-2 variant zeroshard trains",
                    "model.model_type: must be \"gpt2\": the architecture zeroshard implements",
                    "model.vocab_size: must be > 0",
                    "model.n_head: must divide n_embd(60)",
                    "model.n_ctx: must equal n_positions(64) when set",
                    "model.activation_function: must be one of [gelu_new, gelu_pytorch_tanh] (GPT-2's tanh-approximated GELU)"));
    }

    @Test
    void shouldNameFieldAndSuggestWhenKeyIsUnknown() {
        final String json = """
            {"vocab_size": 256, "n_positions": 64, "n_embed": 64, "n_layer": 2, "n_head": 4}""";

        assertThatThrownBy(() -> ModelConfigs.parse(JsonValues.readTree(json)))
            .isInstanceOfSatisfying(ConfigException.class, ex -> {
                assertThat(ex.errors()).hasSize(1);
                assertThat(ex.errors().get(0).path()).isEqualTo("model.n_embed");
                assertThat(ex.errors().get(0).rule()).contains("n_embd");
            });
    }

    @Test
    void shouldRefuseWrongTypeWithPathAndValue() {
        final String json = """
            {"vocab_size": "256", "n_positions": 64.5, "n_embd": 64, "n_layer": 2, "n_head": 4}""";

        assertThatThrownBy(() -> ModelConfigs.parse(JsonValues.readTree(json)))
            .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.errors())
                .extracting(error -> error.path() + "=" + error.value())
                .containsExactlyInAnyOrder("model.vocab_size=\"256\"", "model.n_positions=64.5"));
    }

    private static Path resource(final String name) throws URISyntaxException {
        return Path.of(ModelConfigsTest.class.getClassLoader().getResource(name).toURI());
    }
}
