package dev.zeroshard.operator;

import dev.zeroshard.operator.crd.AeronSpec;
import dev.zeroshard.operator.crd.CheckpointStorageSpec;
import dev.zeroshard.operator.crd.CoordinatorSpec;
import dev.zeroshard.operator.crd.WorkerPoolSpec;
import dev.zeroshard.operator.crd.ZeroCluster;
import dev.zeroshard.operator.crd.ZeroClusterSpec;
import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A {@link ZeroCluster}'s spec with every default filled in and the rules the CRD schema cannot express checked
 * (a term length that is a power of two, an MTU that is a multiple of 32, ...). Everything the operator builds
 * reads this, never the raw spec.
 */
public record ClusterPlan(
    String image,
    String imagePullPolicy,
    List<LocalObjectReference> imagePullSecrets,
    ResourceRequirements coordinatorResources,
    String serviceType,
    int restPort,
    Optional<String> tokenSecretName,
    String tokenSecretKey,
    int workers,
    ResourceRequirements workerResources,
    Map<String, String> workerNodeSelector,
    List<Toleration> workerTolerations,
    OptionalLong workerHeapBytes,
    String backend,
    int threads,
    Optional<String> checkpointClaim,
    String mountPath,
    int termLength,
    int mtuLength,
    int aeronPort,
    Quantity shmSize) {

    public static final int CLUSTER_PORT = 25520;
    public static final int MANAGEMENT_PORT = 8558;
    public static final int DEFAULT_REST_PORT = 8080;
    public static final int DEFAULT_AERON_PORT = 40123;
    public static final int DEFAULT_TERM_LENGTH = 4 * 1024 * 1024;
    public static final int DEFAULT_MTU_LENGTH = 65504;
    public static final String DEFAULT_MOUNT_PATH = "/checkpoints";
    /** Log buffers a worker may map at once (publications and images of its rings), three terms each. */
    public static final int SHM_PUBLICATIONS = 16;
    private static final long SHM_HEADROOM_BYTES = 256L << 20;
    private static final long MIN_WORKER_HEAP_BYTES = 512L << 20;

    /** Resolves defaults and checks the spec; a {@link ConfigException} names every field that is wrong. */
    public static ClusterPlan of(final ZeroCluster cluster) {
        final ZeroClusterSpec spec = cluster.getSpec();
        final List<ConfigError> errors = new ArrayList<>();
        if (spec == null) {
            throw new ConfigException(new ConfigError("spec", ConfigError.ABSENT, "a ZeroCluster needs a spec"));
        }
        if (spec.image == null || spec.image.isBlank()) {
            errors.add(new ConfigError("spec.image", String.valueOf(spec.image), "must name a container image"));
        }
        final CoordinatorSpec coordinator = spec.coordinator != null ? spec.coordinator : new CoordinatorSpec();
        final WorkerPoolSpec pool = spec.workers != null ? spec.workers : new WorkerPoolSpec();
        if (pool.replicas == null || pool.replicas < 0) {
            errors.add(new ConfigError("spec.workers.replicas", String.valueOf(pool.replicas), "must be >= 0"));
        }
        final AeronSpec aeron = spec.aeron != null ? spec.aeron : new AeronSpec();
        final int term = aeron.termLength != null ? aeron.termLength : DEFAULT_TERM_LENGTH;
        if (Integer.bitCount(term) != 1 || term < 65536) {
            errors.add(new ConfigError("spec.aeron.termLength", Integer.toString(term),
                "must be a power of two, 65536 to 1073741824"));
        }
        final int mtu = aeron.mtuLength != null ? aeron.mtuLength : DEFAULT_MTU_LENGTH;
        if (mtu % 32 != 0 || mtu < 4096 || mtu > DEFAULT_MTU_LENGTH) {
            errors.add(new ConfigError("spec.aeron.mtuLength", Integer.toString(mtu),
                "must be a multiple of 32 from 4096 to 65504"));
        }
        final Quantity shm = aeron.shmSize != null ? aeron.shmSize
            : new Quantity(Long.toString((SHM_PUBLICATIONS * 3L * term + SHM_HEADROOM_BYTES) >> 20), "Mi");
        final long shmBytes = bytes(shm, "spec.aeron.shmSize", errors);
        if (shmBytes >= 0 && shmBytes < 3L * term) {
            errors.add(new ConfigError("spec.aeron.shmSize", shm.toString(),
                "must hold at least one publication's three terms (3 x termLength = " + 3L * term + " bytes)"));
        }
        final CheckpointStorageSpec storage = spec.checkpoints;
        final String mountPath = storage != null && storage.mountPath != null ? storage.mountPath : DEFAULT_MOUNT_PATH;
        if (!mountPath.startsWith("/") || mountPath.equals("/") || mountPath.contains("..")) {
            errors.add(new ConfigError("spec.checkpoints.mountPath", mountPath,
                "must be an absolute path other than / without '..'"));
        }
        if (storage != null && (storage.claimName == null || storage.claimName.isBlank())) {
            errors.add(new ConfigError("spec.checkpoints.claimName", String.valueOf(storage.claimName),
                "must name a PersistentVolumeClaim"));
        }
        final String serviceType = coordinator.serviceType != null ? coordinator.serviceType : "ClusterIP";
        final OptionalLong heap = workerHeap(pool.resources, shmBytes, errors);
        ConfigException.throwIfAny(errors);
        return new ClusterPlan(spec.image,
            spec.imagePullPolicy != null ? spec.imagePullPolicy : "IfNotPresent",
            spec.imagePullSecrets != null ? spec.imagePullSecrets : List.of(),
            coordinator.resources,
            serviceType,
            coordinator.port != null ? coordinator.port : DEFAULT_REST_PORT,
            Optional.ofNullable(coordinator.authTokenSecret).map(s -> s.getName()),
            Optional.ofNullable(coordinator.authTokenSecret).map(s -> s.getKey()).orElse("token"),
            pool.replicas,
            pool.resources,
            pool.nodeSelector != null ? pool.nodeSelector : Map.of(),
            pool.tolerations != null ? pool.tolerations : List.of(),
            heap,
            pool.backend != null ? pool.backend : "auto",
            pool.threads != null ? pool.threads : cpuThreads(pool.resources),
            Optional.ofNullable(storage).map(s -> s.claimName),
            mountPath,
            term,
            mtu,
            aeron.port != null ? aeron.port : DEFAULT_AERON_PORT,
            shm);
    }

    /**
     * The part of the spec that cannot change while the cluster exists (everything but the worker count), as
     * field name to value: the reconciler compares it with what it applied first.
     */
    public Map<String, String> immutableFields() {
        final Map<String, String> fields = new LinkedHashMap<>();
        fields.put("spec.image", image);
        fields.put("spec.coordinator.port", Integer.toString(restPort));
        fields.put("spec.coordinator.authTokenSecret", tokenSecretName.orElse("") + "/" + tokenSecretKey);
        fields.put("spec.checkpoints.claimName", checkpointClaim.orElse(""));
        fields.put("spec.checkpoints.mountPath", mountPath);
        fields.put("spec.aeron.termLength", Integer.toString(termLength));
        fields.put("spec.aeron.mtuLength", Integer.toString(mtuLength));
        fields.put("spec.aeron.port", Integer.toString(aeronPort));
        fields.put("spec.workers.backend", backend);
        return fields;
    }

    /** The coordinator's job registry. */
    public String registryDirectory() {
        return mountPath + "/coordinator";
    }

    /** Default checkpoint directory of a job. */
    public String jobCheckpointDirectory(final String namespace, final String job) {
        return mountPath + "/jobs/" + namespace + "/" + job;
    }

    /**
     * The workers' heap when their memory is limited: three quarters of what the memory-backed /dev/shm (which
     * counts against the same limit) leaves. Without a limit the JVM sizes itself from the node.
     */
    private static OptionalLong workerHeap(final ResourceRequirements resources, final long shmBytes,
                                           final List<ConfigError> errors) {
        final Quantity limit = resources == null || resources.getLimits() == null ? null
            : resources.getLimits().get("memory");
        if (limit == null || shmBytes < 0) {
            return OptionalLong.empty();
        }
        final long limitBytes = bytes(limit, "spec.workers.resources.limits.memory", errors);
        final long heap = (limitBytes - shmBytes) / 4 * 3;
        if (limitBytes >= 0 && heap < MIN_WORKER_HEAP_BYTES) {
            errors.add(new ConfigError("spec.workers.resources.limits.memory", limit.toString(),
                "must leave at least " + (MIN_WORKER_HEAP_BYTES >> 20) + " MiB of heap (3/4 of the limit) beside "
                    + "/dev/shm (" + (shmBytes >> 20) + " MiB, spec.aeron.shmSize)"));
            return OptionalLong.empty();
        }
        return OptionalLong.of(heap);
    }

    /** Compute threads from the worker's CPU limit, else request, rounded up; 1 without either. */
    private static int cpuThreads(final ResourceRequirements resources) {
        if (resources == null) {
            return 1;
        }
        Quantity cpu = resources.getLimits() != null ? resources.getLimits().get("cpu") : null;
        if (cpu == null && resources.getRequests() != null) {
            cpu = resources.getRequests().get("cpu");
        }
        if (cpu == null) {
            return 1;
        }
        return Math.max(1, cpu.getNumericalAmount().setScale(0, RoundingMode.CEILING).intValue());
    }

    private static long bytes(final Quantity quantity, final String field, final List<ConfigError> errors) {
        try {
            final BigDecimal amount = quantity.getNumericalAmount();
            if (amount.signum() <= 0) {
                errors.add(new ConfigError(field, quantity.toString(), "must be a positive size"));
                return -1;
            }
            return amount.longValue();
        } catch (final IllegalArgumentException ex) {
            errors.add(new ConfigError(field, quantity.toString(), "must be a Kubernetes quantity such as 512Mi"));
            return -1;
        }
    }
}
