package dev.zeroshard.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(120)
class LauncherIT {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Test
    void shouldListCommandsWhenRunWithHelp() throws Exception {
        final LauncherProcess.Result result = LauncherProcess.run(DEADLINE, "--help");

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("Usage: zeroshard", "demo", "config");
    }

    @Test
    void shouldExitWithTwoWhenSubcommandIsUnknown() throws Exception {
        final LauncherProcess.Result result = LauncherProcess.run(DEADLINE, "nosuchcommand");

        assertThat(result.exitCode()).as(result.output()).isEqualTo(2);
        assertThat(result.output()).contains("nosuchcommand");
    }

    @Test
    void shouldResolveDeepSpeedConfigFromFile(@TempDir final Path dir) throws Exception {
        final Path config = Files.writeString(dir.resolve("ds_config.json"), """
            {"train_batch_size": "auto", "train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 4,
             "bf16": {"enabled": true}, "zero_optimization": {"stage": 3}}""");

        final LauncherProcess.Result result =
            LauncherProcess.run(DEADLINE, "config", "resolve", config.toString(), "--world-size", "4");

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).containsPattern("train_batch_size\\s+32\\b");
    }

    @Test
    void shouldRunDemoAndSayWhatItDid() throws Exception {
        final LauncherProcess.Result result = LauncherProcess.run(DEADLINE, "demo", "--steps", "20");

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("step 20/20", "done: loss");
    }
}
