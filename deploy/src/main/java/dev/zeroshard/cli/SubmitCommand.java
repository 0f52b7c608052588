package dev.zeroshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code zeroshard submit}: sends a job spec to the coordinator and, with {@code --follow}, shows it to the end. */
@Command(name = "submit", mixinStandardHelpOptions = true,
    description = {"Submit a job spec (JSON) to the coordinator's REST API; --follow shows it until it ends.",
        "A coordinator started with a token needs it in $ZEROSHARD_AUTH_TOKEN."})
final class SubmitCommand implements Callable<Integer> {
    static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED");

    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "JOB_JSON", description = "job spec file")
    private Path jobFile;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "coordinator (default: ${DEFAULT-VALUE})")
    private String url;

    @Option(names = "--follow", description = "show progress until the job ends; exit 0 only if it succeeded")
    private boolean follow;

    @Override
    public Integer call() throws Exception {
        final RestClient client = new RestClient(url);
        final PrintWriter out = spec.commandLine().getOut();
        final RestClient.Reply reply = client.post("/v1/jobs", Files.readString(jobFile, StandardCharsets.UTF_8));
        if (reply.status() != 201) {
            spec.commandLine().getErr().println("zeroshard submit: " + reply.error());
            return ZeroshardCli.EXIT_INVALID_INPUT;
        }
        final String id = reply.body().path("id").asText();
        out.println("submitted " + id);
        out.flush();
        return follow ? follow(client, id, out) : 0;
    }

    /** Polls the job once a second, one progress line per change, until it ends. */
    static int follow(final RestClient client, final String id, final PrintWriter out) throws Exception {
        String lastLine = "";
        while (true) {
            final JsonNode job = client.get("/v1/jobs/" + id).body();
            final String state = job.path("state").asText();
            final String line = String.format(Locale.ROOT, "%s %s | step %d/%d | loss %s | %,.0f tokens/s%s", id,
                state, job.path("step").asLong(), job.path("max_steps").asLong(),
                job.path("loss").isNull() ? "-" : String.format(Locale.ROOT, "%.4f", job.path("loss").asDouble()),
                job.path("tokens_per_s").asDouble(), job.has("eta_s") ? " | ETA " + job.path("eta_s").asLong() + " s"
                    : "");
            if (!line.equals(lastLine)) {
                out.println(line);
                out.flush();
                lastLine = line;
            }
            if (TERMINAL.contains(state)) {
                final JsonNode transitions = job.path("transitions");
                out.println(id + " " + state + ": " + transitions.get(transitions.size() - 1).path("reason").asText()
                    + (job.path("last_checkpoint").asText().isEmpty() ? ""
                    : "; last checkpoint " + job.path("last_checkpoint").asText()));
                return "SUCCEEDED".equals(state) ? 0 : 1;
            }
            Thread.sleep(1000);
        }
    }
}
