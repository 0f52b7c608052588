package dev.zeroshard.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ZeroshardCliTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args) {
        return ZeroshardCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void shouldListEverySubcommandWithOneLineWhenAskedForHelp() {
        assertThat(run("--help")).isZero();

        assertThat(out.toString()).contains("Commands:", "demo", "config");
    }

    @Test
    void shouldExitWithUsageStatusWhenSubcommandIsUnknown() {
        assertThat(run("trian")).isEqualTo(2);

        assertThat(err.toString()).contains("Unmatched argument", "trian");
    }

    @Test
    void shouldExitWithUsageStatusWhenFlagIsUnknown() {
        assertThat(run("config", "resolve", "--wrold-size", "4", "x.json")).isEqualTo(2);

        assertThat(err.toString()).contains("--wrold-size");
    }

    @Test
    void shouldExitWithUsageStatusWhenNoCommandIsGiven() {
        assertThat(run()).isEqualTo(2);

        assertThat(err.toString()).contains("Missing command");
    }

    @Test
    void shouldOfferBothWaysOfJoiningTheCluster() {
        assertThat(run("worker", "--help")).isZero();

        assertThat(out.toString()).contains("--discovery=seeds|kubernetes", "--management-port=PORT", "--seed");
    }

    @Test
    void shouldRefuseAWorkerWithoutSeedsUnlessItDiscoversThroughKubernetes() {
        assertThat(run("worker")).isEqualTo(2);
        assertThat(err.toString()).contains("give --seed HOST:PORT", "--discovery kubernetes");

        assertThat(run("worker", "--discovery", "kubernetes", "--seed", "10.0.0.1:25520")).isEqualTo(2);
        assertThat(err.toString()).contains("--seed cannot be combined with --discovery kubernetes");
    }

    @Test
    void shouldRefuseTheCudaBackendForAWorkerWithoutAGpuSayingWhy() {
        assertThat(run("worker", "--seed", "127.0.0.1:1", "--backend", "cuda")).isNotZero();
        assertThat(err.toString()).contains("--backend=cuda: the CUDA backend cannot run here: no CUDA device");

        assertThat(run("worker", "--seed", "127.0.0.1:1", "--backend", "tpu")).isNotZero();
        assertThat(err.toString()).contains("--backend=tpu: must be auto, cpu or cuda");
    }

    @Test
    void shouldNameAMissingKubeconfigAndABadPollPeriodOfTheOperator(@TempDir final Path dir) {
        assertThat(run("operator", "--kubeconfig", dir.resolve("none.yaml").toString())).isNotZero();
        assertThat(err.toString()).contains("--kubeconfig=" + dir.resolve("none.yaml") + ": no readable file there");

        assertThat(run("operator", "--poll", "0")).isNotZero();
        assertThat(err.toString()).contains("--poll=0: must be >= 1 second");
    }

    @Test
    void shouldRefuseAnUnknownDiscoveryAndABadManagementPort(@TempDir final Path dir) {
        assertThat(run("coordinator", "--discovery", "dns", "--data-dir", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--discovery=dns is not one of: seeds, kubernetes");

        assertThat(run("worker", "--discovery", "kubernetes", "--management-port", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("management port=0 is not in 1..65535");
    }

    @Test
    void shouldPrintResolvedConfigWithSources(@TempDir final Path dir) throws IOException {
        final Path config = Files.writeString(dir.resolve("ds.json"), """
            {"train_batch_size": 32, "gradient_accumulation_steps": 2,
             "zero_optimization": {"stage": 2, "reduce_bucket_size": 5e8}}""");

        assertThat(run("config", "resolve", config.toString(), "--world-size", "4")).isZero();

        assertThat(out.toString())
            .containsPattern("train_micro_batch_size_per_gpu\\s+4\\b.*inferred")
            .containsPattern("zero_optimization.reduce_bucket_size\\s+500000000\\b.*file");
    }

    @Test
    void shouldListEveryProblemAndExitWithOneWhenConfigIsInvalid(@TempDir final Path dir) throws IOException {
        final Path config = Files.writeString(dir.resolve("ds.json"), """
            {"train_batch_size": 30, "train_micro_batch_size_per_gpu": 4,
             "zero_optimisation": {"stage": 2}}""");

        assertThat(run("config", "resolve", config.toString(), "--world-size", "4")).isEqualTo(1);

        assertThat(err.toString())
            .contains("2 problems")
            .contains("train_batch_size=30")
            .contains("zero_optimization");
    }

    @Test
    void shouldPrintACheckedJobThroughABufferedStandardOutput(@TempDir final Path dir) throws IOException {
        final Path job = Files.writeString(dir.resolve("job.json"), """
            {"name": "tiny", "model": {"vocab_size": 256, "n_positions": 32, "n_embd": 16, "n_layer": 1, "n_head": 2},
             "data": {"builtin": "patterns", "seq_len": 16},
             "deepspeed": {"train_batch_size": 4, "train_micro_batch_size_per_gpu": 2},
             "max_steps": 3, "world_size": 2}
            """);
        // as main() runs it: a PrintWriter over System.out buffers until a line end or a flush
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final int status = ZeroshardCli.run(new PrintWriter(stdout, true), new PrintWriter(err, true),
            "config", "check", job.toString());

        assertThat(status).as(err.toString()).isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("tiny");
    }

    @Test
    void shouldSayWhatIsWrongWithAFileThatIsMissing(@TempDir final Path dir) throws IOException {
        final Path model = Files.writeString(dir.resolve("config.json"),
            "{\"vocab_size\": 256, \"n_positions\": 32, \"n_embd\": 16, \"n_layer\": 1, \"n_head\": 2}");
        final Path missing = dir.resolve("nope.safetensors");
        assertThat(run("eval", "--model", model.toString(), "--weights", missing.toString(),
            "--tokens", missing.toString(), "--batch", "1", "--seq", "8")).isEqualTo(1);

        assertThat(err.toString()).contains(missing + ": no such file or directory");
    }

    @Test
    void shouldFailAndSayWhyWhenTheCoordinatorRefusesToListJobs() throws IOException {
        final HttpServer coordinator = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        coordinator.createContext("/v1/jobs", exchange -> {
            final byte[] body = "{\"error\":\"this coordinator needs 'Authorization: Bearer <token>'\"}"
                .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(401, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        coordinator.start();
        try {
            assertThat(run("status", "--url", "http://127.0.0.1:" + coordinator.getAddress().getPort())).isEqualTo(1);
        } finally {
            coordinator.stop(0);
        }

        assertThat(err.toString()).contains("zeroshard status: this coordinator needs 'Authorization: Bearer <token>'");
        assertThat(out.toString()).doesNotContain("0/0");
    }

    @Test
    void shouldTreatAnOutOfRangeFlagValueAsAUsageError() {
        assertThat(run("train", "--ranks", "0", "--deepspeed", "ds.json", "--model", "m.json", "--steps", "1"))
            .isEqualTo(2);
        assertThat(err.toString()).contains("--ranks=0 must be >= 1");
        assertThat(run("config", "resolve", "x.json", "--world-size", "0")).isEqualTo(2);
    }

    @Test
    void shouldNameTheFileWhenItDoesNotExist(@TempDir final Path dir) {
        assertThat(run("config", "resolve", dir.resolve("missing.json").toString())).isEqualTo(1);

        assertThat(err.toString()).contains("missing.json");
    }

    @Test
    void shouldTrainBuiltinJobInDemo() {
        assertThat(run("demo", "--local", "--steps", "20")).as(err.toString()).isZero();

        assertThat(out.toString()).contains("job          demo", "step 20/20", "done: loss");
    }
}
