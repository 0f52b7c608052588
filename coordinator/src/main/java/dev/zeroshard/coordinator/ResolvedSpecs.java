package dev.zeroshard.coordinator;

import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.protocol.v1.JobRecord;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each job's spec resolved once: a spec does not change after submission, and both the REST views (every request)
 * and the scheduler (every tick) need it.
 */
final class ResolvedSpecs {
    private static final Map<String, Optional<ResolvedJob>> RESOLVED = new ConcurrentHashMap<>();

    private ResolvedSpecs() {
    }

    /** The job's resolved spec; empty when it no longer resolves (a registry written by another version). */
    static Optional<ResolvedJob> of(final JobRecord job) {
        return RESOLVED.computeIfAbsent(job.getId() + "\n" + job.getSpecJson().hashCode(), key -> {
            try {
                return Optional.of(JobSpecs.readJson(job.getSpecJson()));
            } catch (final ConfigException ex) {
                return Optional.empty();
            }
        });
    }
}
