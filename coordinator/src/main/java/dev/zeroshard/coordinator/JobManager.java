package dev.zeroshard.coordinator;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.receptionist.Receptionist;
import dev.zeroshard.protocol.cluster.ClusterProtocol;
import dev.zeroshard.protocol.cluster.ClusterProtocol.Describe;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankProgress;
import dev.zeroshard.protocol.cluster.ClusterProtocol.SupervisorEvent;
import dev.zeroshard.protocol.cluster.ClusterProtocol.WorkerCommand;
import dev.zeroshard.protocol.cluster.ClusterProtocol.WorkerDescription;
import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.protocol.config.JsonValues;
import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.protocol.v1.CheckpointSpec;
import dev.zeroshard.protocol.v1.JobRecord;
import dev.zeroshard.protocol.v1.JobSpec;
import dev.zeroshard.protocol.v1.JobState;
import dev.zeroshard.protocol.v1.JobTransition;
import dev.zeroshard.protocol.v1.RankAssignment;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The cluster singleton that owns the job registry: accepts jobs, schedules each onto {@code world_size} free
 * workers (found through the receptionist), runs one {@link JobSupervisor} per attempt, records every transition,
 * and after a failed attempt restarts the job from its last checkpoint (up to {@code elastic.max_restarts}) with a
 * replacement worker, or with the survivors when {@code elastic.min_workers} allows. After a coordinator restart
 * every unfinished job is scheduled again and resumes from its last checkpoint.
 */
public final class JobManager extends AbstractBehavior<JobManager.Command> {
    /** Saves per job when the spec does not say. */
    static final int DEFAULT_SAVE_EVERY_STEPS = 100;
    private static final int MAX_SERIES = 100_000;

    public interface Command {
    }

    /**
     * Submit a job (JSON); the reply has its id or every problem of the spec. With a {@code key} that an earlier
     * submission used, nothing is created (the spec is not read): the reply is that submission's job.
     */
    public record Submit(String specJson, Optional<SubmissionKey> key, ActorRef<SubmitResult> replyTo)
        implements Command {
        /** A submission without an idempotency key. */
        public Submit(final String specJson, final ActorRef<SubmitResult> replyTo) {
            this(specJson, Optional.empty(), replyTo);
        }
    }

    /**
     * @param job     the job created, or the one an earlier submission with the same key created; empty when the
     *                spec is invalid.
     * @param errors  every problem of the spec.
     * @param created whether this submission created the job.
     */
    public record SubmitResult(Optional<JobRecord> job, List<ConfigError> errors, boolean created) {
    }

    public record GetJobs(ActorRef<List<JobRecord>> replyTo) implements Command {
    }

    public record GetJob(String id, ActorRef<Optional<JobRecord>> replyTo) implements Command {
    }

    public record GetMetrics(String id, ActorRef<Optional<List<RankProgress>>> replyTo) implements Command {
    }

    /** The latest progress of every rank of every job's current attempt, by job id, in rank order. */
    public record GetRanks(ActorRef<Map<String, List<RankProgress>>> replyTo) implements Command {
    }

    /** The latest progress of every rank of one job's current attempt, in rank order; empty when it is not running. */
    public record GetJobRanks(String id, ActorRef<List<RankProgress>> replyTo) implements Command {
    }

    public record GetWorkers(ActorRef<List<WorkerDescription>> replyTo) implements Command {
    }

    /** Cancel a job; the reply is the job after the request, or empty when unknown. */
    public record Cancel(String id, ActorRef<CancelResult> replyTo) implements Command {
    }

    public record CancelResult(Optional<JobRecord> job, boolean accepted) {
    }

    /** How an attempt ended. */
    enum Outcome { SUCCEEDED, FAILED, CANCELLED }

    record JobProgress(String jobId, long epoch, RankProgress progress) implements Command {
    }

    record JobEvent(String jobId, long epoch, String message) implements Command {
    }

    record AttemptEnded(String jobId, long epoch, Outcome outcome, String reason, long step,
                        List<ActorRef<WorkerCommand>> workers) implements Command {
    }

    private record WorkersListed(Receptionist.Listing listing) implements Command {
    }

    private record Described(WorkerDescription description) implements Command {
    }

    private record Tick() implements Command {
    }

    private record DescribeFailed() implements Command {
    }

    private final JobRegistry registry;
    private final Path dataDirectory;
    private final Map<ActorRef<WorkerCommand>, WorkerDescription> workers = new LinkedHashMap<>();
    private final Map<ActorRef<WorkerCommand>, String> assigned = new HashMap<>();
    private final Map<String, ActorRef<SupervisorEvent>> supervisors = new HashMap<>();
    private final Map<String, List<RankProgress>> series = new HashMap<>();
    /**
     * Latest progress per rank of each job (any epoch; {@link #currentRanks} keeps the job's current one); the ranks
     * of ended jobs are forgotten once a second.
     */
    private final Map<String, Map<Integer, RankProgress>> ranks = new HashMap<>();

    private JobManager(final ActorContext<Command> context, final JobRegistry registry, final Path dataDirectory) {
        super(context);
        this.registry = registry;
        this.dataDirectory = dataDirectory;
        final ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class,
            WorkersListed::new);
        context.getSystem().receptionist().tell(Receptionist.subscribe(ClusterProtocol.WORKER_KEY, listings));
        for (final JobRecord job : registry.jobs()) {
            resumeAfterRestart(job);
        }
    }

    /** The manager of the registry in {@code dataDirectory}. */
    public static Behavior<Command> create(final Path dataDirectory) {
        return Behaviors.setup(context -> {
            final JobRegistry registry = JobRegistry.open(dataDirectory);
            return Behaviors.withTimers(timers -> {
                timers.startTimerWithFixedDelay(new Tick(), Duration.ofSeconds(1));
                return new JobManager(context, registry, dataDirectory);
            });
        });
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
            .onMessage(Submit.class, this::onSubmit)
            .onMessage(GetJobs.class, get -> reply(get.replyTo(), registry.jobs()))
            .onMessage(GetJob.class, get -> reply(get.replyTo(), registry.get(get.id())))
            .onMessage(GetMetrics.class, get -> reply(get.replyTo(), registry.get(get.id())
                .map(job -> List.copyOf(series.getOrDefault(job.getId(), List.of())))))
            .onMessage(GetRanks.class, get -> reply(get.replyTo(), currentRanks()))
            .onMessage(GetJobRanks.class, get -> reply(get.replyTo(), currentRanks(get.id())))
            .onMessage(GetWorkers.class, get -> reply(get.replyTo(), workerViews()))
            .onMessage(Cancel.class, this::onCancel)
            .onMessage(JobProgress.class, this::onProgress)
            .onMessage(JobEvent.class, this::onEvent)
            .onMessage(AttemptEnded.class, this::onAttemptEnded)
            .onMessage(WorkersListed.class, this::onWorkersListed)
            .onMessage(Described.class, this::onDescribed)
            .onMessage(Tick.class, this::onTick)
            .onMessage(DescribeFailed.class, failed -> this)
            .build();
    }

    private <T> Behavior<Command> reply(final ActorRef<T> replyTo, final T value) {
        replyTo.tell(value);
        return this;
    }

    // ---------------------------------------------------------------- jobs

    private Behavior<Command> onSubmit(final Submit submit) {
        final Optional<JobRecord> earlier = submit.key().flatMap(registry::bySubmissionKey);
        if (earlier.isPresent()) {
            submit.replyTo().tell(new SubmitResult(earlier, List.of(), false));
            return this;
        }
        final JobSpec parsed;
        try {
            parsed = JobSpecs.parse(JsonValues.readTree(submit.specJson()));
            JobSpecs.resolve(withCheckpointDefaults(parsed, dataDirectory.resolve("checkpoints")));
        } catch (final ConfigException invalid) {
            submit.replyTo().tell(new SubmitResult(Optional.empty(), invalid.errors(), false));
            return this;
        }
        final String id = registry.newId();
        final JobSpec spec = withCheckpointDefaults(parsed, dataDirectory.resolve("checkpoints").resolve(id));
        final ResolvedJob resolved = JobSpecs.resolve(spec);
        final long now = System.currentTimeMillis();
        JobRecord job = registry.put(JobRecord.newBuilder().setId(id).setSpecJson(JobSpecs.toJson(spec))
            .setState(JobState.PENDING).setCreatedUnixMs(now)
            .addTransitions(JobTransition.newBuilder().setState(JobState.PENDING).setAtUnixMs(now)
                .setReason("submitted" + submit.key().map(key -> " with " + SubmissionKey.HEADER + " " + key.value())
                    .orElse("")))
            .setMaxSteps(spec.getMaxSteps()).setWorldSize(resolved.worldSize())
            .setSubmissionKey(submit.key().map(SubmissionKey::value).orElse("")).build());
        job = registry.transition(job, JobState.SCHEDULING, "waiting for " + resolved.worldSize()
            + " free worker(s)");
        submit.replyTo().tell(new SubmitResult(Optional.of(job), List.of(), true));
        return schedule();
    }

    /** A job the coordinator runs always checkpoints: that is what recovery resumes from. */
    private static JobSpec withCheckpointDefaults(final JobSpec spec, final Path defaultDirectory) {
        final CheckpointSpec checkpoint = spec.getCheckpoint();
        return spec.toBuilder().setCheckpoint(checkpoint.toBuilder()
            .setDir(checkpoint.getDir().isEmpty() ? defaultDirectory.toString() : checkpoint.getDir())
            .setSaveEverySteps(checkpoint.getSaveEverySteps() > 0 ? checkpoint.getSaveEverySteps()
                : DEFAULT_SAVE_EVERY_STEPS)).build();
    }

    private Behavior<Command> onCancel(final Cancel cancel) {
        final Optional<JobRecord> found = registry.get(cancel.id());
        if (found.isEmpty()) {
            cancel.replyTo().tell(new CancelResult(Optional.empty(), false));
            return this;
        }
        final JobRecord job = found.get();
        if (!JobLifecycle.allowed(job.getState(), JobState.CANCELLED)) {
            cancel.replyTo().tell(new CancelResult(found, false));
            return this;
        }
        final ActorRef<SupervisorEvent> supervisor = supervisors.get(job.getId());
        if (supervisor != null) {
            supervisor.tell(new JobSupervisor.Cancel(job.getId(), job.getEpoch(), "by request"));
        }
        final JobRecord cancelled = registry.transition(job, JobState.CANCELLED, "cancelled by request");
        cancel.replyTo().tell(new CancelResult(Optional.of(cancelled), true));
        return this;
    }

    private Behavior<Command> onProgress(final JobProgress progress) {
        registry.get(progress.jobId()).filter(job -> job.getEpoch() == progress.epoch()).ifPresent(job -> {
            final RankProgress p = progress.progress();
            ranks.computeIfAbsent(job.getId(), id -> new TreeMap<>()).put(p.rank(), p);
            if (p.rank() != 0) {
                return;
            }
            registry.update(job.toBuilder().setStep(p.step()).setLoss(p.loss()).setTokensPerS(p.tokensPerS())
                .setStepSeconds(p.stepSeconds()).setCommWaitSeconds(p.commWaitSeconds()).setBytesSent(p.bytesSent())
                .clearStalled().build());
            final List<RankProgress> points = series.computeIfAbsent(job.getId(), id -> new ArrayList<>());
            if (points.size() < MAX_SERIES) {
                points.add(p);
            }
        });
        return this;
    }

    /** Every running job's ranks in its current epoch. */
    private Map<String, List<RankProgress>> currentRanks() {
        final Map<String, List<RankProgress>> current = new TreeMap<>();
        for (final String id : ranks.keySet()) {
            final List<RankProgress> points = currentRanks(id);
            if (!points.isEmpty()) {
                current.put(id, points);
            }
        }
        return current;
    }

    /** Job {@code id}'s ranks in its current epoch; empty unless it runs. */
    private List<RankProgress> currentRanks(final String id) {
        final Map<Integer, RankProgress> byRank = ranks.get(id);
        return byRank == null ? List.of() : registry.get(id).filter(job -> !JobLifecycle.terminal(job.getState()))
            .map(job -> byRank.values().stream().filter(p -> p.epoch() == job.getEpoch()).toList())
            .orElse(List.of());
    }

    private Behavior<Command> onEvent(final JobEvent event) {
        registry.get(event.jobId()).filter(job -> job.getEpoch() == event.epoch()).ifPresent(job -> {
            JobRecord updated = registry.event(job, "epoch " + event.epoch() + ": " + event.message());
            final int stall = event.message().indexOf("stalled: ");
            if (stall >= 0) {
                updated = registry.update(updated.toBuilder().setStalled(event.message()
                    .substring(stall + "stalled: ".length())).build());
            }
            final Optional<String> checkpoint = checkpointNamed(event.message());
            if (checkpoint.isPresent()) {
                updated = registry.put(updated.toBuilder().setLastCheckpoint(checkpoint.get()).build());
            }
        });
        return this;
    }

    /** The checkpoint a rank's event names ("checkpoint PATH committed ...", "resumed from PATH ..."), if any. */
    static Optional<String> checkpointNamed(final String message) {
        for (final String marker : List.of("checkpoint ", "resumed from ")) {
            final int at = message.indexOf(marker);
            if (at >= 0 && (marker.startsWith("resumed") || message.contains(" committed"))) {
                final String rest = message.substring(at + marker.length());
                final int end = rest.indexOf(' ');
                return Optional.of(end < 0 ? rest : rest.substring(0, end));
            }
        }
        return Optional.empty();
    }

    private Behavior<Command> onAttemptEnded(final AttemptEnded ended) {
        supervisors.remove(ended.jobId());
        ended.workers().forEach(assigned::remove);
        final Optional<JobRecord> found = registry.get(ended.jobId());
        if (found.isEmpty() || found.get().getEpoch() != ended.epoch()) {
            return schedule();
        }
        final JobRecord job = found.get().toBuilder().setStep(Math.max(found.get().getStep(), ended.step())).build();
        if (JobLifecycle.terminal(job.getState())) {
            return schedule();
        }
        switch (ended.outcome()) {
            case SUCCEEDED -> registry.transition(job, JobState.SUCCEEDED, ended.reason() + " at step "
                + job.getStep());
            case CANCELLED -> registry.transition(job, JobState.CANCELLED, ended.reason());
            case FAILED -> recover(job, ended.reason());
        }
        return schedule();
    }

    /** A failed attempt: restart from the last checkpoint while restarts remain, else the job fails. */
    private void recover(final JobRecord job, final String reason) {
        final JobSpec spec = ResolvedSpecs.of(job).orElseThrow().spec();
        final int maxRestarts = spec.getElastic().getMaxRestarts();
        if (job.getRestarts() >= maxRestarts) {
            registry.transition(job, JobState.FAILED, reason + " (restarts used: " + job.getRestarts() + " of "
                + maxRestarts + ")");
            return;
        }
        final JobRecord recovering = registry.transition(job, JobState.RECOVERING, reason);
        registry.transition(recovering.toBuilder().setRestarts(job.getRestarts() + 1).build(), JobState.SCHEDULING,
            "restart " + (job.getRestarts() + 1) + " of " + maxRestarts + ": resuming from the last checkpoint ("
                + (job.getLastCheckpoint().isEmpty() ? "none yet: from step 0" : job.getLastCheckpoint()) + ")");
    }

    private void resumeAfterRestart(final JobRecord job) {
        switch (job.getState()) {
            case PENDING -> registry.transition(job, JobState.SCHEDULING, "coordinator restarted");
            case RUNNING, CHECKPOINTING -> registry.transition(registry.transition(job, JobState.RECOVERING,
                "coordinator restarted while epoch " + job.getEpoch() + " ran"), JobState.SCHEDULING,
                "resuming from the last checkpoint");
            case RECOVERING -> registry.transition(job, JobState.SCHEDULING, "coordinator restarted");
            default -> { }
        }
    }

    // ---------------------------------------------------------------- scheduling

    private Behavior<Command> schedule() {
        for (final JobRecord job : registry.jobs()) {
            if (job.getState() != JobState.SCHEDULING || supervisors.containsKey(job.getId())) {
                continue;
            }
            final List<WorkerDescription> free = workers.entrySet().stream()
                .filter(entry -> !assigned.containsKey(entry.getKey()) && entry.getValue().busyJobId().isEmpty())
                .map(Map.Entry::getValue).toList();
            final JobSpec spec = ResolvedSpecs.of(job).orElseThrow().spec();
            final int wanted = job.getWorldSize();
            final int minWorkers = spec.getElastic().getMinWorkers();
            int size = 0;
            if (free.size() >= wanted) {
                size = wanted;
            } else if (job.getRestarts() > 0 && minWorkers > 0 && free.size() >= minWorkers) {
                size = free.size();
            }
            if (size > 0) {
                start(job, spec, free.subList(0, size));
            }
        }
        return this;
    }

    private void start(final JobRecord job, final JobSpec spec, final List<WorkerDescription> chosen) {
        final long epoch = job.getEpoch() + 1;
        final boolean resume = epoch > 1;
        final JobSpec attempt = spec.toBuilder().setWorldSize(chosen.size())
            .setCheckpoint(spec.getCheckpoint().toBuilder().setResume(resume ? "latest"
                : spec.getCheckpoint().getResume())).build();
        try {
            JobSpecs.resolve(attempt);
        } catch (final ConfigException invalid) {
            registry.transition(job, JobState.FAILED, "cannot run on " + chosen.size() + " worker(s): "
                + invalid.getMessage());
            return;
        }
        final JobRecord.Builder running = job.toBuilder().setEpoch(epoch).clearRanks();
        for (int rank = 0; rank < chosen.size(); rank++) {
            final WorkerDescription worker = chosen.get(rank);
            assigned.put(worker.agent(), job.getId());
            running.addRanks(RankAssignment.newBuilder().setRank(rank).setWorkerId(worker.workerId())
                .setEndpoint(worker.host() + ":" + worker.aeronPort()));
        }
        final ActorRef<SupervisorEvent> supervisor = getContext().spawn(JobSupervisor.create(job.getId(), epoch,
            chosen, JobSpecs.toJson(attempt), job.getId() + "-e" + epoch, getContext().getSelf()),
            "supervisor-" + job.getId() + "-e" + epoch);
        supervisors.put(job.getId(), supervisor);
        registry.transition(running.build(), JobState.RUNNING, "epoch " + epoch + " on " + chosen.size()
            + " worker(s): " + String.join(", ", chosen.stream().map(WorkerDescription::workerId).toList())
            + (resume ? "; resuming from the last checkpoint" : ""));
    }

    // ---------------------------------------------------------------- workers

    private Behavior<Command> onWorkersListed(final WorkersListed listed) {
        final Set<ActorRef<WorkerCommand>> present = listed.listing().getServiceInstances(ClusterProtocol.WORKER_KEY);
        workers.keySet().removeIf(agent -> !present.contains(agent));
        for (final ActorRef<WorkerCommand> agent : present) {
            if (!workers.containsKey(agent)) {
                describe(agent);
            }
        }
        return this;
    }

    private Behavior<Command> onDescribed(final Described described) {
        final WorkerDescription worker = described.description();
        if (workers.put(worker.agent(), worker) == null) {
            getContext().getLog().info("worker {} at {}:{} ({}, {} threads) joined", worker.workerId(),
                worker.host(), worker.aeronPort(), worker.backend(), worker.cores());
        }
        return schedule();
    }

    /** Asks again the workers that said they were busy with no job of ours (an earlier attempt still ending). */
    private Behavior<Command> onTick(final Tick tick) {
        ranks.keySet().removeIf(id -> registry.get(id).map(job -> JobLifecycle.terminal(job.getState())).orElse(true));
        for (final WorkerDescription worker : List.copyOf(workers.values())) {
            if (!worker.busyJobId().isEmpty() && !assigned.containsKey(worker.agent())) {
                describe(worker.agent());
            }
        }
        return schedule();
    }

    private void describe(final ActorRef<WorkerCommand> agent) {
        getContext().ask(WorkerDescription.class, agent, Duration.ofSeconds(5), Describe::new,
            (description, failure) -> description != null ? new Described(description) : new DescribeFailed());
    }

    private List<WorkerDescription> workerViews() {
        return workers.entrySet().stream().map(entry -> {
            final WorkerDescription w = entry.getValue();
            return new WorkerDescription(w.workerId(), w.host(), w.aeronPort(), w.backend(), w.memoryBytes(),
                w.cores(), assigned.getOrDefault(entry.getKey(), ""), w.agent());
        }).toList();
    }
}
