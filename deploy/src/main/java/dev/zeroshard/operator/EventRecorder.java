package dev.zeroshard.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.UUID;

/** Kubernetes Events on the operator's resources ({@code kubectl describe} shows them); never fails a reconcile. */
public final class EventRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    private static final String COMPONENT = "zeroshard-operator";

    private final KubernetesClient client;

    public EventRecorder(final KubernetesClient client) {
        this.client = client;
    }

    public void normal(final HasMetadata about, final String reason, final String message) {
        record(about, "Normal", reason, message);
    }

    public void warning(final HasMetadata about, final String reason, final String message) {
        record(about, "Warning", reason, message);
    }

    private void record(final HasMetadata about, final String type, final String reason, final String message) {
        LOG.info("{} {}/{}: {} {}: {}", about.getKind(), about.getMetadata().getNamespace(),
            about.getMetadata().getName(), type, reason, message);
        final String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        final Event event = new EventBuilder()
            .withNewMetadata().withNamespace(about.getMetadata().getNamespace())
            .withName(about.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8)
                .toLowerCase(Locale.ROOT)).endMetadata()
            .withNewInvolvedObject().withApiVersion(about.getApiVersion()).withKind(about.getKind())
            .withName(about.getMetadata().getName()).withNamespace(about.getMetadata().getNamespace())
            .withUid(about.getMetadata().getUid()).endInvolvedObject()
            .withType(type).withReason(reason).withMessage(message)
            .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
            .withNewSource().withComponent(COMPONENT).endSource()
            .build();
        try {
            client.v1().events().inNamespace(about.getMetadata().getNamespace()).resource(event).create();
        } catch (final KubernetesClientException ex) {
            LOG.warn("could not record event {} on {}/{}: {}", reason, about.getKind(), about.getMetadata().getName(),
                ex.getMessage());
        }
    }
}
