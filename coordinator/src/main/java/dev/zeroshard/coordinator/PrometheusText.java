package dev.zeroshard.coordinator;

import dev.zeroshard.protocol.cluster.ClusterProtocol.RankProgress;
import dev.zeroshard.protocol.cluster.ClusterProtocol.WorkerDescription;
import dev.zeroshard.protocol.v1.JobRecord;
import dev.zeroshard.protocol.v1.JobState;
import dev.zeroshard.protocol.v1.RankAssignment;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The coordinator's {@code /metrics} in Prometheus' text exposition format. */
final class PrometheusText {
    private PrometheusText() {
    }

    /**
     * @param ranks the latest progress of each rank of each running job ({@link JobManager.GetRanks}).
     */
    static String render(final List<JobRecord> jobs, final List<WorkerDescription> workers,
                         final Map<String, List<RankProgress>> ranks) {
        final StringBuilder text = new StringBuilder();
        final Map<JobState, Integer> byState = new EnumMap<>(JobState.class);
        for (final JobState state : JobState.values()) {
            if (state != JobState.JOB_STATE_UNSPECIFIED && state != JobState.UNRECOGNIZED) {
                byState.put(state, 0);
            }
        }
        jobs.forEach(job -> byState.merge(job.getState(), 1, Integer::sum));
        help(text, "zeroshard_jobs", "gauge", "Jobs known to the coordinator, by state.");
        byState.forEach((state, count) -> text.append(String.format(Locale.ROOT, "zeroshard_jobs{state=\"%s\"} %d%n",
            state.name(), count)));
        help(text, "zeroshard_workers", "gauge", "Workers in the cluster, by whether they run a rank.");
        final long busy = workers.stream().filter(w -> !w.busyJobId().isEmpty()).count();
        text.append(String.format(Locale.ROOT, "zeroshard_workers{busy=\"true\"} %d%nzeroshard_workers{busy=\"false\"} %d%n",
            busy, workers.size() - busy));
        help(text, "zeroshard_job_step", "gauge", "Optimizer steps completed by a job.");
        jobs.forEach(job -> sample(text, "zeroshard_job_step", job, job.getStep()));
        help(text, "zeroshard_job_step_seconds", "gauge", "Wall time of a job's last step.");
        jobs.forEach(job -> sample(text, "zeroshard_job_step_seconds", job, job.getStepSeconds()));
        help(text, "zeroshard_job_tokens_per_second", "gauge", "Training throughput of a job's last step.");
        jobs.forEach(job -> sample(text, "zeroshard_job_tokens_per_second", job, job.getTokensPerS()));
        help(text, "zeroshard_job_comm_wait_seconds", "gauge",
            "Time rank 0 of a job waited for collectives in its last step (communication not hidden by compute); "
                + "zeroshard_rank_comm_wait_seconds has every rank.");
        jobs.forEach(job -> sample(text, "zeroshard_job_comm_wait_seconds", job, job.getCommWaitSeconds()));
        help(text, "zeroshard_job_bytes_sent_total", "counter",
            "Bytes rank 0 of a job has sent over its Aeron ring in the current attempt.");
        jobs.forEach(job -> sample(text, "zeroshard_job_bytes_sent_total", job, job.getBytesSent()));
        help(text, "zeroshard_job_restarts_total", "counter", "Restarts of a job after a lost or failed rank.");
        jobs.forEach(job -> sample(text, "zeroshard_job_restarts_total", job, job.getRestarts()));
        final Map<String, JobRecord> byId = jobs.stream().collect(Collectors.toMap(JobRecord::getId, job -> job));
        help(text, "zeroshard_rank_comm_wait_seconds", "gauge",
            "Time one rank of a running job waited for collectives in its last step; the slowest rank waits least.");
        ranks.forEach((id, points) -> points.forEach(p -> rankSample(text, "zeroshard_rank_comm_wait_seconds",
            byId.get(id), p, p.commWaitSeconds())));
        help(text, "zeroshard_rank_bytes_sent_total", "counter",
            "Bytes one rank of a running job has sent over its Aeron ring in the current attempt.");
        ranks.forEach((id, points) -> points.forEach(p -> rankSample(text, "zeroshard_rank_bytes_sent_total",
            byId.get(id), p, p.bytesSent())));
        help(text, "zeroshard_rank_step", "gauge", "Last step one rank of a running job completed.");
        ranks.forEach((id, points) -> points.forEach(p -> rankSample(text, "zeroshard_rank_step", byId.get(id), p,
            p.step())));
        return text.toString();
    }

    private static void rankSample(final StringBuilder text, final String name, final JobRecord job,
                                   final RankProgress rank, final double value) {
        if (job == null) {
            return;
        }
        final String worker = job.getRanksList().stream().filter(r -> r.getRank() == rank.rank())
            .map(RankAssignment::getWorkerId).findFirst().orElse("");
        text.append(String.format(Locale.ROOT, "%s{job=\"%s\",rank=\"%d\",worker=\"%s\"} %s%n", name, job.getId(),
            rank.rank(), worker, Double.toString(value)));
    }

    private static void help(final StringBuilder text, final String name, final String type, final String help) {
        text.append("# HELP ").append(name).append(' ').append(help).append('\n');
        text.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(final StringBuilder text, final String name, final JobRecord job, final double value) {
        text.append(String.format(Locale.ROOT, "%s{job=\"%s\",state=\"%s\"} %s%n", name, job.getId(),
            job.getState().name(), Double.toString(value)));
    }
}
