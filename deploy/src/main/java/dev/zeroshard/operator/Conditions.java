package dev.zeroshard.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * Status conditions the Kubernetes way: one per type ({@link #READY}, {@link #PROGRESSING}, {@link #FAILED}),
 * status True/False, a CamelCase reason, a message for people, the generation observed, and a transition time that
 * moves only when the status does.
 */
public final class Conditions {
    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String FAILED = "Failed";

    private Conditions() {
    }

    /** Sets (adds or updates) the condition of {@code type} in {@code conditions}. */
    public static void set(final List<Condition> conditions, final String type, final boolean status,
                           final String reason, final String message, final Long generation) {
        final String value = status ? "True" : "False";
        final Optional<Condition> existing = find(conditions, type);
        final String since = existing.filter(c -> value.equals(c.getStatus()))
            .map(Condition::getLastTransitionTime)
            .orElseGet(() -> Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        final Condition condition = new ConditionBuilder().withType(type).withStatus(value).withReason(reason)
            .withMessage(message).withObservedGeneration(generation).withLastTransitionTime(since).build();
        conditions.removeIf(c -> type.equals(c.getType()));
        conditions.add(condition);
    }

    public static Optional<Condition> find(final List<Condition> conditions, final String type) {
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    public static boolean isTrue(final List<Condition> conditions, final String type) {
        return find(conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
    }
}
