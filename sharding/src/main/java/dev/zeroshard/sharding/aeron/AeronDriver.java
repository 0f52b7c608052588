package dev.zeroshard.sharding.aeron;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.ErrorHandler;
import org.agrona.IoUtil;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.io.File;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A media driver the ranks' Aeron clients talk to: one this JVM launched (embedded) or one already running
 * (external).
 *
 * <p>An embedded driver gets a fresh directory under {@link TransportConfig#baseDirectory()}, named after this
 * process and a counter so that concurrent drivers never meet, and deletes it on {@link #close()}. Before it starts,
 * it removes what drivers of dead processes left there ({@link StaleDriverDirectories}): a SIGKILLed rank cannot
 * delete its own directory. In {@link ThreadingMode#INVOKER} mode it starts no thread: every
 * communicator on it calls {@link #agentInvoker()} in its own duty cycle and whichever gets there first runs the
 * driver's cycle ({@link SharedDriverInvoker}), so ranks run as threads share an IPC driver without one more thread
 * competing for the cores. Threaded modes may be shared too.
 *
 * <p>Thread-safe: launching and closing are one-shot; {@link #connectClient} may be called from any thread.
 */
public final class AeronDriver implements AutoCloseable {
    private static final AtomicLong DRIVER_COUNTER = new AtomicLong();

    private final TransportConfig config;
    private final MediaDriver mediaDriver;
    private final String directoryName;
    private final AgentInvoker invoker;
    private final AtomicBoolean closed = new AtomicBoolean();

    private AeronDriver(final TransportConfig config, final MediaDriver mediaDriver, final String directoryName) {
        this.config = config;
        this.mediaDriver = mediaDriver;
        this.directoryName = directoryName;
        this.invoker = mediaDriver == null || mediaDriver.sharedAgentInvoker() == null ? null
            : new SharedDriverInvoker(mediaDriver.sharedAgentInvoker());
    }

    /** Launches an embedded driver or names the external one, as {@link TransportConfig#driverMode()} says. */
    public static AeronDriver launch(final TransportConfig config) {
        return concluded(config).driverMode() == TransportConfig.DriverMode.EXTERNAL
            ? external(config) : launchEmbedded(config);
    }

    /** Launches a driver in this JVM, in a fresh directory under the configured base directory. */
    public static AeronDriver launchEmbedded(final TransportConfig config) {
        concluded(config);
        final File baseDirectory = new File(config.baseDirectory());
        IoUtil.ensureDirectoryExists(baseDirectory, "zeroshard aeron base directory");
        StaleDriverDirectories.remove(baseDirectory);
        final String directoryName = new File(baseDirectory, StaleDriverDirectories.embeddedName(
            ProcessHandle.current().pid(), DRIVER_COUNTER.incrementAndGet(),
            ThreadLocalRandom.current().nextLong() & 0xffff_ffffL)).getAbsolutePath();
        final MediaDriver.Context context = new MediaDriver.Context()
            .aeronDirectoryName(directoryName)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .warnIfDirectoryExists(false)
            .threadingMode(config.threadingMode())
            .sharedIdleStrategy(config.newIdleStrategy())
            .sharedNetworkIdleStrategy(config.newIdleStrategy())
            .conductorIdleStrategy(config.newIdleStrategy())
            .senderIdleStrategy(config.newIdleStrategy())
            .receiverIdleStrategy(config.newIdleStrategy())
            .mtuLength(config.mtuLength())
            .ipcMtuLength(config.mtuLength())
            .publicationTermBufferLength(config.termLength())
            .ipcTermBufferLength(config.termLength())
            .initialWindowLength(config.receiverWindowLength())
            .socketRcvbufLength(config.socketBufferLength())
            .socketSndbufLength(config.socketBufferLength())
            .clientLivenessTimeoutNs(config.clientLivenessTimeoutNs())
            .imageLivenessTimeoutNs(config.imageLivenessTimeoutNs())
            .publicationConnectionTimeoutNs(config.publicationConnectionTimeoutNs())
            .spiesSimulateConnection(false);
        StaleDriverDirectories.claim(new File(directoryName));
        final MediaDriver mediaDriver;
        try {
            mediaDriver = MediaDriver.launch(context);
        } catch (RuntimeException | Error failure) {
            StaleDriverDirectories.release(new File(directoryName));
            throw failure;
        }
        return new AeronDriver(config, mediaDriver, mediaDriver.aeronDirectoryName());
    }

    /** A driver that runs elsewhere, in {@link TransportConfig#directory()}; closing it leaves it running. */
    public static AeronDriver external(final TransportConfig config) {
        concluded(config);
        return new AeronDriver(config, null, config.directory());
    }

    /**
     * Connects a new Aeron client to this driver. The client runs no thread of its own: its owner calls
     * {@link Aeron#conductorAgentInvoker()} in its duty cycle (and, for an {@link ThreadingMode#INVOKER} driver,
     * {@link #agentInvoker()} too; the client invokes the driver itself while it waits for the driver's replies).
     *
     * @param clientName   shows in the driver's logs and counters.
     * @param errorHandler receives the client's asynchronous errors (driver timeouts, unavailable channels).
     */
    public Aeron connectClient(final String clientName, final ErrorHandler errorHandler) {
        Objects.requireNonNull(errorHandler, "errorHandler");
        if (closed.get()) {
            throw new IllegalStateException("driver " + directoryName + " is closed");
        }
        final Aeron.Context context = new Aeron.Context()
            .aeronDirectoryName(directoryName)
            .clientName(clientName)
            .useConductorAgentInvoker(true)
            .driverAgentInvoker(agentInvoker())
            .awaitingIdleStrategy(new YieldingIdleStrategy())
            .errorHandler(errorHandler)
            .subscriberErrorHandler(errorHandler);
        return Aeron.connect(context);
    }

    /**
     * The driver's duty cycle for the communicators on it to run (safe from several threads: one runs it at a time),
     * or null when the driver runs its own threads or elsewhere.
     */
    public AgentInvoker agentInvoker() {
        return invoker;
    }

    /** Whether this JVM launched the driver (and deletes its directory on close). */
    public boolean isEmbedded() {
        return mediaDriver != null;
    }

    /** The driver's directory: where clients find it. */
    public String directoryName() {
        return directoryName;
    }

    public TransportConfig config() {
        return config;
    }

    /** Stops an embedded driver and deletes its directory; a no-op for an external driver or a second call. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (mediaDriver != null) {
            try {
                mediaDriver.close();
            } finally {
                // dirDeleteOnShutdown has removed it already; this makes sure even when the driver failed to
                IoUtil.delete(new File(directoryName), true);
                StaleDriverDirectories.release(new File(directoryName));
            }
        }
    }

    @Override
    public String toString() {
        return "AeronDriver{" + (mediaDriver != null ? "embedded " + config.threadingMode() : "external")
            + ", dir=" + directoryName + '}';
    }

    private static TransportConfig concluded(final TransportConfig config) {
        Objects.requireNonNull(config, "config");
        return config.isConcluded() ? config : config.conclude();
    }
}
