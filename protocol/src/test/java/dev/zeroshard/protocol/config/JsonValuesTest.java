package dev.zeroshard.protocol.config;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JsonValuesTest {
    @ParameterizedTest(name = "{0} renders as {1}")
    @CsvSource(delimiter = '|', textBlock = """
        5e8       | 5e8
        1e-4      | 1e-4
        0.9       | 0.9
        1.0       | 1.0
        2         | 2
        "2"       | "2"
        true      | true
        null      | null
        [0.9, 2]  | [0.9,2]
        """)
    void shouldRenderValuesAsWrittenWhenReportingErrors(final String json, final String rendered) {
        assertThat(JsonValues.render(JsonValues.readTree(json))).isEqualTo(rendered);
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({"5e8, 500000000", "2.0, 2", "-3, -3", "1E3, 1000", "0.0, 0"})
    void shouldReadIntegralNumbersAsIntegersWhenWrittenInAnyNotation(final String json, final long expected) {
        final List<ConfigError> errors = new ArrayList<>();

        assertThat(JsonValues.longValue(JsonValues.readTree(json), "x", Long.MIN_VALUE, Long.MAX_VALUE, errors))
            .isEqualTo(expected);
        assertThat(errors).isEmpty();
    }

    @Test
    void shouldAddErrorInsteadOfThrowingWhenTypeIsWrong() {
        final List<ConfigError> errors = new ArrayList<>();
        final JsonNode text = JsonValues.readTree("\"8\"");

        assertThat(JsonValues.intValue(text, "a.b", 0, 10, errors)).isNull();
        assertThat(JsonValues.booleanValue(text, "a.c", errors)).isNull();
        assertThat(JsonValues.doubleValue(text, "a.d", errors)).isNull();
        assertThat(JsonValues.stringValue(JsonValues.readTree("8"), "a.e", errors)).isNull();
        assertThat(errors).extracting(ConfigError::toString).containsExactly(
            "a.b=\"8\": must be an integer",
            "a.c=\"8\": must be a boolean (true or false)",
            "a.d=\"8\": must be a number",
            "a.e=8: must be a string");
    }

    @Test
    void shouldJoinPathsWhenParentIsRootOrNested() {
        assertThat(JsonValues.child("$", "stage")).isEqualTo("stage");
        assertThat(JsonValues.child("zero_optimization", "stage")).isEqualTo("zero_optimization.stage");
        assertThat(JsonValues.child("deepspeed", "$")).isEqualTo("deepspeed");
    }

    @Test
    void shouldSuggestClosestKnownKeyWhenKeyIsMisspelt() {
        final List<String> known = List.of("zero_optimization", "optimizer", "scheduler");
        final JsonNode value = JsonValues.readTree("{}");

        assertThat(JsonValues.unknownKey("zero_optimisation", "zero_optimisation", value, known).rule())
            .isEqualTo("unknown key; did you mean zero_optimization?");
        assertThat(JsonValues.unknownKey("Optimizer", "Optimizer", value, known).rule())
            .isEqualTo("unknown key; did you mean optimizer?");
        assertThat(JsonValues.unknownKey("data", "data", value, known).rule())
            .isEqualTo("unknown key; known keys here: zero_optimization, optimizer, scheduler");
    }

    @Test
    void shouldCountEditsWhenMeasuringDistance() {
        assertThat(KeySuggestions.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(KeySuggestions.distance("", "abc")).isEqualTo(3);
        assertThat(KeySuggestions.distance("stage", "stage")).isZero();
    }
}
