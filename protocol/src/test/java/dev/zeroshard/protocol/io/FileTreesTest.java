package dev.zeroshard.protocol.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class FileTreesTest {
    @TempDir
    Path dir;

    @Test
    void shouldDeleteATreeButNeverWhatALinkInsideItPointsTo() throws IOException {
        final Path outside = Files.createDirectories(dir.resolve("outside"));
        final Path kept = Files.writeString(outside.resolve("kept.txt"), "keep me");
        final Path root = Files.createDirectories(dir.resolve("root/a/b"));
        Files.writeString(root.resolve("file.bin"), "x");
        Files.createSymbolicLink(dir.resolve("root/a/link"), outside);
        Files.createSymbolicLink(dir.resolve("root/file-link"), kept);

        FileTrees.delete(dir.resolve("root"));

        assertThat(dir.resolve("root")).doesNotExist();
        assertThat(kept).hasContent("keep me");
    }

    @Test
    void shouldDeleteALinkGivenAsTheRootButNotItsTarget() throws IOException {
        final Path target = Files.createDirectories(dir.resolve("target"));
        Files.writeString(target.resolve("f"), "x");
        final Path link = Files.createSymbolicLink(dir.resolve("link"), target);

        FileTrees.delete(link);

        assertThat(Files.exists(link, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(target.resolve("f")).exists();
    }

    @Test
    void shouldDoNothingWhenTheRootDoesNotExist() throws IOException {
        FileTrees.delete(dir.resolve("missing"));

        assertThat(dir).isEmptyDirectory();
    }
}
