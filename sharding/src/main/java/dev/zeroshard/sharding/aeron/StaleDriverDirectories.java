package dev.zeroshard.sharding.aeron;

import io.aeron.CommonContext;
import org.agrona.IoUtil;

import java.io.File;
import java.nio.file.Files;
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
 * <p>A directory is stale when its name is an embedded driver's ({@code zeroshard-aeron-<pid>-<n>-<hex>}), it is not
 * one this JVM's drivers use, no other process with that pid runs here, and neither the directory nor its driver's
 * heartbeat has moved for {@link #DRIVER_SILENCE}. The heartbeat keeps a live driver whose process is in another pid
 * namespace (a container sharing the directory) safe from a pid that merely looks dead from here. This process's
 * own pid is no proof of life: a container restarted in its pod (whose {@code /dev/shm} survives the restart) often
 * gets the pid its killed predecessor had. Symbolic links are never followed.
 */
public final class StaleDriverDirectories {
    /** Aeron's own default driver timeout: a driver silent this long is dead to its clients too. */
    public static final Duration DRIVER_SILENCE = Duration.ofSeconds(10);

    private static final System.Logger LOG = System.getLogger(StaleDriverDirectories.class.getName());
    private static final Pattern EMBEDDED_DRIVER_NAME = Pattern.compile("zeroshard-aeron-(\\d+)-\\d+-[0-9a-f]+");
    /** Absolute paths of the directories this JVM's embedded drivers use now. */
    private static final Set<String> OWN = ConcurrentHashMap.newKeySet();

    private StaleDriverDirectories() {
    }

    /** The name an embedded driver of this process gets for its {@code counter}-th directory. */
    static String embeddedName(final long pid, final long counter, final long random) {
        return "zeroshard-aeron-" + pid + "-" + counter + "-" + Long.toHexString(random);
    }

    /** Marks {@code directory} as one of this JVM's drivers' before the driver creates it: never removed. */
    static void claim(final File directory) {
        OWN.add(directory.getAbsolutePath());
    }

    /** The driver of {@code directory} has closed. */
    static void release(final File directory) {
        OWN.remove(directory.getAbsolutePath());
    }

    /**
     * Deletes the stale driver directories directly under {@code baseDirectory}; never throws for one it cannot
     * delete (it logs and goes on).
     *
     * @return the directories deleted.
     */
    public static List<File> remove(final File baseDirectory) {
        return remove(baseDirectory, DRIVER_SILENCE);
    }

    /** As {@link #remove(File)}, with a driver counted dead after {@code silence} without a heartbeat. */
    static synchronized List<File> remove(final File baseDirectory, final Duration silence) {
        final List<File> removed = new ArrayList<>();
        final File[] children = baseDirectory.listFiles();
        if (children == null) {
            return removed;
        }
        final long self = ProcessHandle.current().pid();
        for (final File child : children) {
            final Matcher name = EMBEDDED_DRIVER_NAME.matcher(child.getName());
            if (!name.matches() || Files.isSymbolicLink(child.toPath()) || !child.isDirectory()) {
                continue;
            }
            final long pid;
            try {
                pid = Long.parseLong(name.group(1));
            } catch (final NumberFormatException ex) {
                continue;
            }
            if (OWN.contains(child.getAbsolutePath()) || pid != self && ProcessHandle.of(pid).isPresent()
                || mayBeAlive(child, silence)) {
                continue;
            }
            // another driver starting now (in this JVM or another) may be removing it too: failures are ignored
            // here and judged by what is left
            IoUtil.delete(child, true);
            if (child.exists()) {
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
     * Whether the driver of {@code directory} heartbeated within {@code silence}, or the directory changed within it
     * (a driver still creating its CnC file), or its CnC file cannot be read now: any doubt keeps it.
     */
    private static boolean mayBeAlive(final File directory, final Duration silence) {
        if (System.currentTimeMillis() - directory.lastModified() < silence.toMillis()) {
            return true;
        }
        try {
            return CommonContext.isDriverActive(directory, silence.toMillis(), message -> { });
        } catch (final Exception ex) {
            // Aeron rethrows I/O failures unchecked: the file went or changed under us
            return true;
        }
    }
}
