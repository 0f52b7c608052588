package dev.zeroshard.sharding.aeron;

import io.aeron.CncFileDescriptor;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which leftovers an embedded driver removes before it starts: a dead process's driver directory, once its driver
 * has been silent long enough, and nothing else.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StaleDriverDirectoriesTest {
    @TempDir
    Path baseDir;

    @Test
    void shouldRemoveADeadProcesssDirectoryOnceItsDriverIsSilentAndKeepEverythingElse() throws Exception {
        final long dead = deadPid();
        final Path stale = baseDir.resolve(StaleDriverDirectories.embeddedName(dead, 1, 0xabcL));
        // a killed predecessor that had this process's pid: a container restarted in its pod
        final Path predecessor = Files.createDirectories(baseDir.resolve(
            StaleDriverDirectories.embeddedName(ProcessHandle.current().pid(), 99, 0x1L)));
        final long parent = ProcessHandle.current().parent().orElseThrow().pid();
        final Path running = Files.createDirectories(baseDir.resolve(
            StaleDriverDirectories.embeddedName(parent, 1, 0x2L)));
        final Path unrelated = Files.createDirectories(baseDir.resolve("zeroshard-aeron-notes"));
        final Path link = Files.createSymbolicLink(baseDir.resolve(StaleDriverDirectories.embeddedName(dead, 2, 0x3L)),
            unrelated);

        // what a SIGKILLed driver leaves: a real CnC file whose heartbeat no longer moves
        final AeronDriver driver = AeronDriver.launchEmbedded(new TransportConfig().baseDirectory(baseDir.toString())
            .threadingMode(ThreadingMode.INVOKER).conclude());
        try {
            copyTree(Path.of(driver.directoryName()), stale);
        } finally {
            driver.close();
        }
        // a link planted inside: removing the directory must not empty what it points to
        final Path outside = Files.createDirectories(baseDir.resolve("outside"));
        Files.writeString(outside.resolve("keep.txt"), "kept");
        Files.createSymbolicLink(stale.resolve("planted"), outside);

        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        assertThat(StaleDriverDirectories.remove(baseDir.toFile()))
            .as("a driver that heartbeated a moment ago is not yet taken for dead").isEmpty();
        // a driver of this JVM that nobody invokes: its heartbeat stops, its directory is still in use
        try (AeronDriver idle = AeronDriver.launchEmbedded(new TransportConfig().baseDirectory(baseDir.toString())
            .threadingMode(ThreadingMode.INVOKER).conclude())) {
            final Path inUse = Path.of(idle.directoryName());
            Files.setLastModifiedTime(inUse, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
            Thread.sleep(600);
            final Path starting = Files.createDirectories(baseDir.resolve(
                StaleDriverDirectories.embeddedName(dead, 3, 0x4L)));
            assertThat(StaleDriverDirectories.remove(baseDir.toFile(), Duration.ofMillis(500)))
                .containsExactlyInAnyOrder(stale.toFile(), predecessor.toFile());
            assertThat(stale).doesNotExist();
            assertThat(predecessor).doesNotExist();
            assertThat(inUse).as("the directory of a driver this JVM runs").isDirectory();
            assertThat(starting).as("a directory created a moment ago, before its CnC file").isDirectory();
        }
        assertThat(outside.resolve("keep.txt")).as("what a link inside a stale directory points to").exists();
        assertThat(running).as("the directory of a running process").isDirectory();
        assertThat(unrelated).as("a name that is no driver's").isDirectory();
        assertThat(link).as("a symbolic link, never followed").isSymbolicLink();
        assertThat(unrelated).as("the link's target").isDirectory();
    }

    @Test
    void shouldKeepALiveDriversDirectoryWhoseNameCarriesAPidThatLooksDeadFromHere() throws Exception {
        // a rank in another pid namespace sharing the directory: its pid means nothing here, its heartbeat does
        final Path foreign = baseDir.resolve(StaleDriverDirectories.embeddedName(deadPid(), 1, 0xdL));
        final Duration silence = Duration.ofSeconds(3);
        try (MediaDriver live = MediaDriver.launch(new MediaDriver.Context().aeronDirectoryName(foreign.toString())
            .threadingMode(ThreadingMode.SHARED).dirDeleteOnStart(true).dirDeleteOnShutdown(true))) {
            Thread.sleep(silence.toMillis() + 500);
            assertThat(StaleDriverDirectories.remove(baseDir.toFile(), silence)).isEmpty();
            assertThat(foreign).isDirectory();
        }
    }

    @Test
    void shouldRemoveWhatADeadProcesssDriverLeftWhenAnEmbeddedDriverLaunches() throws Exception {
        final Path stale = Files.createDirectories(baseDir.resolve(StaleDriverDirectories.embeddedName(deadPid(), 7,
            0xeL)).resolve("publications"));
        Files.write(stale.resolve("1.logbuffer"), new byte[4096]);
        Files.setLastModifiedTime(stale.getParent(), FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        try (AeronDriver driver = AeronDriver.launchEmbedded(new TransportConfig().baseDirectory(baseDir.toString())
            .threadingMode(ThreadingMode.INVOKER).conclude())) {
            assertThat(stale.getParent()).doesNotExist();
            assertThat(new File(driver.directoryName())).isDirectory();
        }
    }

    @Test
    void shouldRemoveADriverThatDiedBeforeItsCncFileWasReadyWithoutWaitingForIt() throws Exception {
        final Path unready = Files.createDirectories(baseDir.resolve(StaleDriverDirectories.embeddedName(deadPid(), 5,
            0x5L)));
        final Path cnc = unready.resolve(CncFileDescriptor.CNC_FILE);
        Files.write(cnc, new byte[CncFileDescriptor.END_OF_METADATA_OFFSET + 4096]);
        final FileTime anHourAgo = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
        Files.setLastModifiedTime(cnc, anHourAgo);
        Files.setLastModifiedTime(unready, anHourAgo);
        assertThat(StaleDriverDirectories.remove(baseDir.toFile())).containsExactly(unready.toFile());
    }

    /** The pid of a process that has exited. */
    private static long deadPid() throws Exception {
        final Process process = new ProcessBuilder("true").start();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        final long pid = process.pid();
        assertThat(ProcessHandle.of(pid)).as("process %d has exited", pid).isEmpty();
        return pid;
    }

    private static void copyTree(final Path from, final Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (final Path path : (Iterable<Path>) paths::iterator) {
                Files.copy(path, to.resolve(from.relativize(path).toString()));
            }
        }
    }
}
