package dev.zeroshard.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Makes an object on the API server what the operator wants it to be: created when absent, replaced when the
 * wanted object changed since it was last applied (a hash of it is kept in an annotation, so an unchanged object is
 * never rewritten and nobody else's defaults are fought over), left alone otherwise.
 */
public final class ResourceApplier {
    /** Annotation holding the hash of what the operator last applied. */
    public static final String APPLIED_HASH = "zeroshard.dev/applied-hash";

    private final KubernetesClient client;

    public ResourceApplier(final KubernetesClient client) {
        this.client = client;
    }

    /** Applies {@code wanted}; returns true when it created or replaced the object. */
    public <T extends HasMetadata> boolean apply(final T wanted) {
        final String hash = hash(wanted);
        final Map<String, String> annotations = new LinkedHashMap<>();
        if (wanted.getMetadata().getAnnotations() != null) {
            annotations.putAll(wanted.getMetadata().getAnnotations());
        }
        annotations.put(APPLIED_HASH, hash);
        wanted.getMetadata().setAnnotations(annotations);
        final T existing = client.resource(wanted).get();
        if (existing == null) {
            client.resource(wanted).create();
            return true;
        }
        final Map<String, String> current = existing.getMetadata().getAnnotations();
        if (current != null && hash.equals(current.get(APPLIED_HASH))) {
            return false;
        }
        wanted.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
        if (wanted instanceof Service service && existing instanceof Service old && old.getSpec() != null) {
            // the API server assigned these on creation and refuses a replace that drops them
            service.getSpec().setClusterIP(old.getSpec().getClusterIP());
            service.getSpec().setClusterIPs(old.getSpec().getClusterIPs());
        }
        client.resource(wanted).update();
        return true;
    }

    /** Creates {@code wanted} unless an object of its name exists (a Secret holding a generated token). */
    public <T extends HasMetadata> boolean createIfAbsent(final T wanted) {
        if (client.resource(wanted).get() != null) {
            return false;
        }
        client.resource(wanted).create();
        return true;
    }

    private static String hash(final HasMetadata wanted) {
        try {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            final byte[] sum = digest.digest(Serialization.asJson(wanted).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sum, 0, 12);
        } catch (final NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
