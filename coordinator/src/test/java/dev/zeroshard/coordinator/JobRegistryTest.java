package dev.zeroshard.coordinator;

import dev.zeroshard.protocol.cluster.ClusterJoin;
import dev.zeroshard.protocol.v1.JobRecord;
import dev.zeroshard.protocol.v1.JobState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobRegistryTest {
    @Test
    void shouldKnowEveryJobAndItsTransitionsAfterARestart(@TempDir final Path dir) throws Exception {
        final JobRegistry registry = JobRegistry.open(dir);
        final String id = registry.newId();
        JobRecord job = registry.put(JobRecord.newBuilder().setId(id).setState(JobState.PENDING).build());
        job = registry.transition(job, JobState.SCHEDULING, "submitted");
        job = registry.transition(job, JobState.RUNNING, "epoch 1");
        registry.update(job.toBuilder().setStep(7).build());

        final JobRegistry reopened = JobRegistry.open(dir);

        final JobRecord back = reopened.get(id).orElseThrow();
        assertThat(back.getState()).isEqualTo(JobState.RUNNING);
        assertThat(back.getTransitionsList()).extracting(t -> t.getState() + ": " + t.getReason())
            .containsExactly("SCHEDULING: submitted", "RUNNING: epoch 1");
        assertThat(reopened.newId()).as("ids are never reused").isNotEqualTo(id);
    }

    @Test
    void shouldFindAJobByItsSubmissionKeyAfterARestart(@TempDir final Path dir) throws Exception {
        final JobRegistry registry = JobRegistry.open(dir);
        final String id = registry.newId();
        registry.transition(registry.put(JobRecord.newBuilder().setId(id).setState(JobState.PENDING)
            .setSubmissionKey("default:run-1").build()), JobState.SCHEDULING, "submitted");
        registry.put(JobRecord.newBuilder().setId(registry.newId()).setState(JobState.PENDING).build());

        final JobRegistry reopened = JobRegistry.open(dir);

        assertThat(reopened.bySubmissionKey(new SubmissionKey("default:run-1"))).map(JobRecord::getId).contains(id);
        assertThat(reopened.bySubmissionKey(new SubmissionKey("default:run-2"))).isEmpty();
    }

    @Test
    void shouldRefuseASubmissionKeyOutsideTheRuleNamingTheHeader() {
        assertThat(SubmissionKey.problem("ns/job 1")).map(Object::toString)
            .contains("Idempotency-Key=ns/job 1: " + SubmissionKey.RULE);
        assertThat(SubmissionKey.problem("")).isPresent();
        assertThat(SubmissionKey.problem("k".repeat(129))).isPresent();
        assertThat(SubmissionKey.problem("k".repeat(128))).isEmpty();
        assertThat(SubmissionKey.problem("A-z_0.9:x")).isEmpty();
        assertThatThrownBy(() -> new SubmissionKey("über")).hasMessageContaining("Idempotency-Key=über");
    }

    @Test
    void shouldRefuseATransitionTheLifecycleForbids(@TempDir final Path dir) throws Exception {
        final JobRegistry registry = JobRegistry.open(dir);
        final JobRecord job = registry.put(JobRecord.newBuilder().setId(registry.newId())
            .setState(JobState.SUCCEEDED).build());

        assertThatThrownBy(() -> registry.transition(job, JobState.CANCELLED, "too late"))
            .hasMessageContaining("is SUCCEEDED and cannot become CANCELLED");
        assertThat(JobLifecycle.allowed(JobState.RUNNING, JobState.RECOVERING)).isTrue();
        assertThat(JobLifecycle.allowed(JobState.RECOVERING, JobState.RUNNING)).isFalse();
    }

    @Test
    void shouldRefuseACorruptSnapshotNamingItInsteadOfStartingEmpty(@TempDir final Path dir) throws Exception {
        Files.write(dir.resolve(JobRegistry.FILE), new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3});

        assertThatThrownBy(() -> JobRegistry.open(dir)).hasMessageContaining("jobs.pb")
            .hasMessageContaining("is not a job registry snapshot");
    }

    @Test
    void shouldRefuseAnEmptySnapshotWhichProtobufWouldReadAsNoJobs(@TempDir final Path dir) throws Exception {
        Files.write(dir.resolve(JobRegistry.FILE), new byte[0]);

        assertThatThrownBy(() -> JobRegistry.open(dir)).hasMessageContaining("jobs.pb is empty");
        assertThat(dir.resolve(JobRegistry.FILE)).exists().isEmptyFile();
    }

    @Test
    void shouldNotStartACoordinatorOnADamagedRegistry(@TempDir final Path dir) throws Exception {
        Files.write(dir.resolve(JobRegistry.FILE), new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3});

        assertThatThrownBy(() -> CoordinatorNode.start("127.0.0.1", 0,
            new ClusterJoin.Seeds(List.of("127.0.0.1:1")), "127.0.0.1", 0, dir, Optional.empty()))
            .hasMessageContaining("is not a job registry snapshot");
        assertThat(Files.readAllBytes(dir.resolve(JobRegistry.FILE))).hasSize(5);
    }
}
