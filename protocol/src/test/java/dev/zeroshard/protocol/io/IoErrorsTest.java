package dev.zeroshard.protocol.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IoErrorsTest {
    @Test
    void shouldSayWhichFileAFailureWithoutOneWasAbout() {
        final IOException full = new IOException("No space left on device");

        final IOException named = IoErrors.naming(full, "writing", Path.of("/ckpt/rank-00000.safetensors"));

        assertThat(named).hasMessage("writing /ckpt/rank-00000.safetensors: No space left on device").hasCause(full);
    }

    @Test
    void shouldKeepAFailureThatNamesItsFileAlready() {
        final IOException missing = new NoSuchFileException("/ckpt/x");

        assertThat(IoErrors.naming(missing, "writing", Path.of("/ckpt/y"))).isSameAs(missing);
    }

    @Test
    void shouldLeaveNoTemporaryBehindWhenAnAtomicWriteFails(@TempDir final Path dir) throws IOException {
        // a target that is a non-empty directory cannot be replaced: the rename fails after the write
        final Path target = Files.createDirectories(dir.resolve("jobs.pb"));
        Files.writeString(target.resolve("inside"), "x");

        assertThatThrownBy(() -> DurableFiles.writeAtomically(target, new byte[] {1, 2, 3}))
            .isInstanceOf(IOException.class);

        assertThat(dir.resolve(".jobs.pb.tmp")).doesNotExist();
        assertThat(target.resolve("inside")).hasContent("x");
    }
}
