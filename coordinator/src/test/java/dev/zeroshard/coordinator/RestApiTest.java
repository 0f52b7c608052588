package dev.zeroshard.coordinator;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The REST routes over a real HTTP server and a real {@link JobManager} (no workers: jobs wait in SCHEDULING):
 * the status codes and JSON error bodies of the API.
 */
class RestApiTest {
    private static final String JOB = """
        {"name": "tiny", "model": {"vocab_size": 256, "n_positions": 32, "n_embd": 32, "n_layer": 2, "n_head": 2},
         "deepspeed": {"train_micro_batch_size_per_gpu": 2}, "maxSteps": 10, "world_size": 2}""";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dataDir;
    private ActorTestKit testKit;
    private ActorRef<JobManager.Command> manager;
    private ServerBinding binding;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        testKit = ActorTestKit.create(ConfigFactory.parseString("akka.loglevel = WARNING"));
        manager = testKit.spawn(JobManager.create(dataDir), "job-manager");
        binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0)
            .bind(new RestApi(manager, testKit.system(), Optional.empty()).routes()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        testKit.shutdownTestKit();
    }

    private HttpResponse<String> send(final String method, final String path, final String contentType,
                                      final String body) throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + binding.localAddress().getPort() + path));
        if (body != null) {
            request.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(final HttpResponse<String> response) throws Exception {
        return MAPPER.readTree(response.body());
    }

    @Test
    void shouldAcceptAJobShowItAndCancelItOnce() throws Exception {
        final HttpResponse<String> created = send("POST", "/v1/jobs", "application/json", JOB);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        final String id = json(created).path("id").asText();

        final JsonNode job = json(send("GET", "/v1/jobs/" + id, null, null));
        assertThat(job.path("state").asText()).isEqualTo("SCHEDULING");
        assertThat(job.path("transitions").findValuesAsText("state")).containsExactly("PENDING", "SCHEDULING");
        assertThat(job.path("world_size").asInt()).isEqualTo(job.path("requested_world_size").asInt()).isPositive();
        assertThat(job.path("deepspeed").path("train_batch_size").asInt()).isEqualTo(4);
        assertThat(json(send("GET", "/v1/jobs", null, null))).hasSize(1);
        assertThat(send("POST", "/v1/jobs/" + id + "/cancel", null, null).statusCode()).isEqualTo(200);

        final HttpResponse<String> again = send("POST", "/v1/jobs/" + id + "/cancel", null, null);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(json(again).path("error").asText()).contains("is CANCELLED and cannot be cancelled");
        assertThat(json(send("GET", "/v1/workers", null, null))).isEmpty();
        assertThat(send("GET", "/healthz", null, null).statusCode()).isEqualTo(200);
    }

    private HttpResponse<String> submitWithKey(final String key, final String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + binding.localAddress().getPort()
            + "/v1/jobs")).header("Content-Type", "application/json").header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldCreateAJobOncePerIdempotencyKey() throws Exception {
        final HttpResponse<String> created = submitWithKey("team-a:tiny.1", JOB);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(json(created).path("created").asBoolean()).isTrue();
        final String id = json(created).path("id").asText();

        final HttpResponse<String> again = submitWithKey("team-a:tiny.1", JOB.replace("\"maxSteps\": 10",
            "\"maxSteps\": 99"));
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(json(again).path("id").asText()).isEqualTo(id);
        assertThat(json(again).path("state").asText()).isEqualTo("SCHEDULING");
        assertThat(json(again).path("created").asBoolean(true)).isFalse();
        assertThat(json(send("GET", "/v1/jobs", null, null))).hasSize(1);
        assertThat(json(send("GET", "/v1/jobs/" + id, null, null)).path("submission_key").asText())
            .isEqualTo("team-a:tiny.1");

        final HttpResponse<String> plain = send("POST", "/v1/jobs", "application/json", JOB);
        assertThat(plain.statusCode()).isEqualTo(201);
        assertThat(json(plain).path("created").asBoolean()).isTrue();
        assertThat(json(send("GET", "/v1/jobs/" + json(plain).path("id").asText(), null, null))
            .has("submission_key")).as("no key, no field").isFalse();
    }

    @Test
    void shouldRefuseAnInvalidIdempotencyKeyNamingTheHeader() throws Exception {
        for (final String key : new String[] {"has space", "a/b", "k".repeat(129), "key!", "{json}"}) {
            final HttpResponse<String> response = submitWithKey(key, JOB);
            assertThat(response.statusCode()).as(key).isEqualTo(400);
            final JsonNode detail = json(response).path("details").get(0);
            assertThat(detail.path("field").asText()).isEqualTo("Idempotency-Key");
            assertThat(detail.path("message").asText()).isEqualTo(SubmissionKey.RULE);
            assertThat(detail.path("value").asText()).isNotEmpty();
        }
        assertThat(json(submitWithKey("a/b", JOB)).path("details").get(0).path("value").asText()).isEqualTo("a/b");
        assertThat(json(send("GET", "/v1/jobs", null, null))).as("nothing created").isEmpty();
    }

    @Test
    void shouldListEveryProblemOfAnInvalidSpecWithItsField() throws Exception {
        final HttpResponse<String> response = send("POST", "/v1/jobs", "application/json", """
            {"name": "bad name!", "model": {"vocab_size": 256, "n_positions": 32, "n_embd": 32, "n_layer": 2,
             "n_head": 4}, "deepspeed": {"train_micro_batch_size_per_gpu": 0, "zero_optimization": {"stage": 7}}}""");

        assertThat(response.statusCode()).isEqualTo(400);
        final JsonNode body = json(response);
        assertThat(body.path("error").asText()).startsWith("invalid job spec");
        assertThat(body.path("details").findValuesAsText("field")).contains("name");
        assertThat(response.body()).contains("zero_optimization.stage", "train_micro_batch_size_per_gpu");
    }

    @Test
    void shouldAnswerWrongRequestsWithTheRightStatusInJson() throws Exception {
        assertThat(send("POST", "/v1/jobs", "text/plain", JOB).statusCode()).isEqualTo(415);
        assertThat(send("POST", "/v1/jobs", "application/json", "{\"name\": ").statusCode()).isEqualTo(400);
        assertThat(send("POST", "/v1/jobs", "application/json", "[1, 2]").statusCode()).isEqualTo(400);
        final HttpResponse<String> missing = send("GET", "/v1/jobs/job-999999", null, null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).path("error").asText()).isEqualTo("no job job-999999");
        final HttpResponse<String> huge = send("POST", "/v1/jobs", "application/json",
            "{\"name\": \"" + "x".repeat(3 << 20) + "\"}");
        assertThat(huge.statusCode()).isEqualTo(413);
        assertThat(json(huge).path("error").asText()).contains("larger than");
        final HttpResponse<String> unknown = send("GET", "/v1/nothing", null, null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).has("error")).isTrue();
        assertThat(send("DELETE", "/v1/jobs", null, null).statusCode()).isEqualTo(405);
    }

    @Test
    void shouldRequireTheBearerTokenEverywhereButHealthzWhenOneIsConfigured() throws Exception {
        binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0)
            .bind(new RestApi(manager, testKit.system(), Optional.of("s3cret")).routes()).toCompletableFuture()
            .get(10, TimeUnit.SECONDS);

        assertThat(send("GET", "/healthz", null, null).statusCode()).isEqualTo(200);
        final HttpResponse<String> refused = send("GET", "/v1/jobs", null, null);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        assertThat(send("POST", "/v1/jobs", "application/json", JOB).statusCode()).isEqualTo(401);
        final HttpResponse<String> allowed = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + binding.localAddress().getPort() + "/v1/jobs")).header("Authorization", "Bearer s3cret").GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(allowed.statusCode()).isEqualTo(200);
    }

    @Test
    void shouldExposePrometheusMetrics() throws Exception {
        send("POST", "/v1/jobs", "application/json", JOB);
        manager.tell(new JobManager.JobProgress("job-000001", 0, new dev.zeroshard.protocol.cluster.ClusterProtocol
            .RankProgress("job-000001", 0, 1, 5, 2.0, 1e-3, 0.5, 100, 0.1, 0.25, 123_456)));

        final HttpResponse<String> metrics = send("GET", "/metrics", null, null);

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(metrics.body()).contains("# TYPE zeroshard_jobs gauge", "zeroshard_jobs{state=\"SCHEDULING\"} 1",
            "zeroshard_workers{busy=\"false\"} 0", "zeroshard_job_step{job=\"job-000001\",state=\"SCHEDULING\"} 0.0",
            "zeroshard_rank_comm_wait_seconds{job=\"job-000001\",rank=\"1\",worker=\"\"} 0.25",
            "zeroshard_rank_bytes_sent_total{job=\"job-000001\",rank=\"1\",worker=\"\"} 123456.0");
        assertThat(json(send("GET", "/v1/jobs/job-000001", null, null)).path("ranks").size())
            .as("no ranks are assigned while the job waits for workers").isZero();
    }

    @Test
    void shouldStreamAJobsStateChangesAsServerSentEventsUntilItEnds() throws Exception {
        final String id = json(send("POST", "/v1/jobs", "application/json", JOB)).path("id").asText();
        send("POST", "/v1/jobs/" + id + "/cancel", null, null);

        final HttpResponse<String> events = send("GET", "/v1/jobs/" + id + "/events", null, null);

        assertThat(events.statusCode()).isEqualTo(200);
        assertThat(events.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        assertThat(events.body()).contains("event:state", "\"state\":\"SCHEDULING\"", "\"state\":\"CANCELLED\"",
            "event:progress");
        assertThat(send("GET", "/v1/jobs/job-424242/events", null, null).statusCode()).isEqualTo(404);
    }

    /** Every documented path and method answers, with a status the document lists; and it is served. */
    @Test
    void shouldMatchTheOpenApiDocument() throws Exception {
        final JsonNode document = json(send("GET", "/v1/openapi.json", null, null));
        final String id = json(send("POST", "/v1/jobs", "application/json", JOB)).path("id").asText();
        int checked = 0;
        for (final var path = document.path("paths").fields(); path.hasNext(); ) {
            final var entry = path.next();
            for (final var operation = entry.getValue().fields(); operation.hasNext(); ) {
                final var method = operation.next();
                if ("parameters".equals(method.getKey())) {
                    continue;
                }
                final String route = entry.getKey().replace("{id}", id);
                final boolean withBody = "post".equals(method.getKey()) && route.endsWith("/jobs");
                final HttpResponse<String> response = send(method.getKey().toUpperCase(java.util.Locale.ROOT), route,
                    withBody ? "application/json" : null, withBody ? JOB : null);
                assertThat(method.getValue().path("responses").has(Integer.toString(response.statusCode())))
                    .as(method.getKey() + " " + route + " answered " + response.statusCode()).isTrue();
                checked++;
            }
        }
        assertThat(checked).isEqualTo(10);
    }

    /** Malformed and hostile bodies: each a 4xx with a JSON error, and the coordinator keeps serving. */
    @Test
    void shouldRefuseHostileBodiesAndStayHealthy() throws Exception {
        final String deep = "[".repeat(5000) + "]".repeat(5000);
        final String[] bodies = {
            deep,
            "{\"name\": \"x\", \"model\": " + deep + "}",
            JOB.replace("\"maxSteps\": 10", "\"maxSteps\": 1e400"),
            JOB.replace("\"maxSteps\": 10", "\"maxSteps\": 99999999999999999999999999"),
            JOB.replace("\"maxSteps\": 10", "\"maxSteps\": \"ten\""),
            JOB.replace("\"maxSteps\": 10", "\"maxSteps\": 10, \"surprise\": true"),
            "\"just a string\"",
            "",
            "null"};
        for (final String body : bodies) {
            final HttpResponse<String> response = send("POST", "/v1/jobs", "application/json", body);
            assertThat(response.statusCode()).as(body.length() > 80 ? body.substring(0, 80) : body).isEqualTo(400);
            assertThat(json(response).path("error").asText()).isNotBlank();
        }
        final HttpResponse<String> invalidUtf8 = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + binding.localAddress().getPort() + "/v1/jobs")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'{', '"', (byte) 0xc3, (byte) 0x28, '"', ':',
                '1', '}'})).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(invalidUtf8.statusCode()).isEqualTo(400);
        assertThat(send("POST", "/v1/jobs", "application/json", JOB).statusCode()).as("still accepting jobs")
            .isEqualTo(201);
    }
}
