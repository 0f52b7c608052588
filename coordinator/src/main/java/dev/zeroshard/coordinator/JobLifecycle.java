package dev.zeroshard.coordinator;

import dev.zeroshard.protocol.v1.JobState;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The job state machine: PENDING → SCHEDULING (waiting for world_size free workers) → RUNNING (→ CHECKPOINTING →
 * RUNNING) → SUCCEEDED | FAILED | CANCELLED, and RUNNING → RECOVERING → SCHEDULING after a lost worker. Anything
 * else is an illegal transition (409 over REST).
 */
public final class JobLifecycle {
    private static final Map<JobState, Set<JobState>> ALLOWED = Map.of(
        JobState.PENDING, EnumSet.of(JobState.SCHEDULING, JobState.CANCELLED, JobState.FAILED),
        JobState.SCHEDULING, EnumSet.of(JobState.RUNNING, JobState.CANCELLED, JobState.FAILED),
        JobState.RUNNING, EnumSet.of(JobState.CHECKPOINTING, JobState.RECOVERING, JobState.SUCCEEDED,
            JobState.FAILED, JobState.CANCELLED),
        JobState.CHECKPOINTING, EnumSet.of(JobState.RUNNING, JobState.RECOVERING, JobState.SUCCEEDED,
            JobState.FAILED, JobState.CANCELLED),
        JobState.RECOVERING, EnumSet.of(JobState.SCHEDULING, JobState.FAILED, JobState.CANCELLED),
        JobState.SUCCEEDED, EnumSet.noneOf(JobState.class),
        JobState.FAILED, EnumSet.noneOf(JobState.class),
        JobState.CANCELLED, EnumSet.noneOf(JobState.class));

    private JobLifecycle() {
    }

    public static boolean allowed(final JobState from, final JobState to) {
        return ALLOWED.getOrDefault(from, Set.of()).contains(to);
    }

    public static boolean terminal(final JobState state) {
        return state == JobState.SUCCEEDED || state == JobState.FAILED || state == JobState.CANCELLED;
    }
}
