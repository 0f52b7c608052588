package dev.zeroshard.sharding.aeron;

import io.aeron.driver.ThreadingMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AeronDriverTest {
    @TempDir
    Path baseDir;

    @Test
    void shouldLaunchInAFreshDirectoryAndDeleteItWhenClosed() throws Exception {
        final TransportConfig config = new TransportConfig().baseDirectory(baseDir.toString())
            .threadingMode(ThreadingMode.INVOKER).conclude();
        final AeronDriver first = AeronDriver.launch(config);
        final AeronDriver second = AeronDriver.launch(config);
        try {
            assertThat(first.isEmbedded()).isTrue();
            assertThat(first.agentInvoker()).as("INVOKER mode: run by its owner").isNotNull();
            assertThat(first.directoryName()).isNotEqualTo(second.directoryName()).startsWith(baseDir.toString());
            assertThat(new File(first.directoryName())).isDirectory();
        } finally {
            first.close();
            second.close();
        }
        try (var left = Files.list(baseDir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void shouldLeaveAnExternalDriverAloneWhenClosed() {
        final AeronDriver external = AeronDriver.external(new TransportConfig()
            .driverMode(TransportConfig.DriverMode.EXTERNAL).directory(baseDir.toString()).conclude());
        external.close();
        assertThat(external.isEmbedded()).isFalse();
        assertThat(external.agentInvoker()).isNull();
        assertThat(baseDir).isDirectory();
    }
}
