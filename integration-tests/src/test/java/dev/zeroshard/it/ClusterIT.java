package dev.zeroshard.it;

import dev.zeroshard.protocol.net.FreePorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The product as users meet it: {@code zeroshard simulate} (a coordinator and three worker JVMs in one Akka
 * cluster), a job submitted over REST, one of its workers killed with SIGKILL mid-training, and the job resuming
 * from its last checkpoint on the spare worker and finishing; then Ctrl-C (SIGTERM) leaves no process behind.
 */
@Timeout(400)
class ClusterIT {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String JOB = """
        {"name": "cluster-it",
         "model": {"vocab_size": 256, "n_positions": 64, "n_embd": 64, "n_layer": 2, "n_head": 2},
         "data": {"seq_len": 32},
         "deepspeed": {"train_batch_size": 8, "train_micro_batch_size_per_gpu": 4, "gradient_clipping": 1.0,
           "zero_optimization": {"stage": 2, "overlap_comm": true, "reduce_bucket_size": 20000,
             "allgather_bucket_size": 30000},
           "optimizer": {"type": "AdamW", "params": {"lr": 3e-3, "weight_decay": 0.1}}},
         "maxSteps": 1500, "seed": 3, "world_size": 2, "elastic": {"min_workers": 1, "max_restarts": 2},
         "checkpoint": {"save_every_steps": 100}}""";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private JsonNode get(final String url) throws Exception {
        return MAPPER.readTree(http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
            HttpResponse.BodyHandlers.ofString()).body());
    }

    private HttpResponse<String> post(final String url, final String contentType, final String body)
        throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldRecoverFromAKilledWorkerAndFinishTheJobSubmittedOverRest(@TempDir final Path data) throws Exception {
        final LauncherProcess.Running simulate = LauncherProcess.start("simulate", "--workers", "3", "--port", "0",
            "--data-dir", data.toString());
        try {
            final String url = LauncherProcess.awaitRestUrl(simulate);

            assertThat(post(url + "/v1/jobs", "text/plain", JOB).statusCode()).isEqualTo(415);
            final HttpResponse<String> invalid = post(url + "/v1/jobs", "application/json",
                JOB.replace("\"stage\": 2", "\"stage\": 9"));
            assertThat(invalid.statusCode()).isEqualTo(400);
            assertThat(invalid.body()).contains("zero_optimization.stage");

            final HttpResponse<String> created = post(url + "/v1/jobs", "application/json", JOB);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            final String id = MAPPER.readTree(created.body()).path("id").asText();
            final String jobUrl = url + "/v1/jobs/" + id;

            JsonNode job = awaitJob(jobUrl, j -> j.path("step").asLong() >= 300, "step 300");
            final String victim = job.path("ranks").get(1).path("worker").asText();
            assertThat(job.path("ranks").get(1).path("bytes_sent").asLong()).as("rank 1 reports its own ring traffic")
                .isPositive();
            assertThat(http.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body()).contains("zeroshard_rank_bytes_sent_total{job=\"" + id
                + "\",rank=\"1\",worker=\"" + victim + "\"}");
            final List<ProcessHandle> killed = simulate.process().descendants()
                .filter(p -> LauncherProcess.hasArgument(p, "--id=" + victim))
                .toList();
            assertThat(killed).as("the JVM of " + victim).hasSize(1);
            killed.get(0).destroyForcibly();

            job = awaitJob(jobUrl, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(j.path("state").asText()),
                "the end of the job");
            assertThat(job.path("state").asText()).as(job.toPrettyString()).isEqualTo("SUCCEEDED");
            assertThat(job.path("restarts").asInt()).isEqualTo(1);
            assertThat(job.path("epoch").asInt()).isEqualTo(2);
            // the view shows the world the last epoch ran on, beside the one the spec asked for
            assertThat(job.path("world_size").asInt()).isEqualTo(job.path("ranks").size());
            assertThat(job.path("requested_world_size").asInt()).isEqualTo(2);
            assertThat(job.has("eta_s")).as("a finished job has no ETA").isFalse();
            assertThat(job.path("transitions").findValuesAsText("state")).containsSubsequence("PENDING", "SCHEDULING",
                "RUNNING", "RECOVERING",
                "SCHEDULING", "RUNNING", "SUCCEEDED");
            assertThat(job.path("events").toString()).contains("resumed from").contains(victim);
            assertThat(Path.of(job.path("last_checkpoint").asText()).resolve("manifest.pb")).exists();

            final JsonNode metrics = get(jobUrl + "/metrics");
            assertThat(metrics.size()).isGreaterThanOrEqualTo(1500);
            assertThat(metrics.get(metrics.size() - 1).path("loss").asDouble())
                .isLessThan(metrics.get(0).path("loss").asDouble());
            assertThat(get(url + "/v1/workers").size()).as("the killed worker left the cluster").isEqualTo(2);

            assertThat(exported(data, Path.of(job.path("last_checkpoint").asText()), "recovered"))
                .as("fp32: the recovered job's final weights are those of an uninterrupted run at the same world size")
                .isEqualTo(exported(data, uninterruptedRun(data, JOB, new int[] {2}, new long[] {1500}),
                    "uninterrupted"));
        } finally {
            simulate.process().destroy();
            assertThat(simulate.process().waitFor(60, TimeUnit.SECONDS)).as("simulate stops on SIGTERM").isTrue();
        }
        assertThat(simulate.process().descendants().filter(ProcessHandle::isAlive).toList())
            .as("no orphan JVMs").isEmpty();
    }

    @Test
    void shouldContinueOnTheSurvivorsAndEndWithTheWeightsOfARunOnTheSameWorldSizes(@TempDir final Path data)
        throws Exception {
        // no train_batch_size: the global batch is micro-batch x world size, so it may follow the world size
        final String elastic = JOB.replace("\"train_batch_size\": 8, ", "")
            .replace("\"maxSteps\": 1500", "\"maxSteps\": 700")
            .replace("\"world_size\": 2", "\"world_size\": 3")
            .replace("\"min_workers\": 1", "\"min_workers\": 2");
        final LauncherProcess.Running simulate = LauncherProcess.start("simulate", "--workers", "3", "--port", "0",
            "--threads", "1", "--data-dir", data.resolve("registry").toString());
        try {
            final String url = LauncherProcess.awaitRestUrl(simulate);
            final HttpResponse<String> created = post(url + "/v1/jobs", "application/json", elastic);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            final String jobUrl = url + "/v1/jobs/" + MAPPER.readTree(created.body()).path("id").asText();
            JsonNode job = awaitJob(jobUrl, j -> j.path("step").asLong() >= 250, "step 250");
            final String victim = job.path("ranks").get(2).path("worker").asText();
            simulate.process().descendants().filter(p -> LauncherProcess.hasArgument(p, "--id=" + victim))
                .forEach(ProcessHandle::destroyForcibly);

            job = awaitJob(jobUrl, j -> List.of("SUCCEEDED", "FAILED").contains(j.path("state").asText()),
                "the end of the job");
            assertThat(job.path("state").asText()).as(job.toPrettyString()).isEqualTo("SUCCEEDED");
            assertThat(job.path("ranks").size()).as("continued on the 2 survivors").isEqualTo(2);
            final Matcher resumed = Pattern.compile("resumed from \\S+ \\(step (\\d+)")
                .matcher(job.path("events").toString());
            assertThat(resumed.find()).as(job.path("events").toPrettyString()).isTrue();
            final long resumedAt = Long.parseLong(resumed.group(1));

            assertThat(exported(data, Path.of(job.path("last_checkpoint").asText()), "recovered"))
                .as("fp32: 3 ranks up to step " + resumedAt + ", then 2, as the cluster ran it")
                .isEqualTo(exported(data, uninterruptedRun(data, elastic, new int[] {3, 2},
                    new long[] {resumedAt, 700}), "uninterrupted"));
        } finally {
            simulate.process().destroy();
            simulate.process().waitFor(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldKnowAndFinishARunningJobAfterTheCoordinatorIsKilledAndRestarted(@TempDir final Path data)
        throws Exception {
        final int clusterPort = FreePorts.tcp();
        final int httpPort = FreePorts.tcp();
        final String url = "http://127.0.0.1:" + httpPort;
        final String[] coordinatorArgs = {"coordinator", "--port", Integer.toString(clusterPort), "--http-port",
            Integer.toString(httpPort), "--data-dir", data.toString()};
        LauncherProcess.Running coordinator = LauncherProcess.start(coordinatorArgs);
        final List<LauncherProcess.Running> workers = new java.util.ArrayList<>();
        try {
            awaitOutput(coordinator, "coordinator up");
            for (int k = 0; k < 2; k++) {
                workers.add(LauncherProcess.start("worker", "--seed", "127.0.0.1:" + clusterPort, "--id", "w" + k,
                    "--threads", "1"));
            }
            final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (get(url + "/v1/workers").size() < 2 && System.nanoTime() < until) {
                Thread.sleep(250);
            }
            final HttpResponse<String> created = post(url + "/v1/jobs", "application/json",
                JOB.replace("\"maxSteps\": 1500", "\"maxSteps\": 2500"));
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            final String jobUrl = url + "/v1/jobs/" + MAPPER.readTree(created.body()).path("id").asText();
            awaitJob(jobUrl, j -> j.path("step").asLong() >= 300, "step 300");

            coordinator.process().destroyForcibly();
            assertThat(coordinator.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            coordinator = LauncherProcess.start(coordinatorArgs);
            awaitOutput(coordinator, "coordinator up");

            final JsonNode job = awaitJob(jobUrl, j -> "SUCCEEDED".equals(j.path("state").asText())
                || "FAILED".equals(j.path("state").asText()), "the end of the job after the restart");
            assertThat(job.path("state").asText()).as(job.toPrettyString()).isEqualTo("SUCCEEDED");
            assertThat(job.path("step").asLong()).isEqualTo(2500);
            assertThat(job.path("transitions").toString()).contains("coordinator restarted while epoch 1 ran");
            assertThat(job.path("last_checkpoint").asText()).endsWith("step-00002500");
            assertThat(workers.get(0).output()).contains("lost the cluster; rejoining");
        } finally {
            for (final LauncherProcess.Running worker : workers) {
                worker.process().destroy();
            }
            for (final LauncherProcess.Running worker : workers) {
                worker.process().waitFor(30, TimeUnit.SECONDS);
            }
            coordinator.process().destroy();
            coordinator.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * {@code job} trained by {@code bin/zeroshard train} without a failure, on the world sizes a cluster run went
     * through: {@code ranks[k]} ranks up to step {@code untilStep[k]}, each leg resuming from the checkpoint the
     * previous one wrote last. Returns the last checkpoint.
     */
    private static Path uninterruptedRun(final Path data, final String jobJson, final int[] ranks,
                                         final long[] untilStep) throws Exception {
        final JsonNode job = MAPPER.readTree(jobJson);
        final Path model = Files.writeString(data.resolve("model.json"), job.path("model").toString());
        final Path deepspeed = Files.writeString(data.resolve("ds.json"), job.path("deepspeed").toString());
        final Path checkpoints = data.resolve("uninterrupted");
        Path last = null;
        for (int leg = 0; leg < ranks.length; leg++) {
            final List<String> args = new java.util.ArrayList<>(List.of("train", "--ranks",
                Integer.toString(ranks[leg]), "--deepspeed", deepspeed.toString(), "--model", model.toString(),
                "--steps", Long.toString(untilStep[leg]), "--seq", job.path("data").path("seq_len").asText(),
                "--seed", job.path("seed").asText(), "--checkpoint-dir", checkpoints.toString(), "--save-every",
                job.path("checkpoint").path("save_every_steps").asText()));
            if (last != null) {
                args.addAll(List.of("--resume", last.toString()));
            }
            final LauncherProcess.Result run = LauncherProcess.run(Duration.ofSeconds(240),
                args.toArray(String[]::new));
            assertThat(run.exitCode()).as(run.output()).isZero();
            last = checkpoints.resolve(String.format("step-%08d", untilStep[leg]));
        }
        return last;
    }

    /** SHA-256 of the fp32 weights of a checkpoint as {@code checkpoint export} writes them. */
    private static String exported(final Path data, final Path checkpoint, final String name) throws Exception {
        final Path out = data.resolve("export-" + name);
        final LauncherProcess.Result export = LauncherProcess.run(Duration.ofSeconds(60), "checkpoint", "export",
            checkpoint.toString(), "--out", out.toString());
        assertThat(export.exitCode()).as(export.output()).isZero();
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
            .digest(Files.readAllBytes(out.resolve("model.safetensors"))));
    }

    private static void awaitOutput(final LauncherProcess.Running process, final String text) throws Exception {
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!process.output().contains(text)) {
            if (!process.process().isAlive() || System.nanoTime() > until) {
                throw new AssertionError("no '" + text + "' from " + String.join(" ", process.args()) + ": "
                    + process.output());
            }
            Thread.sleep(200);
        }
    }

    private JsonNode awaitJob(final String jobUrl, final java.util.function.Predicate<JsonNode> condition,
                              final String what) throws Exception {
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        JsonNode job = null;
        while (System.nanoTime() < until) {
            job = get(jobUrl);
            if (condition.test(job)) {
                return job;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("waited in vain for " + what + ": " + (job == null ? "" : job.toPrettyString()));
    }
}
