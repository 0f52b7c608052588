package dev.zeroshard.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code zeroshard bench rest}: an open-loop load of GET requests at a fixed rate (requests are sent on schedule,
 * whether or not earlier ones have answered, so a slow server shows up as latency, not as a lower rate), reporting
 * latency percentiles and errors.
 */
@Command(name = "rest", mixinStandardHelpOptions = true,
    description = "GET a coordinator route at a fixed rate and report latency percentiles (open loop).")
final class BenchRestCommand implements java.util.concurrent.Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--url", required = true, description = "the full URL to GET, e.g. http://127.0.0.1:8080/v1/jobs/job-000001")
    private String url;

    @Option(names = "--rate", defaultValue = "200", description = "requests per second (default: ${DEFAULT-VALUE})")
    private int rate;

    @Option(names = "--seconds", defaultValue = "30", description = "duration (default: ${DEFAULT-VALUE})")
    private int seconds;

    @Override
    public Integer call() throws Exception {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newFixedThreadPool(8)).build();
        final HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        RestClient.token(null).ifPresent(token -> builder.header("Authorization", "Bearer " + token));
        final HttpRequest request = builder.build();
        final ConcurrentLinkedQueue<Long> latenciesNs = new ConcurrentLinkedQueue<>();
        final AtomicInteger errors = new AtomicInteger();
        final List<CompletableFuture<?>> inFlight = new ArrayList<>();
        final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        final long total = (long) rate * seconds;
        final long periodNs = TimeUnit.SECONDS.toNanos(1) / rate;
        final AtomicInteger sent = new AtomicInteger();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        ticker.scheduleAtFixedRate(() -> {
            if (sent.incrementAndGet() > total) {
                done.complete(null);
                return;
            }
            final long start = System.nanoTime();
            final CompletableFuture<?> reply = http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .whenComplete((response, failure) -> {
                    latenciesNs.add(System.nanoTime() - start);
                    if (failure != null || response.statusCode() >= 400) {
                        errors.incrementAndGet();
                    }
                });
            synchronized (inFlight) {
                inFlight.add(reply);
            }
        }, 0, periodNs, TimeUnit.NANOSECONDS);
        done.get(seconds + 30L, TimeUnit.SECONDS);
        ticker.shutdownNow();
        synchronized (inFlight) {
            CompletableFuture.allOf(inFlight.toArray(new CompletableFuture<?>[0])).exceptionally(e -> null)
                .get(30, TimeUnit.SECONDS);
        }
        final long[] sorted = latenciesNs.stream().mapToLong(Long::longValue).sorted().toArray();
        spec.commandLine().getOut().println(String.format(Locale.ROOT,
            "%d requests at %d/s: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, %d errors", sorted.length, rate,
            percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99),
            sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6, errors.get()));
        return 0;
    }

    private static double percentile(final long[] sorted, final double p) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))] / 1e6;
    }
}
