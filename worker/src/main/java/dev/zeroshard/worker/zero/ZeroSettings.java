package dev.zeroshard.worker.zero;

import dev.zeroshard.protocol.config.ConfigError;
import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.ZeroConfig;
import dev.zeroshard.worker.model.GptLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code zero_optimization} section checked against what this engine can do for one model and ring, with
 * the sizes it will use. Everything it refuses names the key, the value and the reason, all problems at once.
 *
 * @param stage                 0..3.
 * @param reduceBucketElements  gradient bucket size in elements.
 * @param gatherBucketElements  parameter all-gather bucket size in elements (stages 1 and 2).
 * @param overlapComm           reduce buckets while backward runs.
 * @param reduceScatter         reduce-scatter gradients (else all-reduce and keep the owned part).
 * @param prefetchElements      stage 3: a unit is gathered ahead of use when it has at most this many elements.
 * @param persistenceThreshold  stage 3: units with fewer elements stay gathered for the whole step.
 * @param worldSize             ranks.
 */
public record ZeroSettings(int stage, long reduceBucketElements, long gatherBucketElements, boolean overlapComm,
                           boolean reduceScatter, long prefetchElements, long persistenceThreshold, int worldSize) {

    /**
     * Checks {@code config} for {@code layout} over {@code worldSize} ranks whose pipeline moves
     * {@code chunkElements} per message.
     *
     * @throws ConfigException naming every key whose value this engine cannot run.
     */
    public static ZeroSettings of(final DeepSpeedConfig config, final GptLayout layout, final int worldSize,
                                  final int chunkElements) {
        final ZeroConfig zero = config.zero();
        final List<ConfigError> errors = new ArrayList<>();
        final long elements = layout.totalElements();
        if (worldSize > 1) {
            if (zero.reduceBucketSize() < chunkElements) {
                errors.add(new ConfigError(path(ZeroConfig.REDUCE_BUCKET_SIZE), Long.toString(zero.reduceBucketSize()),
                    "a gradient bucket must hold at least one pipeline chunk of " + chunkElements
                        + " elements (zeroshard.comm.chunk.length / 4); smaller buckets only add messages"));
            }
            if (zero.stage() >= 1 && zero.allgatherBucketSize() < chunkElements) {
                errors.add(new ConfigError(path(ZeroConfig.ALLGATHER_BUCKET_SIZE),
                    Long.toString(zero.allgatherBucketSize()), "an all-gather bucket must hold at least one pipeline "
                        + "chunk of " + chunkElements + " elements (zeroshard.comm.chunk.length / 4)"));
            }
        }
        if (zero.stage() == 3 && zero.stage3ParamPersistenceThreshold() > elements) {
            errors.add(new ConfigError(path(ZeroConfig.STAGE3_PARAM_PERSISTENCE_THRESHOLD),
                Long.toString(zero.stage3ParamPersistenceThreshold()), "is larger than the whole model (" + elements
                    + " parameters): nothing would be partitioned; use stage 2, or a threshold below the size of one "
                    + "block (" + (layout.unitEnd(GptLayout.blockUnit(0)) - layout.unitStart(GptLayout.blockUnit(0)))
                    + ")"));
        }
        if (config.batch().worldSize() != worldSize) {
            errors.add(new ConfigError("world_size", Integer.toString(config.batch().worldSize()),
                "the config was resolved for " + config.batch().worldSize() + " ranks but this ring has "
                    + worldSize));
        }
        ConfigException.throwIfAny(errors);
        return new ZeroSettings(zero.stage(), zero.reduceBucketSize(), zero.allgatherBucketSize(), zero.overlapComm(),
            zero.reduceScatter(), zero.stage3PrefetchBucketSize(), zero.stage3ParamPersistenceThreshold(), worldSize);
    }

    private static String path(final String key) {
        return ZeroConfig.SECTION + "." + key;
    }
}
