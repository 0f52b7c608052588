package dev.zeroshard.coordinator;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.zeroshard.protocol.io.DurableFiles;
import dev.zeroshard.protocol.v1.JobRecord;
import dev.zeroshard.protocol.v1.JobRegistrySnapshot;
import dev.zeroshard.protocol.v1.JobState;
import dev.zeroshard.protocol.v1.JobTransition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The durable job registry: every job's record (spec, state, transitions with time and reason, progress, ranks)
 * kept in memory and written, on every change, as one Protobuf snapshot ({@code jobs.pb} in the coordinator's data
 * directory) replaced atomically (temporary file, fsync, rename, fsync of the directory). A coordinator killed at
 * any moment restarts with the last written snapshot: a complete one, old or new. A snapshot that does not parse
 * is refused at start naming the file (it is never overwritten silently). One JVM, one owner: the JobManager.
 * Jobs are also found by the {@link SubmissionKey} that created them.
 */
public final class JobRegistry {
    static final String FILE = "jobs.pb";

    private final Path file;
    private final Map<String, JobRecord> jobs = new LinkedHashMap<>();
    /** Job id by the submission key that created it. */
    private final Map<String, String> idsBySubmissionKey = new HashMap<>();
    private long nextId;

    private JobRegistry(final Path file) {
        this.file = file;
    }

    /** Opens (or creates) the registry of {@code dataDirectory}. */
    public static JobRegistry open(final Path dataDirectory) throws IOException {
        Files.createDirectories(dataDirectory);
        final JobRegistry registry = new JobRegistry(dataDirectory.resolve(FILE));
        if (Files.exists(registry.file)) {
            final byte[] bytes = Files.readAllBytes(registry.file);
            if (bytes.length == 0) {
                // written only atomically and only once it holds a job: an empty file is damage, not "no jobs"
                throw new IOException(registry.file + " is empty, though a registry is never written without a job; "
                    + "restore it from a backup, or move it away to start with an empty registry");
            }
            final JobRegistrySnapshot snapshot;
            try {
                snapshot = JobRegistrySnapshot.parseFrom(bytes);
            } catch (final InvalidProtocolBufferException ex) {
                throw new IOException(registry.file + " is not a job registry snapshot (" + ex.getMessage()
                    + "); move it away to start with an empty registry", ex);
            }
            for (final JobRecord job : snapshot.getJobsList()) {
                registry.store(job);
            }
            registry.nextId = snapshot.getNextId();
        }
        return registry;
    }

    public List<JobRecord> jobs() {
        return new ArrayList<>(jobs.values());
    }

    public Optional<JobRecord> get(final String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    /** The job a submission with {@code key} created, if any (in any state). */
    public Optional<JobRecord> bySubmissionKey(final SubmissionKey key) {
        return Optional.ofNullable(idsBySubmissionKey.get(key.value())).map(jobs::get);
    }

    /** A new job id ({@code job-000001}, ...); never reused, also across restarts. */
    public String newId() {
        nextId++;
        return String.format(Locale.ROOT, "job-%06d", nextId);
    }

    /** Stores {@code job} (new or changed) and writes the snapshot before returning. */
    public JobRecord put(final JobRecord job) {
        store(job);
        persist();
        return job;
    }

    /** Updates {@code job}'s progress in memory only: it is written with the next change that matters. */
    public JobRecord update(final JobRecord job) {
        store(job);
        return job;
    }

    private void store(final JobRecord job) {
        jobs.put(job.getId(), job);
        if (!job.getSubmissionKey().isEmpty()) {
            idsBySubmissionKey.putIfAbsent(job.getSubmissionKey(), job.getId());
        }
    }

    /**
     * Moves {@code job} to {@code state}, recording when and why, and stores it.
     *
     * @throws IllegalStateException when the lifecycle does not allow it.
     */
    public JobRecord transition(final JobRecord job, final JobState state, final String reason) {
        if (!JobLifecycle.allowed(job.getState(), state)) {
            throw new IllegalStateException("job " + job.getId() + " is " + job.getState() + " and cannot become "
                + state);
        }
        return put(job.toBuilder().setState(state).addTransitions(JobTransition.newBuilder().setState(state)
            .setAtUnixMs(System.currentTimeMillis()).setReason(reason)).build());
    }

    /** Adds a line to the job's event log and stores it. */
    public JobRecord event(final JobRecord job, final String message) {
        return put(job.toBuilder().addEvents(JobTransition.newBuilder().setState(job.getState())
            .setAtUnixMs(System.currentTimeMillis()).setReason(message)).build());
    }

    private void persist() {
        try {
            DurableFiles.writeAtomically(file, JobRegistrySnapshot.newBuilder().addAllJobs(jobs.values())
                .setNextId(nextId).build().toByteArray());
        } catch (final IOException ex) {
            throw new UncheckedIOException("cannot write the job registry " + file, ex);
        }
    }
}
