package dev.zeroshard.protocol.config;

import java.util.Objects;
import java.util.function.Function;

/**
 * What a config file says about one key: nothing ({@code ABSENT}), {@code "auto"}, a usable value
 * ({@code GIVEN}), or something already reported as an error ({@code INVALID}). The {@code or...}
 * methods turn it into the value to use and record that value, with its source, in the {@link Resolution}.
 *
 * @param <T> the value's Java type.
 */
final class Field<T> {
    enum State { ABSENT, AUTO, GIVEN, INVALID }

    private final Resolution resolution;
    private final String path;
    private final State state;
    private final T value;
    private final Function<? super T, String> format;

    Field(final Resolution resolution, final String path, final State state, final T value,
        final Function<? super T, String> format) {
        this.resolution = Objects.requireNonNull(resolution, "resolution");
        this.path = Objects.requireNonNull(path, "path");
        this.state = Objects.requireNonNull(state, "state");
        this.value = value;
        this.format = Objects.requireNonNull(format, "format");
        if ((state == State.GIVEN) != (value != null)) {
            throw new IllegalArgumentException(path + ": a value goes with GIVEN and only with it");
        }
    }

    String path() {
        return path;
    }

    boolean isGiven() {
        return state == State.GIVEN;
    }

    boolean isAuto() {
        return state == State.AUTO;
    }

    boolean isAbsent() {
        return state == State.ABSENT;
    }

    boolean isInvalid() {
        return state == State.INVALID;
    }

    /** The value written in the file; only when {@link #isGiven()}. */
    T value() {
        if (state != State.GIVEN) {
            throw new IllegalStateException(path + " is " + state + ", not GIVEN");
        }
        return value;
    }

    /** The file's value, else {@code fallback} recorded as the default. */
    T orDefault(final T fallback) {
        return orDefault(fallback, "");
    }

    /** The file's value, else {@code fallback} recorded as the default with a note. */
    T orDefault(final T fallback, final String note) {
        return switch (state) {
            case GIVEN -> record(value, ResolvedValue.Source.FILE, "");
            case ABSENT -> record(fallback, ResolvedValue.Source.DEFAULT, note);
            case INVALID -> fallback;
            case AUTO -> throw new IllegalStateException(path + ": \"auto\" must be resolved with orAuto");
        };
    }

    /** As {@link #orDefault(Object)}, and {@code "auto"} resolves to {@code autoValue} because of {@code why}. */
    T orAuto(final T fallback, final T autoValue, final String why) {
        if (state == State.AUTO) {
            return record(autoValue, ResolvedValue.Source.AUTO, why);
        }
        return orDefault(fallback);
    }

    /** Records {@code resolved} for this path, with its source, and returns it. */
    T record(final T resolved, final ResolvedValue.Source source, final String detail) {
        resolution.value(path, format.apply(resolved), source, detail);
        return resolved;
    }

    /** The same field with its value converted; {@code converter} must not fail. */
    <R> Field<R> map(final Function<? super T, ? extends R> converter, final Function<? super R, String> newFormat) {
        return new Field<>(resolution, path, state, state == State.GIVEN ? converter.apply(value) : null, newFormat);
    }
}
