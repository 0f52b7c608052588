package dev.zeroshard.sharding.aeron;

import io.aeron.CommonContext;
import org.agrona.IoUtil;

import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The directories that embedded drivers of processes that died without closing them (SIGKILL, the OOM killer, a
 * crashed node's restarted pod sharing the volume) left under a base directory. Each holds the driver's CnC file and
 * log buffers, tens of MiB in {@code /dev/shm} that nothing else would ever free.
 *
 * <p>A directory is stale when its name is an embedded driver's ({@code zeroshard-aeron-<pid>-<n>-<hex>}), no
 * process with that pid runs here, and its driver has not heartbeated for {@link #DRIVER_SILENCE}: the second test
 * keeps a live driver whose process is in another pid namespace (a container sharing the directory) safe from a pid
 * that merely looks dead from here. Symbolic links are never followed.
 */
public final class StaleDriverDirectories {
    /** Aeron's own default driver timeout: a driver silent this long is dead to its clients too. */
    public static final Duration DRIVER_SILENCE = Duration.ofSeconds(10);

    private static final System.Logger LOG = System.getLogger(StaleDriverDirectories.class.getName());
    private static final Pattern EMBEDDED_DRIVER_NAME = Pattern.compile("zeroshard-aeron-(\\d+)-\\d+-[0-9a-f]+");

    private StaleDriverDirectories() {
    }

    /** The name an embedded driver of this process gets for its {@code counter}-th directory. */
    static String embeddedName(final long pid, final long counter, final long random) {
        return "zeroshard-aeron-" + pid + "-" + counter + "-" + Long.toHexString(random);
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
    static List<File> remove(final File baseDirectory, final Duration silence) {
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
            if (pid == self || ProcessHandle.of(pid).isPresent()
                || CommonContext.isDriverActive(child, silence.toMillis(), message -> { })) {
                continue;
            }
            try {
                IoUtil.delete(child, false);
                removed.add(child);
                LOG.log(System.Logger.Level.INFO, "removed " + child + ": the Aeron directory of process " + pid
                    + ", which is not running, whose driver has been silent for over " + silence.toMillis() + " ms");
            } catch (final RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "could not remove the stale Aeron directory " + child, ex);
            }
        }
        return removed;
    }
}
