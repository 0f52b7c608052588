package dev.zeroshard.sharding.collective;

import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.sharding.aeron.PropertyValues;
import dev.zeroshard.sharding.aeron.RingFrameFlyweight;
import dev.zeroshard.sharding.aeron.TransportConfig;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * How the collectives cut, pace and bound their work: the chunk size of the pipeline, the deadline of every
 * collective, the grace in which ranks compare notes before they name a culprit, and the timeouts of opening and
 * closing the ring.
 *
 * <p>Deadline rule: a collective that moves B bytes out of this rank (wire bytes of all its steps) must finish
 * within {@code deadline} when one is set, else within {@code slack + B / bandwidth}. The clock starts when this
 * rank's communicator begins the collective (a bucket queued behind others starts later). The last
 * {@code failureGrace} of the deadline is spent collecting the other ranks' reports, so a failure is thrown by the
 * deadline itself. See {@code docs/ring-collectives.md}.
 *
 * <p>Follows Aeron's pattern: {@code *_PROP_NAME} and {@code *_DEFAULT} pairs, fluent setters, one
 * {@link #conclude()} that validates everything and reports each violated rule with its value.
 */
public final class CommSettings {
    /** Elements per message, as bytes of fp32 payload; at most {@link #MAX_CHUNK_LENGTH}. */
    public static final String CHUNK_LENGTH_PROP_NAME = "zeroshard.comm.chunk.length";
    /** Default: {@link #MAX_CHUNK_LENGTH}, 16360 fp32 elements per message. */
    public static final int CHUNK_LENGTH_DEFAULT = 65440;
    /** Largest chunk: the largest unfragmented Aeron message (65472 bytes) less the ring header (32). */
    public static final int MAX_CHUNK_LENGTH =
        TransportConfig.MAX_MTU_LENGTH - TransportConfig.AERON_FRAME_HEADER_LENGTH - RingFrameFlyweight.HEADER_LENGTH;

    /** A fixed deadline for every collective, ns; 0 derives it from the bytes moved. */
    public static final String DEADLINE_PROP_NAME = "zeroshard.comm.deadline";
    /** Default: 0, derived. */
    public static final long DEADLINE_DEFAULT_NS = 0;

    /** The bandwidth a derived deadline assumes, bytes per second: deliberately conservative. */
    public static final String DEADLINE_BANDWIDTH_PROP_NAME = "zeroshard.comm.deadline.bandwidth";
    /** Default: 50 MB/s, 20-50 times below what the ring reaches on one host. */
    public static final long DEADLINE_BANDWIDTH_DEFAULT = 50_000_000L;

    /** Added to every derived deadline, ns: covers ranks arriving late (skewed compute), JIT and GC. */
    public static final String DEADLINE_SLACK_PROP_NAME = "zeroshard.comm.deadline.slack";
    /** Default: 30 s. */
    public static final long DEADLINE_SLACK_DEFAULT_NS = TimeUnit.SECONDS.toNanos(30);

    /** The end of a deadline spent comparing notes with the other ranks before naming the culprit, ns. */
    public static final String FAILURE_GRACE_PROP_NAME = "zeroshard.comm.failure.grace";
    /** Default: 500 ms. */
    public static final long FAILURE_GRACE_DEFAULT_NS = TimeUnit.MILLISECONDS.toNanos(500);

    /** How long opening waits for both neighbours of the ring, ns. */
    public static final String CONNECT_TIMEOUT_PROP_NAME = "zeroshard.comm.connect.timeout";
    /** Default: 30 s. */
    public static final long CONNECT_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(30);

    /** How long closing waits for the last messages to leave (UDP), ns. */
    public static final String CLOSE_LINGER_PROP_NAME = "zeroshard.comm.close.linger";
    /** Default: 1 s (usually done in microseconds). */
    public static final long CLOSE_LINGER_DEFAULT_NS = TimeUnit.SECONDS.toNanos(1);

    private int chunkLength;
    private long deadlineNs;
    private long deadlineBandwidth;
    private long deadlineSlackNs;
    private long failureGraceNs;
    private long connectTimeoutNs;
    private long closeLingerNs;
    private NanoClock clock = SystemNanoClock.INSTANCE;
    private boolean concluded;

    /** Settings holding the system properties' values, or the defaults where they are not set. */
    public CommSettings() {
        chunkLength = PropertyValues.intValue(CHUNK_LENGTH_PROP_NAME, CHUNK_LENGTH_DEFAULT);
        deadlineNs = PropertyValues.durationNs(DEADLINE_PROP_NAME, DEADLINE_DEFAULT_NS);
        deadlineBandwidth = PropertyValues.longValue(DEADLINE_BANDWIDTH_PROP_NAME, DEADLINE_BANDWIDTH_DEFAULT);
        deadlineSlackNs = PropertyValues.durationNs(DEADLINE_SLACK_PROP_NAME, DEADLINE_SLACK_DEFAULT_NS);
        failureGraceNs = PropertyValues.durationNs(FAILURE_GRACE_PROP_NAME, FAILURE_GRACE_DEFAULT_NS);
        connectTimeoutNs = PropertyValues.durationNs(CONNECT_TIMEOUT_PROP_NAME, CONNECT_TIMEOUT_DEFAULT_NS);
        closeLingerNs = PropertyValues.durationNs(CLOSE_LINGER_PROP_NAME, CLOSE_LINGER_DEFAULT_NS);
    }

    /**
     * Validates every setting; reports all violated rules at once, each with its property name and value.
     *
     * @throws ConfigException listing every violation.
     */
    public CommSettings conclude() {
        final List<ConfigError> errors = new ArrayList<>();
        if (chunkLength < 4 || chunkLength > MAX_CHUNK_LENGTH || (chunkLength & 3) != 0) {
            errors.add(new ConfigError(CHUNK_LENGTH_PROP_NAME, Integer.toString(chunkLength),
                "must be a multiple of 4 from 4 to MAX_CHUNK_LENGTH=" + MAX_CHUNK_LENGTH));
        }
        if (deadlineNs < 0) {
            errors.add(new ConfigError(DEADLINE_PROP_NAME, deadlineNs + "ns", "must be >= 0 (0 derives it)"));
        }
        if (deadlineBandwidth <= 0) {
            errors.add(new ConfigError(DEADLINE_BANDWIDTH_PROP_NAME, Long.toString(deadlineBandwidth),
                "must be positive (bytes per second)"));
        }
        if (deadlineSlackNs <= 0) {
            errors.add(new ConfigError(DEADLINE_SLACK_PROP_NAME, deadlineSlackNs + "ns", "must be positive"));
        }
        if (failureGraceNs <= 0) {
            errors.add(new ConfigError(FAILURE_GRACE_PROP_NAME, failureGraceNs + "ns", "must be positive"));
        } else {
            final long shortestDeadlineNs = deadlineNs > 0 ? deadlineNs : deadlineSlackNs;
            if (failureGraceNs * 2 > shortestDeadlineNs) {
                errors.add(new ConfigError(FAILURE_GRACE_PROP_NAME, failureGraceNs + "ns",
                    "must be at most half the shortest deadline (" + (deadlineNs > 0 ? "deadline" : "deadline.slack")
                        + "=" + shortestDeadlineNs + "ns)"));
            }
        }
        if (connectTimeoutNs <= 0) {
            errors.add(new ConfigError(CONNECT_TIMEOUT_PROP_NAME, connectTimeoutNs + "ns", "must be positive"));
        }
        if (closeLingerNs < 0) {
            errors.add(new ConfigError(CLOSE_LINGER_PROP_NAME, closeLingerNs + "ns", "must be >= 0"));
        }
        if (clock == null) {
            errors.add(new ConfigError("clock", "null", "a clock is required"));
        }
        ConfigException.throwIfAny(errors);
        concluded = true;
        return this;
    }

    public boolean isConcluded() {
        return concluded;
    }

    /**
     * The deadline of a collective that sends {@code wireBytes} from this rank: the fixed deadline when set, else
     * {@code slack + wireBytes / bandwidth}.
     */
    public long deadlineForBytesNs(final long wireBytes) {
        if (deadlineNs > 0) {
            return deadlineNs;
        }
        final double transferNs = (double) wireBytes * 1e9 / deadlineBandwidth;
        return deadlineSlackNs + (long) Math.min(transferNs, Long.MAX_VALUE / 4.0);
    }

    public int chunkLength() {
        return chunkLength;
    }

    public CommSettings chunkLength(final int chunkLength) {
        checkNotConcluded();
        this.chunkLength = chunkLength;
        return this;
    }

    /** The fixed deadline, ns, or 0 when deadlines are derived. */
    public long deadlineNs() {
        return deadlineNs;
    }

    public CommSettings deadlineNs(final long deadlineNs) {
        checkNotConcluded();
        this.deadlineNs = deadlineNs;
        return this;
    }

    public long deadlineBandwidth() {
        return deadlineBandwidth;
    }

    public CommSettings deadlineBandwidth(final long bytesPerSecond) {
        checkNotConcluded();
        this.deadlineBandwidth = bytesPerSecond;
        return this;
    }

    public long deadlineSlackNs() {
        return deadlineSlackNs;
    }

    public CommSettings deadlineSlackNs(final long deadlineSlackNs) {
        checkNotConcluded();
        this.deadlineSlackNs = deadlineSlackNs;
        return this;
    }

    public long failureGraceNs() {
        return failureGraceNs;
    }

    public CommSettings failureGraceNs(final long failureGraceNs) {
        checkNotConcluded();
        this.failureGraceNs = failureGraceNs;
        return this;
    }

    public long connectTimeoutNs() {
        return connectTimeoutNs;
    }

    public CommSettings connectTimeoutNs(final long connectTimeoutNs) {
        checkNotConcluded();
        this.connectTimeoutNs = connectTimeoutNs;
        return this;
    }

    public long closeLingerNs() {
        return closeLingerNs;
    }

    public CommSettings closeLingerNs(final long closeLingerNs) {
        checkNotConcluded();
        this.closeLingerNs = closeLingerNs;
        return this;
    }

    /** The clock deadlines are read from (injectable for tests). */
    public NanoClock clock() {
        return clock;
    }

    public CommSettings clock(final NanoClock clock) {
        checkNotConcluded();
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    @Override
    public String toString() {
        return "CommSettings{chunkLength=" + chunkLength + ", deadlineNs=" + deadlineNs + ", deadlineBandwidth="
            + deadlineBandwidth + ", deadlineSlackNs=" + deadlineSlackNs + ", failureGraceNs=" + failureGraceNs
            + ", connectTimeoutNs=" + connectTimeoutNs + ", closeLingerNs=" + closeLingerNs + '}';
    }

    private void checkNotConcluded() {
        if (concluded) {
            throw new IllegalStateException("CommSettings is concluded; build a new one to change it");
        }
    }
}
