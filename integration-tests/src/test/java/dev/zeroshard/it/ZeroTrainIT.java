package dev.zeroshard.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code zeroshard train --ranks N}: ranks as separate JVMs on real Aeron UDP. Stages 0 and 3 give the same bits
 * (losses, gradient norms, final weights) across processes, a rank killed mid-run makes the job stop with an
 * error that names it instead of hanging, and the checkpoints it committed survive and resume on another world
 * size and stage.
 */
@Timeout(300)
class ZeroTrainIT {
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final String MODEL = """
        {"model_type": "gpt2", "vocab_size": 256, "n_positions": 64, "n_embd": 64, "n_layer": 2, "n_head": 2}""";

    private static String deepspeed(final int stage) {
        return """
            {"train_micro_batch_size_per_gpu": 4, "gradient_clipping": 1.0, "steps_per_print": 1,
             "zero_optimization": {"stage": %d, "overlap_comm": true, "reduce_bucket_size": 20000,
               "allgather_bucket_size": 30000, "stage3_param_persistence_threshold": 1000},
             "optimizer": {"type": "AdamW", "params": {"lr": 3e-3, "weight_decay": 0.1}}}""".formatted(stage);
    }

    @Test
    void shouldGiveTheSameBitsAtStageZeroAndStageThreeAcrossThreeJvms(@TempDir final Path dir) throws Exception {
        final Path model = Files.writeString(dir.resolve("config.json"), MODEL);
        for (final int stage : new int[] {0, 3}) {
            final Path ds = Files.writeString(dir.resolve("ds" + stage + ".json"), deepspeed(stage));
            final LauncherProcess.Result result = LauncherProcess.run(DEADLINE, "train", "--ranks", "3",
                "--deepspeed", ds.toString(), "--model", model.toString(), "--steps", "8", "--seq", "32",
                "--metrics-out", dir.resolve("metrics" + stage + ".jsonl").toString(),
                "--save-weights", dir.resolve("weights" + stage + ".safetensors").toString());
            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output()).contains("rank 0 of 3: ZeRO stage " + stage, "step 8/8", "rank 0 done");
        }

        final List<String> stage0 = lossesAndNorms(dir.resolve("metrics0.jsonl"));
        final List<String> stage3 = lossesAndNorms(dir.resolve("metrics3.jsonl"));
        assertThat(stage0).hasSize(8);
        assertThat(stage3).as("stage 3 losses and gradient norms, every digit").isEqualTo(stage0);
        assertThat(Files.readAllBytes(dir.resolve("weights3.safetensors")))
            .as("final weights of stage 3 vs stage 0").isEqualTo(Files.readAllBytes(dir.resolve("weights0.safetensors")));
    }

    @Test
    void shouldStopNamingTheRankWhenOneIsKilledMidRun(@TempDir final Path dir) throws Exception {
        final Path model = Files.writeString(dir.resolve("config.json"), MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), deepspeed(2));
        final LauncherProcess.Running running = LauncherProcess.start("train", "--ranks", "3", "--deepspeed",
            ds.toString(), "--model", model.toString(), "--steps", "100000", "--seq", "32");

        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!running.output().contains("step 3/") && System.nanoTime() < until && running.process().isAlive()) {
            Thread.sleep(100);
        }
        assertThat(running.output()).as("the job got going").contains("step 3/");
        final Optional<ProcessHandle> rank1 = running.process().descendants()
            .filter(p -> LauncherProcess.hasArgument(p, "--rank=1"))
            .findFirst();
        assertThat(rank1).as("rank 1's JVM").isPresent();
        rank1.get().destroyForcibly();

        final LauncherProcess.Result result = running.await(DEADLINE);
        assertThat(result.exitCode()).as(result.output()).isNotZero();
        assertThat(result.output()).contains("rank 1 failed", "rank 1 did not deliver");
        // the survivors name the optimizer step they were in, which came after the third
        assertThat(result.output()).containsPattern("failed on rank [02] in training step ([4-9]|[1-9][0-9]+) ");
    }

    @Test
    void shouldResumeOnAnotherWorldSizeFromTheLastCheckpointAfterARankIsKilled(@TempDir final Path dir)
        throws Exception {
        final Path model = Files.writeString(dir.resolve("config.json"), MODEL);
        final Path ds = Files.writeString(dir.resolve("ds.json"), deepspeed(2));
        final Path checkpoints = dir.resolve("ckpt");
        final LauncherProcess.Running running = LauncherProcess.start("train", "--ranks", "2", "--deepspeed",
            ds.toString(), "--model", model.toString(), "--steps", "100000", "--seq", "32", "--checkpoint-dir",
            checkpoints.toString(), "--save-every", "2", "--keep-last", "2");
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!running.output().contains("step-00000004 committed") && System.nanoTime() < until
            && running.process().isAlive()) {
            Thread.sleep(100);
        }
        assertThat(running.output()).as("two checkpoints were committed").contains("step-00000004 committed");
        running.process().descendants()
            .filter(p -> LauncherProcess.hasArgument(p, "--rank=1"))
            .forEach(ProcessHandle::destroyForcibly);
        assertThat(running.await(DEADLINE).exitCode()).isNotZero();

        final LauncherProcess.Result verify = LauncherProcess.run(DEADLINE, "checkpoint", "verify",
            checkpoints.toString());
        assertThat(verify.exitCode()).as("every committed checkpoint survived the crash: " + verify.output())
            .isZero();
        final long saved = Long.parseLong(Files.readString(checkpoints.resolve("latest")).trim()
            .substring("step-".length()));
        final LauncherProcess.Result resumed = LauncherProcess.run(DEADLINE, "train", "--ranks", "3",
            "--deepspeed", Files.writeString(dir.resolve("ds3.json"), deepspeed(3)).toString(), "--model",
            model.toString(), "--steps", Long.toString(saved + 2), "--seq", "32", "--checkpoint-dir",
            checkpoints.toString(), "--resume", "latest");
        assertThat(resumed.exitCode()).as(resumed.output()).isZero();
        assertThat(resumed.output()).contains("resumed from " + checkpoints.resolve(String.format("step-%08d", saved))
            + " (step " + saved + ", written by 2 rank(s) at ZeRO stage 2)", "step " + (saved + 2) + "/" + (saved + 2));
    }

    /** Each step's "loss" and "grad_norm" fields as written (shortest round-trip decimal: every bit). */
    private static List<String> lossesAndNorms(final Path metrics) throws Exception {
        return Files.readAllLines(metrics).stream()
            .map(line -> line.replaceAll(".*\"loss\":([^,]+),.*\"grad_norm\":([^,]+),.*", "$1 $2"))
            .toList();
    }
}
