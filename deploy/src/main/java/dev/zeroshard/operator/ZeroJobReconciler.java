package dev.zeroshard.operator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zeroshard.cli.RestClient;
import dev.zeroshard.operator.crd.ZeroCluster;
import dev.zeroshard.operator.crd.ZeroJob;
import dev.zeroshard.operator.crd.ZeroJobStatus;
import dev.zeroshard.protocol.config.ConfigException;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * Runs each {@link ZeroJob} on the coordinator of its {@link ZeroCluster}: submits it once (the resource's UID is
 * the submission's {@code Idempotency-Key}, so a resubmission after an operator restart finds the same job instead
 * of creating a second), mirrors the job's state into the status while it runs, and cancels it when the resource is
 * deleted (a finalizer holds the deletion until the coordinator has been told).
 */
public final class ZeroJobReconciler implements Reconciler<ZeroJob>, Cleaner<ZeroJob> {
    private static final Logger LOG = LoggerFactory.getLogger(ZeroJobReconciler.class);
    private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED");
    private static final Set<String> TRAINING = Set.of("RUNNING", "CHECKPOINTING", "SUCCEEDED");
    /** How long a deleted job waits for an unreachable coordinator before the finalizer is dropped anyway. */
    private static final Duration CANCEL_GIVE_UP = Duration.ofMinutes(5);

    private final KubernetesClient client;
    private final CoordinatorLocator locator;
    private final EventRecorder events;
    private final Duration poll;
    private final Map<String, RestClient> clients = new ConcurrentHashMap<>();

    /** @param poll how often a running job's state is read from its coordinator. */
    public ZeroJobReconciler(final KubernetesClient client, final CoordinatorLocator locator, final Duration poll) {
        this.client = client;
        this.locator = locator;
        this.events = new EventRecorder(client);
        this.poll = poll;
    }

    @Override
    public UpdateControl<ZeroJob> reconcile(final ZeroJob job, final Context<ZeroJob> context)
        throws InterruptedException {
        final ZeroJobStatus status = job.getStatus() != null ? job.getStatus() : new ZeroJobStatus();
        job.setStatus(status);
        status.observedGeneration = job.getMetadata().getGeneration();
        if (status.jobId != null && TERMINAL.contains(upper(status.phase))) {
            return UpdateControl.noUpdate();
        }
        final Optional<Coordinator> coordinator;
        try {
            coordinator = coordinator(job);
        } catch (final ConfigException invalid) {
            return waiting(job, "ClusterInvalid", "ZeroCluster " + job.getSpec().clusterRef.name
                + " is invalid: " + ZeroClusterReconciler.describe(invalid.errors()));
        }
        if (coordinator.isEmpty()) {
            return waiting(job, "ClusterNotFound", "no ZeroCluster " + job.getSpec().clusterRef.name
                + " in namespace " + job.getMetadata().getNamespace());
        }
        try {
            if (status.jobId == null) {
                final Optional<UpdateControl<ZeroJob>> refused = submit(job, coordinator.get());
                if (refused.isPresent()) {
                    return refused.get();
                }
            }
            return mirror(job, coordinator.get());
        } catch (final IOException unreachable) {
            return waiting(job, "CoordinatorUnreachable", "the coordinator at " + coordinator.get().url()
                + " did not answer: " + unreachable.getMessage());
        }
    }

    /** POSTs the job once; an answer other than the job's id ends the reconcile with that answer in the status. */
    private Optional<UpdateControl<ZeroJob>> submit(final ZeroJob job, final Coordinator coordinator)
        throws IOException, InterruptedException {
        final RestClient.Reply reply = coordinator.rest().post("/v1/jobs",
            JobSubmission.body(job, coordinator.plan()).toString(),
            Map.of("Idempotency-Key", job.getMetadata().getUid()));
        if (reply.status() == 400) {
            final String message = "the coordinator refused the job: " + StreamSupport.stream(
                    reply.body().path("details").spliterator(), false)
                .map(d -> JobSubmission.resourceField(d.path("field").asText()) + "=" + d.path("value").asText()
                    + ": " + d.path("message").asText())
                .collect(Collectors.joining("; "));
            return Optional.of(failed(job, "InvalidSpec", message));
        }
        if (reply.status() != 200 && reply.status() != 201) {
            return Optional.of(waiting(job, "SubmitRefused", "POST /v1/jobs answered " + reply.status() + ": "
                + reply.error()));
        }
        job.getStatus().jobId = reply.body().path("id").asText();
        job.getStatus().submittedGeneration = job.getMetadata().getGeneration();
        events.normal(job, "Submitted", (reply.status() == 201 ? "submitted as " : "already submitted as ")
            + job.getStatus().jobId + " to " + coordinator.url());
        return Optional.empty();
    }

    /** Copies the coordinator's view of the job into the status; polls again unless the job has ended. */
    private UpdateControl<ZeroJob> mirror(final ZeroJob job, final Coordinator coordinator)
        throws IOException, InterruptedException {
        final ZeroJobStatus status = job.getStatus();
        final Long generation = job.getMetadata().getGeneration();
        final RestClient.Reply reply = coordinator.rest().get("/v1/jobs/" + status.jobId);
        if (reply.status() == 404) {
            return failed(job, "JobLost", "the coordinator has no job " + status.jobId);
        }
        if (reply.status() != 200) {
            return waiting(job, "CoordinatorError", "GET /v1/jobs/" + status.jobId + " answered " + reply.status()
                + ": " + reply.error());
        }
        final JsonNode view = reply.body();
        final String state = view.path("state").asText();
        final String previous = upper(status.phase);
        status.phase = title(state);
        status.step = view.path("step").asLong();
        status.maxSteps = view.path("max_steps").asLong();
        status.progress = status.maxSteps > 0 ? (100 * status.step / status.maxSteps) + "%" : null;
        status.loss = view.path("loss").isNumber() ? String.format(Locale.ROOT, "%.4f", view.path("loss").asDouble())
            : null;
        status.tokensPerSecond = Math.round(view.path("tokens_per_s").asDouble());
        status.eta = view.has("eta_s") && !TERMINAL.contains(state) ? eta(view.path("eta_s").asLong()) : null;
        status.lastCheckpoint = view.path("last_checkpoint").asText(null);
        status.restarts = view.path("restarts").asInt();
        final JsonNode transitions = view.path("transitions");
        status.message = transitions.size() > 0 ? transitions.get(transitions.size() - 1).path("reason").asText()
            : status.message;
        final boolean terminal = TERMINAL.contains(state);
        Conditions.set(status.conditions, Conditions.READY, TRAINING.contains(state), title(state), status.message,
            generation);
        final boolean specChanged = status.submittedGeneration != null && generation != null
            && generation > status.submittedGeneration;
        Conditions.set(status.conditions, Conditions.PROGRESSING, !terminal, title(state),
            (terminal ? "the job has ended" : "step " + status.step + " of " + status.maxSteps)
                + (specChanged ? "; the spec changed after submission (generation " + status.submittedGeneration
                + " was submitted): a running job keeps its spec, create a new ZeroJob to change it" : ""),
            generation);
        Conditions.set(status.conditions, Conditions.FAILED, "FAILED".equals(state),
            "FAILED".equals(state) ? "JobFailed" : "NotFailed", "FAILED".equals(state) ? status.message : "", generation);
        if (!state.equals(previous)) {
            final String message = status.jobId + " is " + status.phase + ": " + status.message;
            if ("FAILED".equals(state)) {
                events.warning(job, "JobFailed", message);
            } else {
                events.normal(job, title(state), message);
            }
        }
        final UpdateControl<ZeroJob> update = UpdateControl.patchStatus(job);
        return terminal ? update : update.rescheduleAfter(poll);
    }

    private UpdateControl<ZeroJob> waiting(final ZeroJob job, final String reason, final String message) {
        final ZeroJobStatus status = job.getStatus();
        if (status.jobId == null) {
            status.phase = "Submitting";
        }
        if (!message.equals(status.message)) {
            events.warning(job, reason, message);
        }
        status.message = message;
        Conditions.set(status.conditions, Conditions.PROGRESSING, true, reason, message,
            job.getMetadata().getGeneration());
        return UpdateControl.patchStatus(job).rescheduleAfter(poll.multipliedBy(2));
    }

    private UpdateControl<ZeroJob> failed(final ZeroJob job, final String reason, final String message) {
        final ZeroJobStatus status = job.getStatus();
        final Long generation = job.getMetadata().getGeneration();
        if (!message.equals(status.message)) {
            events.warning(job, reason, message);
        }
        status.phase = "Failed";
        status.message = message;
        Conditions.set(status.conditions, Conditions.FAILED, true, reason, message, generation);
        Conditions.set(status.conditions, Conditions.READY, false, reason, message, generation);
        Conditions.set(status.conditions, Conditions.PROGRESSING, false, reason, message, generation);
        return UpdateControl.patchStatus(job);
    }

    /**
     * Cancels the job on its coordinator before the resource goes. A job never submitted, already ended, or whose
     * cluster is gone needs nothing; an unreachable coordinator is retried for {@link #CANCEL_GIVE_UP}.
     */
    @Override
    public DeleteControl cleanup(final ZeroJob job, final Context<ZeroJob> context) throws InterruptedException {
        final Optional<Coordinator> coordinator;
        try {
            coordinator = coordinator(job);
        } catch (final ConfigException invalid) {
            return DeleteControl.defaultDelete();
        }
        if (coordinator.isEmpty()) {
            return DeleteControl.defaultDelete();
        }
        try {
            Optional<String> id = Optional.ofNullable(job.getStatus()).map(s -> s.jobId);
            if (id.isEmpty()) {
                id = findSubmitted(job, coordinator.get());
            }
            if (id.isEmpty()) {
                return DeleteControl.defaultDelete();
            }
            final RestClient.Reply reply = coordinator.get().rest().post("/v1/jobs/" + id.get() + "/cancel", "{}");
            if (reply.status() == 200) {
                events.normal(job, "Cancelled", "cancelled " + id.get() + " on " + coordinator.get().url());
            } else if (reply.status() != 404 && reply.status() != 409) {
                throw new IOException("POST /v1/jobs/" + id.get() + "/cancel answered " + reply.status() + ": "
                    + reply.error());
            }
            return DeleteControl.defaultDelete();
        } catch (final IOException unreachable) {
            final Instant since = Instant.parse(job.getMetadata().getDeletionTimestamp());
            if (Instant.now().isAfter(since.plus(CANCEL_GIVE_UP))) {
                events.warning(job, "CancelAbandoned", "gave up cancelling the job after " + CANCEL_GIVE_UP
                    + ": " + unreachable.getMessage());
                return DeleteControl.defaultDelete();
            }
            LOG.warn("cannot cancel ZeroJob {}/{} yet: {}", job.getMetadata().getNamespace(),
                job.getMetadata().getName(), unreachable.getMessage());
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(poll.multipliedBy(2).toMillis());
        }
    }

    /** The job submitted with this resource's key, when the operator stopped before it recorded the id. */
    private Optional<String> findSubmitted(final ZeroJob job, final Coordinator coordinator)
        throws IOException, InterruptedException {
        final RestClient.Reply reply = coordinator.rest().get("/v1/jobs");
        if (reply.status() != 200) {
            throw new IOException("GET /v1/jobs answered " + reply.status() + ": " + reply.error());
        }
        for (final JsonNode view : reply.body()) {
            if (job.getMetadata().getUid().equals(view.path("submission_key").asText())) {
                return Optional.of(view.path("id").asText());
            }
        }
        return Optional.empty();
    }

    /** The REST client of the job's cluster; empty when the cluster does not exist. */
    private Optional<Coordinator> coordinator(final ZeroJob job) {
        final String namespace = job.getMetadata().getNamespace();
        final ZeroCluster cluster = client.resources(ZeroCluster.class).inNamespace(namespace)
            .withName(job.getSpec().clusterRef.name).get();
        if (cluster == null) {
            return Optional.empty();
        }
        final ClusterPlan plan = ClusterPlan.of(cluster);
        final String secretName = plan.tokenSecretName().orElse(ClusterNames.of(cluster).authSecret());
        final Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
        final Optional<String> token = Optional.ofNullable(secret).map(Secret::getData)
            .map(data -> data.get(plan.tokenSecretKey()))
            .map(value -> new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8).trim());
        final String url = locator.url(cluster, plan);
        // one HTTP client per coordinator and token, not one per reconcile (each JDK client owns a selector thread)
        final RestClient rest = clients.computeIfAbsent(url + "\n" + token.orElse(""), key -> new RestClient(url, token));
        return Optional.of(new Coordinator(url, plan, rest));
    }

    private record Coordinator(String url, ClusterPlan plan, RestClient rest) {
    }

    private static String eta(final long seconds) {
        final Duration left = Duration.ofSeconds(seconds);
        return left.toHours() > 0 ? String.format(Locale.ROOT, "%dh%dm", left.toHours(), left.toMinutesPart())
            : left.toMinutes() > 0 ? String.format(Locale.ROOT, "%dm%ds", left.toMinutes(), left.toSecondsPart())
            : seconds + "s";
    }

    private static String title(final String state) {
        return state.isEmpty() ? state : state.charAt(0) + state.substring(1).toLowerCase(Locale.ROOT);
    }

    private static String upper(final String phase) {
        return phase == null ? "" : phase.toUpperCase(Locale.ROOT);
    }
}
