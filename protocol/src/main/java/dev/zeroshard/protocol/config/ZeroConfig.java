package dev.zeroshard.protocol.config;

import java.util.Locale;
import java.util.Objects;

/**
 * The {@code zero_optimization} section: which ZeRO stage shards what, and the sizes (in elements)
 * of the communication buckets. Defaults are DeepSpeed's.
 *
 * @param stage                           0 off, 1 optimizer states, 2 + gradients, 3 + parameters.
 * @param reduceBucketSize                elements reduced at a time ({@code reduce_bucket_size}).
 * @param allgatherBucketSize             elements all-gathered at a time ({@code allgather_bucket_size}).
 * @param overlapComm                     overlap gradient reduction with backward ({@code overlap_comm}).
 * @param contiguousGradients             copy gradients into one contiguous buffer as produced.
 * @param reduceScatter                   reduce-scatter (true) or all-reduce gradients.
 * @param allgatherPartitions             all-gather (true) or broadcast updated partitions.
 * @param offloadOptimizer                where optimizer states live ({@code offload_optimizer.device}); needs stage >= 1.
 * @param offloadParam                    where parameters live ({@code offload_param.device}); needs stage 3.
 * @param stage3PrefetchBucketSize        stage 3: elements fetched ahead of use (0: no prefetch).
 * @param stage3ParamPersistenceThreshold stage 3: parameters below this many elements stay unpartitioned.
 * @param stage3MaxLiveParameters         stage 3: most parameter elements resident per rank before release.
 * @param stage3MaxReuseDistance          stage 3: a parameter reused within this many elements is kept.
 */
public record ZeroConfig(
    int stage,
    long reduceBucketSize,
    long allgatherBucketSize,
    boolean overlapComm,
    boolean contiguousGradients,
    boolean reduceScatter,
    boolean allgatherPartitions,
    OffloadDevice offloadOptimizer,
    OffloadDevice offloadParam,
    long stage3PrefetchBucketSize,
    long stage3ParamPersistenceThreshold,
    long stage3MaxLiveParameters,
    long stage3MaxReuseDistance) {

    /** Where ZeRO-Offload keeps state. DeepSpeed's {@code nvme} is not supported. */
    public enum OffloadDevice {
        NONE,
        CPU;

        /** The JSON spelling: {@code none}, {@code cpu}. */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final String SECTION = "zero_optimization";
    public static final String STAGE = "stage";
    public static final String REDUCE_BUCKET_SIZE = "reduce_bucket_size";
    public static final String ALLGATHER_BUCKET_SIZE = "allgather_bucket_size";
    public static final String OVERLAP_COMM = "overlap_comm";
    public static final String CONTIGUOUS_GRADIENTS = "contiguous_gradients";
    public static final String REDUCE_SCATTER = "reduce_scatter";
    public static final String ALLGATHER_PARTITIONS = "allgather_partitions";
    public static final String OFFLOAD_OPTIMIZER = "offload_optimizer";
    public static final String OFFLOAD_PARAM = "offload_param";
    public static final String OFFLOAD_DEVICE = "device";
    public static final String STAGE3_PREFETCH_BUCKET_SIZE = "stage3_prefetch_bucket_size";
    public static final String STAGE3_PARAM_PERSISTENCE_THRESHOLD = "stage3_param_persistence_threshold";
    public static final String STAGE3_MAX_LIVE_PARAMETERS = "stage3_max_live_parameters";
    public static final String STAGE3_MAX_REUSE_DISTANCE = "stage3_max_reuse_distance";

    public static final int STAGE_DEFAULT = 0;
    public static final long REDUCE_BUCKET_SIZE_DEFAULT = 500_000_000L;
    public static final long ALLGATHER_BUCKET_SIZE_DEFAULT = 500_000_000L;
    public static final boolean CONTIGUOUS_GRADIENTS_DEFAULT = true;
    public static final boolean REDUCE_SCATTER_DEFAULT = true;
    public static final boolean ALLGATHER_PARTITIONS_DEFAULT = true;
    public static final long STAGE3_PREFETCH_BUCKET_SIZE_DEFAULT = 50_000_000L;
    public static final long STAGE3_PARAM_PERSISTENCE_THRESHOLD_DEFAULT = 100_000L;
    public static final long STAGE3_MAX_LIVE_PARAMETERS_DEFAULT = 1_000_000_000L;
    public static final long STAGE3_MAX_REUSE_DISTANCE_DEFAULT = 1_000_000_000L;

    static final LongRange STAGE_RANGE = LongRange.of(0, 3);
    static final LongRange BUCKET_RANGE = LongRange.atLeast(1);
    static final LongRange STAGE3_RANGE = LongRange.atLeast(0);

    public ZeroConfig {
        Objects.requireNonNull(offloadOptimizer, "offloadOptimizer");
        Objects.requireNonNull(offloadParam, "offloadParam");
        new Violations()
            .check(path(STAGE), stage, STAGE_RANGE)
            .check(path(REDUCE_BUCKET_SIZE), reduceBucketSize, BUCKET_RANGE)
            .check(path(ALLGATHER_BUCKET_SIZE), allgatherBucketSize, BUCKET_RANGE)
            .check(path(STAGE3_PREFETCH_BUCKET_SIZE), stage3PrefetchBucketSize, STAGE3_RANGE)
            .check(path(STAGE3_PARAM_PERSISTENCE_THRESHOLD), stage3ParamPersistenceThreshold, STAGE3_RANGE)
            .check(path(STAGE3_MAX_LIVE_PARAMETERS), stage3MaxLiveParameters, STAGE3_RANGE)
            .check(path(STAGE3_MAX_REUSE_DISTANCE), stage3MaxReuseDistance, STAGE3_RANGE)
            .require(offloadParam == OffloadDevice.NONE || stage == 3, path(OFFLOAD_PARAM + "." + OFFLOAD_DEVICE),
                JsonValues.quote(offloadParam.jsonName()),
                "parameter offload needs zero_optimization.stage 3, not " + stage)
            .require(offloadOptimizer == OffloadDevice.NONE || stage >= 1,
                path(OFFLOAD_OPTIMIZER + "." + OFFLOAD_DEVICE), JsonValues.quote(offloadOptimizer.jsonName()),
                "optimizer offload needs zero_optimization.stage >= 1, not " + stage)
            .throwIfAny();
    }

    /** DeepSpeed turns {@code overlap_comm} on by default for stage 3 only. */
    public static boolean overlapCommDefault(final int stage) {
        return stage == 3;
    }

    /** {@code zero_optimization.<key>}. */
    static String path(final String key) {
        return SECTION + "." + key;
    }
}
