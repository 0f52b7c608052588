package dev.zeroshard.coordinator;

import akka.NotUsed;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.marshalling.sse.EventStreamMarshalling;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpCharsets;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.sse.ServerSentEvent;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.Directives;
import akka.http.javadsl.server.ExceptionHandler;
import akka.http.javadsl.server.PathMatchers;
import akka.http.javadsl.server.RejectionHandler;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.unmarshalling.Unmarshaller;
import akka.http.scaladsl.model.EntityStreamSizeException;
import akka.stream.javadsl.Source;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankProgress;
import dev.zeroshard.protocol.cluster.ClusterProtocol.WorkerDescription;
import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.v1.JobRecord;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The coordinator's REST API under {@code /v1} (and {@code /healthz}): jobs (submit, list, get, cancel, metrics)
 * and workers, answered by the {@link JobManager}. Every error is JSON {@code {"error", "details": [{"field",
 * "message"}]}}: 400 for an invalid spec (every problem the config readers find, with its path) or an invalid
 * {@link SubmissionKey#HEADER}, 404, 409 for a transition the lifecycle forbids, 413 above {@link #MAX_BODY_BYTES},
 * 415 for a body that is not JSON.
 */
public final class RestApi extends AllDirectives {
    /** Largest request body accepted. */
    public static final long MAX_BODY_BYTES = 1 << 20;
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration EVENT_POLL = Duration.ofSeconds(1);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ActorRef<JobManager.Command> manager;
    private final ActorSystem<?> system;
    private final Optional<byte[]> token;

    /**
     * @param token the bearer token every route but {@code /healthz} requires; empty: none (loopback only, which
     *              {@link CoordinatorNode} enforces).
     */
    public RestApi(final ActorRef<JobManager.Command> manager, final ActorSystem<?> system,
                   final Optional<String> token) {
        this.manager = manager;
        this.system = system;
        this.token = token.map(value -> ("Bearer " + value).getBytes(StandardCharsets.UTF_8));
    }

    public Route routes() {
        return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> concat(
            path("healthz", () -> get(() -> complete(json(StatusCodes.OK, MAPPER.createObjectNode()
                .put("status", "ok"))))),
            authenticated(this::protectedRoutes))));
    }

    /** Lets a request through when no token is configured or its Authorization header carries it; else 401. */
    private Route authenticated(final Supplier<Route> inner) {
        if (token.isEmpty()) {
            return inner.get();
        }
        return extractRequest(request -> {
            final byte[] given = request.getHeader("Authorization").map(h -> h.value().getBytes(StandardCharsets.UTF_8))
                .orElse(new byte[0]);
            if (MessageDigest.isEqual(given, token.get())) {
                return inner.get();
            }
            system.log().warn("refused {} {}: {} bearer token", request.method().value(), request.getUri().path(),
                given.length == 0 ? "no" : "a wrong");
            return complete(error(StatusCodes.UNAUTHORIZED, "this coordinator needs 'Authorization: Bearer <token>'",
                List.of()).addHeader(HttpHeader.parse("WWW-Authenticate", "Bearer")));
        });
    }

    private Route protectedRoutes() {
        return concat(
            path("metrics", () -> get(this::prometheus)),
            pathPrefix("v1", () -> concat(
                path("openapi.json", () -> get(() -> getFromResource("dev/zeroshard/coordinator/openapi.json",
                    ContentTypes.APPLICATION_JSON))),
                path("jobs", () -> concat(post(this::submit), get(this::listJobs))),
                path(PathMatchers.segment("jobs").slash(PathMatchers.segment()), id -> get(() -> getJob(id))),
                path(PathMatchers.segment("jobs").slash(PathMatchers.segment()).slash("cancel"),
                    id -> post(() -> cancel(id))),
                path(PathMatchers.segment("jobs").slash(PathMatchers.segment()).slash("metrics"),
                    id -> get(() -> metrics(id))),
                path(PathMatchers.segment("jobs").slash(PathMatchers.segment()).slash("events"),
                    id -> get(() -> events(id))),
                path("workers", () -> get(this::workers)))));
    }

    /**
     * 201 {@code {"id", "state", "created": true}} for a new job; with an {@link SubmissionKey#HEADER} an earlier
     * submission used, 200 and that job with {@code "created": false} (the body is not compared).
     */
    private Route submit() {
        return optionalHeaderValueByName(SubmissionKey.HEADER, header -> {
            final Optional<ConfigError> badKey = header.flatMap(SubmissionKey::problem);
            if (badKey.isPresent()) {
                return complete(error(StatusCodes.BAD_REQUEST, "invalid " + SubmissionKey.HEADER + " header",
                    List.of(badKey.get())));
            }
            final Optional<SubmissionKey> key = header.map(SubmissionKey::new);
            return withSizeLimit(MAX_BODY_BYTES, () -> extractRequestEntity(entity -> {
                if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
                    return complete(error(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "a job spec is JSON: send Content-Type "
                        + "application/json, not " + entity.getContentType(), List.of()));
                }
                return entity(Unmarshaller.entityToString(), body -> onSuccess(
                    ask(replyTo -> new JobManager.Submit(body, key, replyTo)), (JobManager.SubmitResult result) -> {
                        if (result.job().isEmpty()) {
                            return complete(error(StatusCodes.BAD_REQUEST, "invalid job spec: "
                                + result.errors().size() + " problem(s)", result.errors()));
                        }
                        return complete(json(result.created() ? StatusCodes.CREATED : StatusCodes.OK,
                            MAPPER.createObjectNode()
                                .put("id", result.job().get().getId())
                                .put("state", result.job().get().getState().name())
                                .put("created", result.created())));
                    }));
            }));
        });
    }

    private Route listJobs() {
        return onSuccess(ask(JobManager.GetJobs::new), jobs -> complete(json(StatusCodes.OK, JobViews.jobs(jobs))));
    }

    private Route getJob(final String id) {
        final CompletionStage<Optional<JobRecord>> job = ask(replyTo -> new JobManager.GetJob(id, replyTo));
        final CompletionStage<List<RankProgress>> ranks = ask(replyTo -> new JobManager.GetJobRanks(id, replyTo));
        return onSuccess(job.thenCombine(ranks, (found, progress) -> found
                .map(record -> json(StatusCodes.OK, JobViews.job(record, true, progress)))
                .orElseGet(() -> notFound(id))),
            this::complete);
    }

    private Route cancel(final String id) {
        return onSuccess(ask(replyTo -> new JobManager.Cancel(id, replyTo)), (JobManager.CancelResult result) -> {
            if (result.job().isEmpty()) {
                return complete(notFound(id));
            }
            if (!result.accepted()) {
                return complete(error(StatusCodes.CONFLICT, "job " + id + " is " + result.job().get().getState()
                    + " and cannot be cancelled", List.of()));
            }
            return complete(json(StatusCodes.OK, JobViews.job(result.job().get(), false)));
        });
    }

    private Route metrics(final String id) {
        return onSuccess(ask(replyTo -> new JobManager.GetMetrics(id, replyTo)),
            (Optional<List<RankProgress>> series) ->
                complete(series.map(points -> json(StatusCodes.OK, JobViews.metrics(points)))
                    .orElseGet(() -> notFound(id))));
    }

    /**
     * Server-sent events of one job until it ends: {@code state} (each transition), {@code event} (each line of its
     * event log) and {@code progress} (step, loss, tokens/s when they change), polled once a second.
     */
    private Route events(final String id) {
        return onSuccess(ask(replyTo -> new JobManager.GetJob(id, replyTo)), (Optional<JobRecord> found) -> {
            if (found.isEmpty()) {
                return complete(notFound(id));
            }
            final Source<ServerSentEvent, NotUsed> stream = Source.tick(Duration.ZERO, EVENT_POLL, "poll")
                .mapMaterializedValue(cancellable -> NotUsed.getInstance())
                .mapAsync(1, tick -> this.<Optional<JobRecord>>ask(replyTo -> new JobManager.GetJob(id, replyTo)))
                .filter(Optional::isPresent)
                .map(Optional::get)
                .takeWhile(job -> !JobLifecycle.terminal(job.getState()), true)
                .statefulMapConcat(JobEvents::new)
                .keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat);
            return completeOK(stream, EventStreamMarshalling.toEventStream());
        });
    }

    private Route workers() {
        return onSuccess(ask(JobManager.GetWorkers::new), workers -> complete(json(StatusCodes.OK,
            JobViews.workers(workers))));
    }

    /** Prometheus text format: jobs by state, per running job its step, step time, tokens/s and comm wait. */
    private Route prometheus() {
        final CompletionStage<List<JobRecord>> jobs = ask(JobManager.GetJobs::new);
        final CompletionStage<List<WorkerDescription>> workers =
            ask(JobManager.GetWorkers::new);
        final CompletionStage<Map<String, List<RankProgress>>> ranks = ask(JobManager.GetRanks::new);
        final CompletionStage<String> text = jobs.thenCompose(j -> workers.thenCombine(ranks,
            (w, r) -> PrometheusText.render(j, w, r)));
        return onSuccess(text, body -> complete(HttpResponse.create()
            .withEntity(HttpEntities.create(ContentTypes.create(MediaTypes.TEXT_PLAIN,
                HttpCharsets.UTF_8), body))));
    }

    private <T> CompletionStage<T> ask(final Function<ActorRef<T>, JobManager.Command> message) {
        return AskPattern.ask(manager, message::apply, ASK_TIMEOUT, system.scheduler());
    }

    private static HttpResponse notFound(final String id) {
        return error(StatusCodes.NOT_FOUND, "no job " + id, List.of());
    }

    static HttpResponse json(final StatusCode status, final JsonNode body) {
        try {
            return HttpResponse.create().withStatus(status).withEntity(HttpEntities.create(
                ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(body)));
        } catch (final JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    static HttpResponse error(final StatusCode status, final String message, final List<ConfigError> details) {
        final ObjectNode body = MAPPER.createObjectNode().put("error", message);
        final ArrayNode array = body.putArray("details");
        for (final ConfigError detail : details) {
            array.addObject().put("field", detail.path()).put("message", detail.rule()).put("value", detail.value());
        }
        return json(status, body);
    }

    private static ExceptionHandler exceptions() {
        return ExceptionHandler.newBuilder()
            .match(EntityStreamSizeException.class, ex -> Directives
                .complete(error(StatusCodes.PAYLOAD_TOO_LARGE, "request body larger than " + MAX_BODY_BYTES
                    + " bytes", List.of())))
            .match(TimeoutException.class, ex -> Directives
                .complete(error(StatusCodes.SERVICE_UNAVAILABLE, "the job manager did not answer in time", List.of())))
            .build();
    }

    private static RejectionHandler rejections() {
        return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
            if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return response;
            }
            if (response.status().equals(StatusCodes.PAYLOAD_TOO_LARGE)) {
                return error(StatusCodes.PAYLOAD_TOO_LARGE, "request body larger than " + MAX_BODY_BYTES + " bytes",
                    List.of());
            }
            final String text = response.entity() instanceof HttpEntity.Strict strict
                ? strict.getData().utf8String() : response.status().reason();
            return error(response.status(), text, List.of()).withHeaders(response.getHeaders());
        });
    }
}
