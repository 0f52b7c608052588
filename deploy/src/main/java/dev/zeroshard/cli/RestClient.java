package dev.zeroshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The coordinator's REST API as the CLI ({@code submit}, {@code status}) and the Kubernetes operator use it. */
public final class RestClient {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    /** A response: status and parsed JSON body. */
    public record Reply(int status, JsonNode body) {
        /** The error message and every detail (field = value: rule), one per line. */
        public String error() {
            final StringBuilder text = new StringBuilder(body.path("error").asText("HTTP " + status));
            body.path("details").forEach(d -> text.append("\n  ").append(d.path("field").asText()).append(" = ")
                .append(d.path("value").asText()).append(": ").append(d.path("message").asText()));
            return text.toString();
        }
    }

    private final Optional<String> token;

    RestClient(final String base) {
        this(base, token(null));
    }

    public RestClient(final String base, final Optional<String> token) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token;
    }

    /** The bearer token: the file's first line when given, else {@code $ZEROSHARD_AUTH_TOKEN}, else none. */
    static Optional<String> token(final Path file) {
        try {
            if (file != null) {
                return Optional.of(Files.readAllLines(file, StandardCharsets.UTF_8).get(0).trim());
            }
        } catch (final IOException | IndexOutOfBoundsException ex) {
            throw new IllegalArgumentException("cannot read a token from " + file + ": " + ex.getMessage());
        }
        return Optional.ofNullable(System.getenv("ZEROSHARD_AUTH_TOKEN")).filter(t -> !t.isBlank());
    }

    public Reply get(final String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15)).GET().build());
    }

    public Reply post(final String path, final String json) throws IOException, InterruptedException {
        return post(path, json, Map.of());
    }

    /** POST with extra headers (an {@code Idempotency-Key}). */
    public Reply post(final String path, final String json, final Map<String, String> headers)
        throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
        headers.forEach(request::header);
        return send(request.build());
    }

    private Reply send(final HttpRequest unauthenticated) throws IOException, InterruptedException {
        final HttpRequest request = token.map(t -> HttpRequest.newBuilder(unauthenticated, (name, value) -> true)
            .header("Authorization", "Bearer " + t).build()).orElse(unauthenticated);
        final HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (final java.net.ConnectException ex) {
            throw new IOException("no coordinator at " + base + " (is 'zeroshard simulate' or 'zeroshard coordinator' "
                + "running? --url sets the address)", ex);
        }
        final String body = response.body();
        return new Reply(response.statusCode(), body.isBlank() ? MAPPER.createObjectNode() : MAPPER.readTree(body));
    }
}
