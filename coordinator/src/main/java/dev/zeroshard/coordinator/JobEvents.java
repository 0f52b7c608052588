package dev.zeroshard.coordinator;

import akka.http.javadsl.model.sse.ServerSentEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroshard.protocol.v1.JobRecord;
import dev.zeroshard.protocol.v1.JobTransition;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns successive snapshots of one job into the server-sent events of what changed since the previous one: each
 * new transition ({@code state}), each new event-log line ({@code event}) and a new step ({@code progress}).
 */
final class JobEvents implements akka.japi.function.Function<JobRecord, Iterable<ServerSentEvent>> {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private int transitions;
    private int events;
    private long step = -1;

    @Override
    public Iterable<ServerSentEvent> apply(final JobRecord job) {
        final List<ServerSentEvent> out = new ArrayList<>();
        for (; transitions < job.getTransitionsCount(); transitions++) {
            out.add(event("state", job, job.getTransitions(transitions)));
        }
        for (; events < job.getEventsCount(); events++) {
            out.add(event("event", job, job.getEvents(events)));
        }
        if (job.getStep() != step) {
            step = job.getStep();
            final ObjectNode data = MAPPER.createObjectNode().put("id", job.getId()).put("step", job.getStep())
                .put("max_steps", job.getMaxSteps()).put("loss", job.getLoss()).put("tokens_per_s", job.getTokensPerS());
            out.add(ServerSentEvent.create(data.toString(), "progress"));
        }
        return out;
    }

    private static ServerSentEvent event(final String type, final JobRecord job, final JobTransition transition) {
        final ObjectNode data = MAPPER.createObjectNode().put("id", job.getId())
            .put("state", transition.getState().name()).put("at", Instant.ofEpochMilli(transition.getAtUnixMs())
                .toString()).put("reason", transition.getReason());
        return ServerSentEvent.create(data.toString(), type);
    }
}
