package dev.zeroshard.coordinator;

import dev.zeroshard.protocol.config.ConfigError;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A client's idempotency key for a job submission (HTTP header {@value #HEADER}): the first submission with a key
 * creates the job, every later one with the same key answers with that job (whatever its state, whatever the body).
 * The key is stored in the job's record, so this holds across coordinator restarts.
 *
 * @param value 1 to {@value #MAX_LENGTH} characters of {@code [A-Za-z0-9._:-]}.
 */
public record SubmissionKey(String value) {
    /** The request header that carries the key. */
    public static final String HEADER = "Idempotency-Key";
    public static final int MAX_LENGTH = 128;
    /** What a key must be, as an error message says it. */
    public static final String RULE = "must be 1 to " + MAX_LENGTH + " characters of A-Z, a-z, 0-9, '.', '_', ':', '-'";
    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");
    /** Longest part of a refused value an error echoes. */
    private static final int ECHO_CHARS = MAX_LENGTH + 8;

    public SubmissionKey {
        final Optional<ConfigError> problem = problem(value);
        if (problem.isPresent()) {
            throw new IllegalArgumentException(problem.get().toString());
        }
    }

    /** The problem of {@code value} as a key, naming the header, the value (shortened when long) and the rule. */
    public static Optional<ConfigError> problem(final String value) {
        if (value != null && ALLOWED.matcher(value).matches()) {
            return Optional.empty();
        }
        final String shown = value == null ? ConfigError.ABSENT
            : value.length() > ECHO_CHARS ? value.substring(0, ECHO_CHARS) + "... (" + value.length() + " chars)"
            : value;
        return Optional.of(new ConfigError(HEADER, shown, RULE));
    }
}
