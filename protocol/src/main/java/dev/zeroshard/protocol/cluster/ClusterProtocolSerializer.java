package dev.zeroshard.protocol.cluster;

import akka.actor.ExtendedActorSystem;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.SerializerWithStringManifest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.zeroshard.protocol.cluster.ClusterProtocol.Describe;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankEvent;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankFinished;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankProgress;
import dev.zeroshard.protocol.cluster.ClusterProtocol.StartRank;
import dev.zeroshard.protocol.cluster.ClusterProtocol.StopRank;
import dev.zeroshard.protocol.cluster.ClusterProtocol.WorkerDescription;
import dev.zeroshard.protocol.v1.DescribeWire;
import dev.zeroshard.protocol.v1.RankEventWire;
import dev.zeroshard.protocol.v1.RankFinishedWire;
import dev.zeroshard.protocol.v1.RankProgressWire;
import dev.zeroshard.protocol.v1.StartRankWire;
import dev.zeroshard.protocol.v1.StopRankWire;
import dev.zeroshard.protocol.v1.WorkerDescriptionWire;

import java.io.NotSerializableException;

/**
 * Akka serializer of {@link ClusterProtocol}'s messages: each record maps to its Protobuf message of
 * {@code cluster.proto} (a versioned, language-neutral format), actor references in Akka's serialization format.
 * Bound to {@link ClusterMessage} in this module's {@code reference.conf}.
 */
public final class ClusterProtocolSerializer extends SerializerWithStringManifest {
    /** Akka serializer id: unique per serializer in a system (Akka reserves 0..40). */
    public static final int IDENTIFIER = 41_700;

    private static final String START_RANK = "StartRank";
    private static final String STOP_RANK = "StopRank";
    private static final String DESCRIBE = "Describe";
    private static final String WORKER_DESCRIPTION = "WorkerDescription";
    private static final String RANK_PROGRESS = "RankProgress";
    private static final String RANK_EVENT = "RankEvent";
    private static final String RANK_FINISHED = "RankFinished";

    private final ActorRefResolver resolver;

    public ClusterProtocolSerializer(final ExtendedActorSystem system) {
        this.resolver = ActorRefResolver.get(Adapter.toTyped(system));
    }

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public String manifest(final Object message) {
        if (message instanceof StartRank) {
            return START_RANK;
        } else if (message instanceof StopRank) {
            return STOP_RANK;
        } else if (message instanceof Describe) {
            return DESCRIBE;
        } else if (message instanceof WorkerDescription) {
            return WORKER_DESCRIPTION;
        } else if (message instanceof RankProgress) {
            return RANK_PROGRESS;
        } else if (message instanceof RankEvent) {
            return RANK_EVENT;
        } else if (message instanceof RankFinished) {
            return RANK_FINISHED;
        }
        throw new IllegalArgumentException("no cluster wire format for " + message.getClass().getName());
    }

    @Override
    public byte[] toBinary(final Object message) {
        if (message instanceof StartRank m) {
            return StartRankWire.newBuilder().setJobId(m.jobId()).setEpoch(m.epoch()).setRank(m.rank())
                .setWorldSize(m.worldSize()).addAllEndpoints(m.endpoints()).setJobJson(m.jobJson())
                .setRunId(m.runId()).setReplyTo(ref(m.replyTo())).build().toByteArray();
        } else if (message instanceof StopRank m) {
            return StopRankWire.newBuilder().setJobId(m.jobId()).setEpoch(m.epoch()).setReason(m.reason()).build()
                .toByteArray();
        } else if (message instanceof Describe m) {
            return DescribeWire.newBuilder().setReplyTo(ref(m.replyTo())).build().toByteArray();
        } else if (message instanceof WorkerDescription m) {
            return WorkerDescriptionWire.newBuilder().setWorkerId(m.workerId()).setHost(m.host())
                .setAeronPort(m.aeronPort()).setBackend(m.backend()).setMemoryBytes(m.memoryBytes())
                .setCores(m.cores()).setBusyJobId(m.busyJobId()).setAgent(ref(m.agent())).build().toByteArray();
        } else if (message instanceof RankProgress m) {
            return RankProgressWire.newBuilder().setJobId(m.jobId()).setEpoch(m.epoch()).setRank(m.rank())
                .setStep(m.step()).setLoss(m.loss()).setLr(m.lr()).setGradNorm(m.gradNorm())
                .setTokensPerS(m.tokensPerS()).setStepSeconds(m.stepSeconds())
                .setCommWaitSeconds(m.commWaitSeconds()).setBytesSent(m.bytesSent()).build().toByteArray();
        } else if (message instanceof RankEvent m) {
            return RankEventWire.newBuilder().setJobId(m.jobId()).setEpoch(m.epoch()).setRank(m.rank())
                .setMessage(m.message()).build().toByteArray();
        } else if (message instanceof RankFinished m) {
            return RankFinishedWire.newBuilder().setJobId(m.jobId()).setEpoch(m.epoch()).setRank(m.rank())
                .setSucceeded(m.succeeded()).setMessage(m.message()).setStep(m.step()).build().toByteArray();
        }
        throw new IllegalArgumentException("no cluster wire format for " + message.getClass().getName());
    }

    @Override
    public Object fromBinary(final byte[] bytes, final String manifest) throws NotSerializableException {
        try {
            switch (manifest) {
                case START_RANK: {
                    final StartRankWire m = StartRankWire.parseFrom(bytes);
                    return new StartRank(m.getJobId(), m.getEpoch(), m.getRank(), m.getWorldSize(),
                        m.getEndpointsList(), m.getJobJson(), m.getRunId(), resolver.resolveActorRef(m.getReplyTo()));
                }
                case STOP_RANK: {
                    final StopRankWire m = StopRankWire.parseFrom(bytes);
                    return new StopRank(m.getJobId(), m.getEpoch(), m.getReason());
                }
                case DESCRIBE:
                    return new Describe(resolver.resolveActorRef(DescribeWire.parseFrom(bytes).getReplyTo()));
                case WORKER_DESCRIPTION: {
                    final WorkerDescriptionWire m = WorkerDescriptionWire.parseFrom(bytes);
                    return new WorkerDescription(m.getWorkerId(), m.getHost(), m.getAeronPort(), m.getBackend(),
                        m.getMemoryBytes(), m.getCores(), m.getBusyJobId(), resolver.resolveActorRef(m.getAgent()));
                }
                case RANK_PROGRESS: {
                    final RankProgressWire m = RankProgressWire.parseFrom(bytes);
                    return new RankProgress(m.getJobId(), m.getEpoch(), m.getRank(), m.getStep(), m.getLoss(),
                        m.getLr(), m.getGradNorm(), m.getTokensPerS(), m.getStepSeconds(), m.getCommWaitSeconds(),
                        m.getBytesSent());
                }
                case RANK_EVENT: {
                    final RankEventWire m = RankEventWire.parseFrom(bytes);
                    return new RankEvent(m.getJobId(), m.getEpoch(), m.getRank(), m.getMessage());
                }
                case RANK_FINISHED: {
                    final RankFinishedWire m = RankFinishedWire.parseFrom(bytes);
                    return new RankFinished(m.getJobId(), m.getEpoch(), m.getRank(), m.getSucceeded(),
                        m.getMessage(), m.getStep());
                }
                default:
                    throw new NotSerializableException("unknown cluster message manifest '" + manifest + "'");
            }
        } catch (final InvalidProtocolBufferException ex) {
            final NotSerializableException failure = new NotSerializableException("corrupt " + manifest + ": "
                + ex.getMessage());
            failure.initCause(ex);
            throw failure;
        }
    }

    private String ref(final ActorRef<?> ref) {
        return resolver.toSerializationFormat(ref);
    }
}
