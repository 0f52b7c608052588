package dev.zeroshard.coordinator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankProgress;
import dev.zeroshard.protocol.cluster.ClusterProtocol.WorkerDescription;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.protocol.v1.JobRecord;
import dev.zeroshard.protocol.v1.JobTransition;
import dev.zeroshard.protocol.v1.RankAssignment;

import java.time.Instant;
import java.util.List;

/** The JSON the REST API shows of jobs, their metrics and the workers. */
final class JobViews {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private JobViews() {
    }

    /** A job: state, progress, ETA, ranks, checkpoint; with {@code detail}, transitions, events and resolved config. */
    static ObjectNode job(final JobRecord job, final boolean detail) {
        return job(job, detail, List.of());
    }

    /**
     * A job as {@link #job(JobRecord, boolean)}, each rank with its own last step, collective wait and bytes sent
     * where {@code progress} has them.
     */
    static ObjectNode job(final JobRecord job, final boolean detail, final List<RankProgress> progress) {
        final ObjectNode view = JSON.objectNode();
        view.put("id", job.getId());
        final ResolvedJob resolved = ResolvedSpecs.of(job).orElse(null);
        view.put("name", resolved == null ? "" : resolved.spec().getName());
        view.put("state", job.getState().name());
        view.put("step", job.getStep());
        view.put("max_steps", job.getMaxSteps());
        view.put("loss", job.getStep() > 0 ? job.getLoss() : null);
        view.put("tokens_per_s", job.getTokensPerS());
        view.put("comm_wait_s", job.getCommWaitSeconds());
        view.put("bytes_sent", job.getBytesSent());
        if (!job.getStalled().isEmpty()) {
            view.put("stalled", job.getStalled());
        }
        if (job.getStepSeconds() > 0 && job.getStep() < job.getMaxSteps() && !JobLifecycle.terminal(job.getState())) {
            view.put("eta_s", Math.round(job.getStepSeconds() * (job.getMaxSteps() - job.getStep())));
        }
        // the ranks of the current (or last) epoch: an elastic restart may run on fewer workers than requested
        view.put("world_size", job.getRanksCount() > 0 ? job.getRanksCount() : job.getWorldSize());
        view.put("requested_world_size", job.getWorldSize());
        view.put("epoch", job.getEpoch());
        view.put("restarts", job.getRestarts());
        view.put("last_checkpoint", job.getLastCheckpoint());
        view.put("created", Instant.ofEpochMilli(job.getCreatedUnixMs()).toString());
        if (!job.getSubmissionKey().isEmpty()) {
            view.put("submission_key", job.getSubmissionKey());
        }
        final ArrayNode rankViews = view.putArray("ranks");
        for (final RankAssignment rank : job.getRanksList()) {
            final ObjectNode rankView = rankViews.addObject().put("rank", rank.getRank())
                .put("worker", rank.getWorkerId()).put("endpoint", rank.getEndpoint());
            progress.stream().filter(p -> p.rank() == rank.getRank()).findFirst().ifPresent(p -> rankView
                .put("step", p.step()).put("comm_wait_s", p.commWaitSeconds()).put("bytes_sent", p.bytesSent()));
        }
        if (detail) {
            view.set("transitions", transitions(job.getTransitionsList()));
            view.set("events", transitions(job.getEventsList()));
            if (resolved != null) {
                view.set("deepspeed", resolved.deepspeed().toJson());
            }
        }
        return view;
    }

    static ArrayNode jobs(final List<JobRecord> jobs) {
        final ArrayNode array = JSON.arrayNode();
        jobs.forEach(job -> array.add(job(job, false)));
        return array;
    }

    static ArrayNode metrics(final List<RankProgress> series) {
        final ArrayNode array = JSON.arrayNode();
        for (final RankProgress p : series) {
            array.addObject().put("epoch", p.epoch()).put("step", p.step()).put("loss", p.loss()).put("lr", p.lr())
                .put("grad_norm", p.gradNorm()).put("tokens_per_s", p.tokensPerS()).put("step_s", p.stepSeconds())
                .put("comm_wait_s", p.commWaitSeconds());
        }
        return array;
    }

    static ArrayNode workers(final List<WorkerDescription> workers) {
        final ArrayNode array = JSON.arrayNode();
        for (final WorkerDescription w : workers) {
            array.addObject().put("id", w.workerId()).put("aeron_endpoint", w.host() + ":" + w.aeronPort())
                .put("backend", w.backend()).put("memory_bytes", w.memoryBytes()).put("threads", w.cores())
                .put("job", w.busyJobId().isEmpty() ? null : w.busyJobId());
        }
        return array;
    }

    private static ArrayNode transitions(final List<JobTransition> transitions) {
        final ArrayNode array = JSON.arrayNode();
        for (final JobTransition t : transitions) {
            array.addObject().put("state", t.getState().name())
                .put("at", Instant.ofEpochMilli(t.getAtUnixMs()).toString()).put("reason", t.getReason());
        }
        return array;
    }
}
