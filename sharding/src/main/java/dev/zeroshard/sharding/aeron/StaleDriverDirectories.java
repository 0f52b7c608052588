package dev.zeroshard.sharding.aeron;

import dev.zeroshard.protocol.io.FileTrees;
import io.aeron.CncFileDescriptor;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The directories that embedded drivers of processes that died without closing them (SIGKILL, the OOM killer, a
 * crashed node's restarted pod sharing the volume) left under a base directory. Each holds the driver's CnC file and
 * log buffers, tens of MiB in {@code /dev/shm} that nothing else would ever free.
 *
 * <p>A directory is stale when its name is an embedded driver's ({@code zeroshard-aeron-<pid>-<n>-<hex>}), it is a
 * real directory owned by this process's user, it is not one this JVM's drivers use, no other process with that pid
 * runs here, and for {@link #DRIVER_SILENCE} neither the directory has changed nor its driver heartbeated. The
 * heartbeat keeps a running driver whose process is in another pid namespace (a container sharing the directory)
 * safe from a pid that merely looks dead from here; a driver that is not running its duty cycle for that long (a
 * paused process) is taken for dead, as its clients take it. This process's own pid is no proof of life: a
 * container restarted in its pod (whose {@code /dev/shm} survives the restart) often gets the pid its killed
 * predecessor had. Deletion never follows a symbolic link, at any depth.
 */
public final class StaleDriverDirectories {
    /** Aeron's own default driver timeout: a driver silent this long is dead to its clients too. */
    public static final Duration DRIVER_SILENCE = Duration.ofSeconds(10);

    private static final System.Logger LOG = System.getLogger(StaleDriverDirectories.class.getName());
    private static final Pattern EMBEDDED_DRIVER_NAME = Pattern.compile("zeroshard-aeron-(\\d+)-\\d+-[0-9a-f]+");
    /** Names of the directories this JVM's embedded drivers use now (unique: they carry pid, counter and salt). */
    private static final Set<String> OWN = ConcurrentHashMap.newKeySet();

    private StaleDriverDirectories() {
    }

    /** The name an embedded driver of this process gets for its {@code counter}-th directory. */
    static String embeddedName(final long pid, final long counter, final long random) {
        return "zeroshard-aeron-" + pid + "-" + counter + "-" + Long.toHexString(random);
    }

    /** Marks {@code directory} as one of this JVM's drivers' before the driver creates it: never removed. */
    static void claim(final File directory) {
        OWN.add(directory.getName());
    }

    /** The driver of {@code directory} has closed. */
    static void release(final File directory) {
        OWN.remove(directory.getName());
    }

    /**
     * Deletes the stale driver directories directly under {@code baseDirectory}. Never throws: what it cannot judge
     * or delete it keeps, and says so in the log.
     *
     * @return the directories deleted.
     */
    public static List<File> remove(final File baseDirectory) {
        try {
            return remove(baseDirectory, DRIVER_SILENCE);
        } catch (final RuntimeException ex) {
            // a sweep that fails must not keep a driver from starting
            LOG.log(System.Logger.Level.WARNING, "could not look for stale Aeron directories in " + baseDirectory, ex);
            return List.of();
        }
    }

    /** As {@link #remove(File)}, with a driver counted dead after {@code silence} without a heartbeat. */
    static synchronized List<File> remove(final File baseDirectory, final Duration silence) {
        final List<File> removed = new ArrayList<>();
        final File[] children = baseDirectory.listFiles();
        if (children == null) {
            return removed;
        }
        final long self = ProcessHandle.current().pid();
        final Object user = ownerOf(Path.of("/proc/self"));
        for (final File child : children) {
            final Matcher name = EMBEDDED_DRIVER_NAME.matcher(child.getName());
            if (!name.matches() || OWN.contains(child.getName())) {
                continue;
            }
            final long pid;
            try {
                pid = Long.parseLong(name.group(1));
            } catch (final NumberFormatException ex) {
                continue;
            }
            final Path path = child.toPath();
            if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) || user == null || !user.equals(ownerOf(path))
                || pid != self && ProcessHandle.of(pid).isPresent() || mayBeAlive(child, silence)) {
                continue;
            }
            try {
                FileTrees.delete(path);
            } catch (final IOException | RuntimeException ex) {
                // another driver starting now (in this JVM or another) may be removing it too
                LOG.log(System.Logger.Level.DEBUG, "while removing " + child, ex);
            }
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                LOG.log(System.Logger.Level.WARNING, "could not remove the stale Aeron directory " + child
                    + " of process " + pid + ", which is not running");
            } else {
                removed.add(child);
                LOG.log(System.Logger.Level.INFO, "removed " + child + ": the Aeron directory of process " + pid
                    + ", which is not running, whose driver has been silent for over " + silence.toMillis() + " ms");
            }
        }
        return removed;
    }

    /**
     * Whether the directory changed within {@code silence} (a driver still creating its CnC file) or its driver
     * heartbeated within it; any doubt (a CnC file that cannot be read) keeps it. Never waits: a CnC file whose driver
     * died before marking it ready counts as silent since it was last written.
     */
    private static boolean mayBeAlive(final File directory, final Duration silence) {
        final long now = System.currentTimeMillis();
        final long silenceMs = silence.toMillis();
        if (now - directory.lastModified() < silenceMs) {
            return true;
        }
        final File cncFile = new File(directory, CncFileDescriptor.CNC_FILE);
        if (!cncFile.isFile() || cncFile.length() < CncFileDescriptor.END_OF_METADATA_OFFSET) {
            return cncFile.exists() && now - cncFile.lastModified() < silenceMs;
        }
        try {
            final MappedByteBuffer cnc = IoUtil.mapExistingFile(cncFile, "cnc");
            try {
                final UnsafeBuffer metaData = CncFileDescriptor.createMetaDataBuffer(cnc);
                if (metaData.getIntVolatile(CncFileDescriptor.cncVersionOffset(0)) == 0) {
                    return now - cncFile.lastModified() < silenceMs;
                }
                final long heartbeatMs = new ManyToOneRingBuffer(CncFileDescriptor.createToDriverBuffer(cnc, metaData))
                    .consumerHeartbeatTime();
                return now - heartbeatMs < silenceMs;
            } finally {
                IoUtil.unmap(cnc);
            }
        } catch (final Exception | InternalError ex) {
            // Aeron and Agrona rethrow I/O failures unchecked; a mapping truncated under us faults as InternalError
            return true;
        }
    }

    /** The owner of {@code path} (a uid where the file system has one), not following links; null if unknown. */
    private static Object ownerOf(final Path path) {
        try {
            return Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (final IOException | UnsupportedOperationException | IllegalArgumentException ex) {
            return null;
        }
    }

}
