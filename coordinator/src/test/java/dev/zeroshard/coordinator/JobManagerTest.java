package dev.zeroshard.coordinator;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.typesafe.config.ConfigFactory;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankProgress;
import dev.zeroshard.protocol.v1.JobRecord;
import dev.zeroshard.protocol.v1.JobState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class JobManagerTest {
    private static final String JOB = """
        {"name": "tiny", "model": {"vocab_size": 256, "n_positions": 32, "n_embd": 32, "n_layer": 2, "n_head": 2},
         "deepspeed": {"train_micro_batch_size_per_gpu": 2}, "maxSteps": 10, "world_size": 2}""";

    @TempDir
    Path dataDir;
    private ActorTestKit testKit;
    private ActorRef<JobManager.Command> manager;

    @BeforeEach
    void start() {
        testKit = ActorTestKit.create(ConfigFactory.parseString("akka.loglevel = WARNING"));
        manager = testKit.spawn(JobManager.create(dataDir));
    }

    @AfterEach
    void stop() {
        testKit.shutdownTestKit();
    }

    private JobRecord job(final String id) {
        final TestProbe<Optional<JobRecord>> probe = testKit.createTestProbe();
        manager.tell(new JobManager.GetJob(id, probe.getRef()));
        return probe.receiveMessage().orElseThrow();
    }

    private JobManager.SubmitResult submit(final String spec, final String key) {
        final TestProbe<JobManager.SubmitResult> submitted = testKit.createTestProbe();
        manager.tell(new JobManager.Submit(spec, Optional.of(new SubmissionKey(key)), submitted.getRef()));
        return submitted.receiveMessage();
    }

    private List<JobRecord> jobs() {
        final TestProbe<List<JobRecord>> probe = testKit.createTestProbe();
        manager.tell(new JobManager.GetJobs(probe.getRef()));
        return probe.receiveMessage();
    }

    @Test
    void shouldCreateOneJobPerSubmissionKeyAlsoAfterARestartAndWhenItHasEnded() {
        final JobManager.SubmitResult first = submit(JOB, "default:tiny:1");
        final JobManager.SubmitResult again = submit(JOB.replace("\"maxSteps\": 10", "\"maxSteps\": 20"),
            "default:tiny:1");

        assertThat(first.created()).isTrue();
        final String id = first.job().orElseThrow().getId();
        assertThat(first.job().orElseThrow().getSubmissionKey()).isEqualTo("default:tiny:1");
        assertThat(again.created()).as("same key, other spec: the first job answers").isFalse();
        assertThat(again.job()).map(JobRecord::getId).contains(id);
        assertThat(jobs()).hasSize(1);
        final TestProbe<JobManager.CancelResult> cancelled = testKit.createTestProbe();
        manager.tell(new JobManager.Cancel(id, cancelled.getRef()));
        assertThat(cancelled.receiveMessage().accepted()).isTrue();

        testKit.stop(manager);
        manager = testKit.spawn(JobManager.create(dataDir));

        final JobManager.SubmitResult afterRestart = submit(JOB, "default:tiny:1");
        assertThat(afterRestart.created()).isFalse();
        assertThat(afterRestart.job()).map(JobRecord::getId).contains(id);
        assertThat(afterRestart.job()).map(JobRecord::getState).contains(JobState.CANCELLED);
        final JobManager.SubmitResult other = submit(JOB, "default:tiny:2");
        assertThat(other.created()).isTrue();
        assertThat(other.job()).map(JobRecord::getId).isNotEqualTo(Optional.of(id));
        assertThat(jobs()).hasSize(2);
    }

    @Test
    void shouldShowAReportedStallUntilTheNextStepAndRecordEveryCheckpoint() {
        final TestProbe<JobManager.SubmitResult> submitted = testKit.createTestProbe();
        manager.tell(new JobManager.Submit(JOB, submitted.getRef()));
        final String id = submitted.receiveMessage().job().orElseThrow().getId();

        manager.tell(new JobManager.JobEvent(id, 0, "rank 0: stalled: rank 0 has waited 5.0 s for rank 1 in "
            + "allreduce of bucket 2 (step 8)"));
        assertThat(job(id).getStalled()).isEqualTo("rank 0 has waited 5.0 s for rank 1 in allreduce of bucket 2 "
            + "(step 8)");
        assertThat(job(id).getEventsList()).hasSize(1);

        manager.tell(new JobManager.JobProgress(id, 0, new RankProgress(id, 0, 0, 8, 2.0, 1e-3, 0.5, 100, 0.1, 0.01,
            1000)));
        manager.tell(new JobManager.JobEvent(id, 0, "rank 0: checkpoint /ck/step-00000008 committed (...)"));
        final JobRecord after = job(id);
        assertThat(after.getStalled()).isEmpty();
        assertThat(after.getStep()).isEqualTo(8);
        assertThat(after.getLastCheckpoint()).isEqualTo("/ck/step-00000008");

        manager.tell(new JobManager.JobEvent(id, 7, "rank 0: stalled: from a stale epoch"));
        assertThat(job(id).getStalled()).as("events of another epoch are dropped").isEmpty();
    }

    @Test
    void shouldKeepEveryRanksOwnWaitAndBytesWhileTheJobRunsButOnlyRankZerosLossInTheSeries() {
        final String id = submit(JOB, "ranks").job().orElseThrow().getId();
        manager.tell(new JobManager.JobProgress(id, 0, new RankProgress(id, 0, 0, 3, 2.5, 1e-3, 0.5, 100, 0.1, 0.02,
            4000)));
        manager.tell(new JobManager.JobProgress(id, 0, new RankProgress(id, 0, 1, 3, 2.6, 1e-3, 0.5, 100, 0.1, 0.07,
            5000)));
        manager.tell(new JobManager.JobProgress(id, 0, new RankProgress(id, 0, 1, 4, 2.4, 1e-3, 0.5, 100, 0.1, 0.05,
            6000)));
        manager.tell(new JobManager.JobProgress(id, 9, new RankProgress(id, 9, 1, 9, 2.0, 1e-3, 0.5, 100, 0.1, 9.0,
            9)));

        final TestProbe<java.util.Map<String, List<RankProgress>>> ranks = testKit.createTestProbe();
        manager.tell(new JobManager.GetRanks(ranks.getRef()));
        final List<RankProgress> latest = ranks.receiveMessage().get(id);
        assertThat(latest).extracting(RankProgress::rank).containsExactly(0, 1);
        assertThat(latest.get(1).commWaitSeconds()).as("the latest of rank 1, not the stale epoch's").isEqualTo(0.05);
        assertThat(latest.get(1).bytesSent()).isEqualTo(6000);
        assertThat(job(id).getLoss()).as("the job's loss is rank 0's").isEqualTo(2.5);

        final TestProbe<Optional<List<RankProgress>>> series = testKit.createTestProbe();
        manager.tell(new JobManager.GetMetrics(id, series.getRef()));
        assertThat(series.receiveMessage().orElseThrow()).extracting(RankProgress::rank).containsExactly(0);

        final TestProbe<JobManager.CancelResult> cancelled = testKit.createTestProbe();
        manager.tell(new JobManager.Cancel(id, cancelled.getRef()));
        cancelled.receiveMessage();
        manager.tell(new JobManager.GetRanks(ranks.getRef()));
        assertThat(ranks.receiveMessage()).as("an ended job's ranks are forgotten").doesNotContainKey(id);
    }
}
