package dev.zeroshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code zeroshard status}: the jobs the coordinator knows, or one job's details. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"List the coordinator's jobs, or show one (state, progress, ranks, transitions, events).",
        "A coordinator started with a token needs it in $ZEROSHARD_AUTH_TOKEN."})
final class StatusCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "ID", arity = "0..1", description = "a job id")
    private String id;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "coordinator (default: ${DEFAULT-VALUE})")
    private String url;

    @Override
    public Integer call() throws Exception {
        final RestClient client = new RestClient(url);
        final PrintWriter out = spec.commandLine().getOut();
        if (id == null) {
            final RestClient.Reply listed = client.get("/v1/jobs");
            if (listed.status() != 200 || !listed.body().isArray()) {
                spec.commandLine().getErr().println("zeroshard status: " + listed.error());
                return ZeroshardCli.EXIT_INVALID_INPUT;
            }
            final JsonNode jobs = listed.body();
            out.printf("%-12s %-11s %12s %10s %12s  %s%n", "id", "state", "step", "loss", "tokens/s", "name");
            for (final JsonNode job : jobs) {
                out.printf(Locale.ROOT, "%-12s %-11s %5d/%-6d %10s %12.0f  %s%n", job.path("id").asText(),
                    job.path("state").asText(), job.path("step").asLong(), job.path("max_steps").asLong(),
                    job.path("loss").isNull() ? "-" : String.format(Locale.ROOT, "%.4f", job.path("loss").asDouble()),
                    job.path("tokens_per_s").asDouble(), job.path("name").asText());
            }
            return 0;
        }
        final RestClient.Reply reply = client.get("/v1/jobs/" + id);
        if (reply.status() != 200) {
            spec.commandLine().getErr().println("zeroshard status: " + reply.error());
            return ZeroshardCli.EXIT_INVALID_INPUT;
        }
        final JsonNode job = reply.body();
        out.printf(Locale.ROOT, "%s (%s): %s, step %d/%d, loss %s, %,.0f tokens/s, epoch %d, restarts %d%n",
            job.path("id").asText(), job.path("name").asText(), job.path("state").asText(), job.path("step").asLong(),
            job.path("max_steps").asLong(), job.path("loss").isNull() ? "-" : job.path("loss").asText(),
            job.path("tokens_per_s").asDouble(), job.path("epoch").asLong(), job.path("restarts").asLong());
        job.path("ranks").forEach(rank -> out.printf("  rank %d on %s (%s)%n", rank.path("rank").asInt(),
            rank.path("worker").asText(), rank.path("endpoint").asText()));
        if (!job.path("last_checkpoint").asText().isEmpty()) {
            out.println("  last checkpoint " + job.path("last_checkpoint").asText());
        }
        job.path("transitions").forEach(t -> out.printf("  %s  %-11s %s%n", t.path("at").asText(),
            t.path("state").asText(), t.path("reason").asText()));
        job.path("events").forEach(e -> out.printf("  %s  event       %s%n", e.path("at").asText(),
            e.path("reason").asText()));
        return 0;
    }
}
