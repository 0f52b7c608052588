package dev.zeroshard.sharding.aeron;

import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;
import io.aeron.driver.ThreadingMode;
import org.agrona.BitUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How a rank reaches Aeron: an embedded media driver (the default) or an external one, the channel parameters of
 * the ring's publications, the liveness timeouts that turn a dead peer into an error, and the idle strategy that
 * waits out back pressure.
 *
 * <p>Follows Aeron's pattern: every setting has a {@code *_PROP_NAME} system property and a documented
 * {@code *_DEFAULT}; the fluent setters override them; {@link #conclude()} validates everything once, reporting
 * every violated rule with its value, and derives the frame size. A concluded config is not changed again.
 *
 * <p>The defaults are tuned for a small shared machine (measured on 2 cores): one driver duty cycle per rank,
 * run by the rank's own collective thread ({@link ThreadingMode#INVOKER}), back-off idling everywhere, the
 * largest MTU Aeron allows (65504 bytes, also for IPC) and a 4 MiB term that stays in cache.
 */
public final class TransportConfig {
    /** Where the media driver lives: {@code embedded} (launched by this process) or {@code external}. */
    public static final String DRIVER_PROP_NAME = "zeroshard.aeron.driver";
    /** Default: every rank launches its own embedded driver. */
    public static final DriverMode DRIVER_DEFAULT = DriverMode.EMBEDDED;

    /** The external driver's directory; ignored for an embedded driver. */
    public static final String DIR_PROP_NAME = "zeroshard.aeron.dir";
    /** Default: Aeron's own default directory ({@code /dev/shm/aeron-<user>} on Linux). */
    public static final String DIR_DEFAULT = io.aeron.CommonContext.getAeronDirectoryName();

    /**
     * Parent of embedded drivers' directories; each driver gets a fresh, uniquely named child that it deletes on
     * start (a SIGKILLed predecessor's leftovers) and on close. Point it at a per-job temporary directory.
     */
    public static final String BASE_DIR_PROP_NAME = "zeroshard.aeron.base.dir";
    /** Default: {@code /dev/shm} (memory-backed) where it exists, else {@code java.io.tmpdir}. */
    public static final String BASE_DIR_DEFAULT = defaultBaseDir();

    /**
     * Threading of an embedded driver: {@code INVOKER} (the threads of the communicators on it run the driver's duty
     * cycle, one at a time; no extra thread), {@code SHARED} (one driver thread), {@code SHARED_NETWORK} or
     * {@code DEDICATED}.
     */
    public static final String THREADING_PROP_NAME = "zeroshard.aeron.threading";
    /** Default: {@code INVOKER}. */
    public static final ThreadingMode THREADING_DEFAULT = ThreadingMode.INVOKER;

    /** Term buffer length of the ring's publications, bytes; a power of two, 64 KiB to 1 GiB. */
    public static final String TERM_LENGTH_PROP_NAME = "zeroshard.aeron.term.length";
    /** Default: 4 MiB (each publication maps three terms, 12 MiB of shared memory). */
    public static final int TERM_LENGTH_DEFAULT = 4 * 1024 * 1024;

    /** MTU of the ring's channels (IPC and UDP), bytes; a multiple of 32, at most 65504. */
    public static final String MTU_LENGTH_PROP_NAME = "zeroshard.aeron.mtu.length";
    /** Default: 65504, Aeron's maximum; one frame then carries up to 65472 bytes. */
    public static final int MTU_LENGTH_DEFAULT = 65504;

    /** UDP socket send and receive buffer lengths, bytes (capped by the kernel's {@code net.core.[rw]mem_max}). */
    public static final String SOCKET_BUFFER_LENGTH_PROP_NAME = "zeroshard.aeron.socket.buffer.length";
    /** Default: 2 MiB. */
    public static final int SOCKET_BUFFER_LENGTH_DEFAULT = 2 * 1024 * 1024;

    /** UDP receiver window, bytes: how far a sender may run ahead of its receiver; at most half a term. */
    public static final String RECEIVER_WINDOW_LENGTH_PROP_NAME = "zeroshard.aeron.receiver.window.length";
    /** Default: 2 MiB. */
    public static final int RECEIVER_WINDOW_LENGTH_DEFAULT = 2 * 1024 * 1024;

    /** How long an embedded driver waits for a silent client before it frees that client's streams, ns. */
    public static final String CLIENT_LIVENESS_TIMEOUT_PROP_NAME = "zeroshard.aeron.client.liveness.timeout";
    /** Default: 5 s (Aeron's own is 10 s). */
    public static final long CLIENT_LIVENESS_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(5);

    /** How long a UDP image waits for a silent sender before it goes unavailable, ns. */
    public static final String IMAGE_LIVENESS_TIMEOUT_PROP_NAME = "zeroshard.aeron.image.liveness.timeout";
    /** Default: 2 s (Aeron's own is 10 s). */
    public static final long IMAGE_LIVENESS_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(2);

    /** How long a UDP publication stays connected without status messages from its receiver, ns. */
    public static final String PUBLICATION_CONNECTION_TIMEOUT_PROP_NAME =
        "zeroshard.aeron.publication.connection.timeout";
    /** Default: 2 s (Aeron's own is 5 s). */
    public static final long PUBLICATION_CONNECTION_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(2);

    /** Idle strategy of the collective threads and of threaded drivers: backoff, yielding, busy-spin, sleeping. */
    public static final String IDLE_STRATEGY_PROP_NAME = "zeroshard.aeron.idle.strategy";
    /** Default: {@code backoff}; busy spinning starves peers on a machine with fewer cores than threads. */
    public static final String IDLE_STRATEGY_DEFAULT = "backoff";

    /** Largest MTU Aeron accepts, also for IPC. */
    public static final int MAX_MTU_LENGTH = 65504;
    /** Aeron's data frame header ahead of every message, bytes. */
    public static final int AERON_FRAME_HEADER_LENGTH = 32;
    private static final int MIN_MTU_LENGTH = 4096;
    private static final int MIN_TERM_LENGTH = 64 * 1024;
    private static final int MAX_TERM_LENGTH = 1024 * 1024 * 1024;

    /** Where the media driver lives. */
    public enum DriverMode {
        /** Launched in this JVM, in a fresh directory deleted on close. */
        EMBEDDED,
        /** Already running; reached through {@link #directory()}. */
        EXTERNAL
    }

    private DriverMode driverMode;
    private String directory;
    private String baseDirectory;
    private ThreadingMode threadingMode;
    private int termLength;
    private int mtuLength;
    private int socketBufferLength;
    private int receiverWindowLength;
    private long clientLivenessTimeoutNs;
    private long imageLivenessTimeoutNs;
    private long publicationConnectionTimeoutNs;
    private String idleStrategy;
    private boolean concluded;

    /** A config holding the system properties' values, or the defaults where they are not set. */
    public TransportConfig() {
        driverMode = PropertyValues.enumValue(DRIVER_PROP_NAME, DriverMode.class, DRIVER_DEFAULT);
        directory = System.getProperty(DIR_PROP_NAME, DIR_DEFAULT);
        baseDirectory = System.getProperty(BASE_DIR_PROP_NAME, BASE_DIR_DEFAULT);
        threadingMode = PropertyValues.enumValue(THREADING_PROP_NAME, ThreadingMode.class, THREADING_DEFAULT);
        termLength = PropertyValues.intValue(TERM_LENGTH_PROP_NAME, TERM_LENGTH_DEFAULT);
        mtuLength = PropertyValues.intValue(MTU_LENGTH_PROP_NAME, MTU_LENGTH_DEFAULT);
        socketBufferLength = PropertyValues.intValue(SOCKET_BUFFER_LENGTH_PROP_NAME, SOCKET_BUFFER_LENGTH_DEFAULT);
        receiverWindowLength = PropertyValues.intValue(RECEIVER_WINDOW_LENGTH_PROP_NAME,
            RECEIVER_WINDOW_LENGTH_DEFAULT);
        clientLivenessTimeoutNs = PropertyValues.durationNs(CLIENT_LIVENESS_TIMEOUT_PROP_NAME,
            CLIENT_LIVENESS_TIMEOUT_DEFAULT_NS);
        imageLivenessTimeoutNs = PropertyValues.durationNs(IMAGE_LIVENESS_TIMEOUT_PROP_NAME,
            IMAGE_LIVENESS_TIMEOUT_DEFAULT_NS);
        publicationConnectionTimeoutNs = PropertyValues.durationNs(PUBLICATION_CONNECTION_TIMEOUT_PROP_NAME,
            PUBLICATION_CONNECTION_TIMEOUT_DEFAULT_NS);
        idleStrategy = System.getProperty(IDLE_STRATEGY_PROP_NAME, IDLE_STRATEGY_DEFAULT);
    }

    /**
     * Validates every setting and derives the frame size. Reports all violated rules at once, each with its
     * property name and value.
     *
     * @throws ConfigException listing every violation.
     */
    public TransportConfig conclude() {
        final List<ConfigError> errors = new ArrayList<>();
        if (driverMode == null) {
            errors.add(new ConfigError(DRIVER_PROP_NAME, "null", "must be embedded or external"));
        }
        if (driverMode == DriverMode.EXTERNAL && (directory == null || directory.isBlank())) {
            errors.add(new ConfigError(DIR_PROP_NAME, String.valueOf(directory),
                "an external driver needs its directory"));
        }
        if (driverMode == DriverMode.EMBEDDED && (baseDirectory == null || baseDirectory.isBlank())) {
            errors.add(new ConfigError(BASE_DIR_PROP_NAME, String.valueOf(baseDirectory),
                "an embedded driver needs a parent directory"));
        }
        if (threadingMode == null) {
            errors.add(new ConfigError(THREADING_PROP_NAME, "null",
                "must be INVOKER, SHARED, SHARED_NETWORK or DEDICATED"));
        }
        if (!BitUtil.isPowerOfTwo(termLength) || termLength < MIN_TERM_LENGTH || termLength > MAX_TERM_LENGTH) {
            errors.add(new ConfigError(TERM_LENGTH_PROP_NAME, Integer.toString(termLength),
                "must be a power of two from " + MIN_TERM_LENGTH + " to " + MAX_TERM_LENGTH));
        }
        if (mtuLength < MIN_MTU_LENGTH || mtuLength > MAX_MTU_LENGTH || (mtuLength & 31) != 0) {
            errors.add(new ConfigError(MTU_LENGTH_PROP_NAME, Integer.toString(mtuLength),
                "must be a multiple of 32 from " + MIN_MTU_LENGTH + " to MAX_MTU_LENGTH=" + MAX_MTU_LENGTH));
        } else if (BitUtil.isPowerOfTwo(termLength) && mtuLength > termLength / 8) {
            errors.add(new ConfigError(MTU_LENGTH_PROP_NAME, Integer.toString(mtuLength),
                "must not exceed the maximum message length termLength/8=" + termLength / 8
                    + " (termLength=" + termLength + ")"));
        }
        if (socketBufferLength < mtuLength) {
            errors.add(new ConfigError(SOCKET_BUFFER_LENGTH_PROP_NAME, Integer.toString(socketBufferLength),
                "must hold at least one frame: >= mtuLength=" + mtuLength));
        }
        if (receiverWindowLength < mtuLength || receiverWindowLength > termLength / 2) {
            errors.add(new ConfigError(RECEIVER_WINDOW_LENGTH_PROP_NAME, Integer.toString(receiverWindowLength),
                "must lie between mtuLength=" + mtuLength + " and termLength/2=" + termLength / 2));
        }
        positive(errors, CLIENT_LIVENESS_TIMEOUT_PROP_NAME, clientLivenessTimeoutNs);
        positive(errors, IMAGE_LIVENESS_TIMEOUT_PROP_NAME, imageLivenessTimeoutNs);
        positive(errors, PUBLICATION_CONNECTION_TIMEOUT_PROP_NAME, publicationConnectionTimeoutNs);
        if (!List.of("backoff", "yielding", "busy-spin", "sleeping").contains(idleStrategy)) {
            errors.add(new ConfigError(IDLE_STRATEGY_PROP_NAME, String.valueOf(idleStrategy),
                "must be backoff, yielding, busy-spin or sleeping"));
        }
        ConfigException.throwIfAny(errors);
        concluded = true;
        return this;
    }

    /** Whether {@link #conclude()} has validated this config. */
    public boolean isConcluded() {
        return concluded;
    }

    /** A fresh idle strategy of the configured kind (idle strategies hold per-thread state: one per thread). */
    public IdleStrategy newIdleStrategy() {
        switch (idleStrategy) {
            case "yielding":
                return new YieldingIdleStrategy();
            case "busy-spin":
                return new BusySpinIdleStrategy();
            case "sleeping":
                return new SleepingIdleStrategy(TimeUnit.MICROSECONDS.toNanos(100));
            default:
                // spin briefly, then yield, then park 1 to 100 µs: cheap when busy, polite when idle
                return new BackoffIdleStrategy(20, 50, TimeUnit.MICROSECONDS.toNanos(1),
                    TimeUnit.MICROSECONDS.toNanos(100));
        }
    }

    /** Largest payload one unfragmented Aeron message carries on the ring's channels, bytes. */
    public int maxMessagePayloadLength() {
        return mtuLength - AERON_FRAME_HEADER_LENGTH;
    }

    public DriverMode driverMode() {
        return driverMode;
    }

    public TransportConfig driverMode(final DriverMode driverMode) {
        checkNotConcluded();
        this.driverMode = driverMode;
        return this;
    }

    public String directory() {
        return directory;
    }

    public TransportConfig directory(final String directory) {
        checkNotConcluded();
        this.directory = directory;
        return this;
    }

    public String baseDirectory() {
        return baseDirectory;
    }

    public TransportConfig baseDirectory(final String baseDirectory) {
        checkNotConcluded();
        this.baseDirectory = baseDirectory;
        return this;
    }

    public ThreadingMode threadingMode() {
        return threadingMode;
    }

    public TransportConfig threadingMode(final ThreadingMode threadingMode) {
        checkNotConcluded();
        this.threadingMode = threadingMode;
        return this;
    }

    public int termLength() {
        return termLength;
    }

    public TransportConfig termLength(final int termLength) {
        checkNotConcluded();
        this.termLength = termLength;
        return this;
    }

    public int mtuLength() {
        return mtuLength;
    }

    public TransportConfig mtuLength(final int mtuLength) {
        checkNotConcluded();
        this.mtuLength = mtuLength;
        return this;
    }

    public int socketBufferLength() {
        return socketBufferLength;
    }

    public TransportConfig socketBufferLength(final int socketBufferLength) {
        checkNotConcluded();
        this.socketBufferLength = socketBufferLength;
        return this;
    }

    public int receiverWindowLength() {
        return receiverWindowLength;
    }

    public TransportConfig receiverWindowLength(final int receiverWindowLength) {
        checkNotConcluded();
        this.receiverWindowLength = receiverWindowLength;
        return this;
    }

    public long clientLivenessTimeoutNs() {
        return clientLivenessTimeoutNs;
    }

    public TransportConfig clientLivenessTimeoutNs(final long clientLivenessTimeoutNs) {
        checkNotConcluded();
        this.clientLivenessTimeoutNs = clientLivenessTimeoutNs;
        return this;
    }

    public long imageLivenessTimeoutNs() {
        return imageLivenessTimeoutNs;
    }

    public TransportConfig imageLivenessTimeoutNs(final long imageLivenessTimeoutNs) {
        checkNotConcluded();
        this.imageLivenessTimeoutNs = imageLivenessTimeoutNs;
        return this;
    }

    public long publicationConnectionTimeoutNs() {
        return publicationConnectionTimeoutNs;
    }

    public TransportConfig publicationConnectionTimeoutNs(final long publicationConnectionTimeoutNs) {
        checkNotConcluded();
        this.publicationConnectionTimeoutNs = publicationConnectionTimeoutNs;
        return this;
    }

    public String idleStrategy() {
        return idleStrategy;
    }

    public TransportConfig idleStrategy(final String idleStrategy) {
        checkNotConcluded();
        this.idleStrategy = idleStrategy;
        return this;
    }

    @Override
    public String toString() {
        return "TransportConfig{driver=" + driverMode + ", dir=" + directory + ", baseDir=" + baseDirectory
            + ", threading=" + threadingMode + ", termLength=" + termLength + ", mtuLength=" + mtuLength
            + ", socketBufferLength=" + socketBufferLength + ", receiverWindowLength=" + receiverWindowLength
            + ", clientLivenessTimeoutNs=" + clientLivenessTimeoutNs + ", imageLivenessTimeoutNs="
            + imageLivenessTimeoutNs + ", publicationConnectionTimeoutNs=" + publicationConnectionTimeoutNs
            + ", idleStrategy=" + idleStrategy + '}';
    }

    private void checkNotConcluded() {
        if (concluded) {
            throw new IllegalStateException("TransportConfig is concluded; build a new one to change it");
        }
    }

    private static void positive(final List<ConfigError> errors, final String name, final long valueNs) {
        if (valueNs <= 0) {
            errors.add(new ConfigError(name, valueNs + "ns", "must be positive"));
        }
    }

    private static String defaultBaseDir() {
        final Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return shm.toString();
        }
        return System.getProperty("java.io.tmpdir") + File.separator;
    }
}
