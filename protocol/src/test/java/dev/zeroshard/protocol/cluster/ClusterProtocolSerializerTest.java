package dev.zeroshard.protocol.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.serialization.Serializers;
import com.typesafe.config.ConfigFactory;
import dev.zeroshard.protocol.cluster.ClusterProtocol.Describe;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankEvent;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankFinished;
import dev.zeroshard.protocol.cluster.ClusterProtocol.RankProgress;
import dev.zeroshard.protocol.cluster.ClusterProtocol.StartRank;
import dev.zeroshard.protocol.cluster.ClusterProtocol.StopRank;
import dev.zeroshard.protocol.cluster.ClusterProtocol.WorkerDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every message that crosses JVMs survives the configured serialization unchanged, through our serializer. */
class ClusterProtocolSerializerTest {
    private static ActorSystem<Void> system;
    private static ActorRef<Object> someone;

    @BeforeAll
    static void start() {
        system = ActorSystem.create(Behaviors.empty(), "serialization-test", ConfigFactory.parseString(
            "akka.loglevel = WARNING")
            .withFallback(ConfigFactory.load()));
        someone = system.systemActorOf(Behaviors.empty(), "someone", Props.empty());
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    @SuppressWarnings("unchecked")
    private static <T> ActorRef<T> ref() {
        return (ActorRef<T>) (ActorRef<?>) someone;
    }

    private static List<ClusterMessage> everyMessage() {
        return List.of(
            new StartRank("job-1", 3, 1, 4, List.of("10.0.0.1:4001", "10.0.0.2:4001", "h:1", "h:2"),
                "{\"name\":\"x\"}", "run-7", ref()),
            new StopRank("job-1", 3, "rank 2 was lost"),
            new Describe(ref()),
            new WorkerDescription("w-1", "10.0.0.1", 4001, "cpu", 24L << 30, 2, "", ref()),
            new RankProgress("job-1", 3, 0, 17, 2.5, 1e-3, 0.75, 12_345.5, 0.5, 0.01, 1L << 33),
            new RankEvent("job-1", 3, 0, "checkpoint step-00000010 committed"),
            new RankFinished("job-1", 3, 2, false, "rank 1 did not deliver", 17));
    }

    @Test
    void shouldRoundTripEveryClusterMessageThroughTheProtobufSerializer() throws Exception {
        final Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
        for (final ClusterMessage message : everyMessage()) {
            final akka.serialization.Serializer serializer = serialization.findSerializerFor(message);
            assertThat(serializer).as(message.getClass().getSimpleName()).isInstanceOf(ClusterProtocolSerializer.class);
            final byte[] bytes = serialization.serialize(message).get();
            final Object back = serialization.deserialize(bytes, serializer.identifier(),
                Serializers.manifestFor(serializer, message)).get();
            assertThat(back).as(message.getClass().getSimpleName()).isEqualTo(message);
        }
    }

    @Test
    void shouldRefuseAnUnknownManifestAndCorruptBytes() throws Exception {
        final ClusterProtocolSerializer serializer = (ClusterProtocolSerializer) SerializationExtension
            .get(Adapter.toClassic(system)).serializerFor(StopRank.class);

        assertThatThrownBy(() -> serializer.fromBinary(new byte[0], "Nonsense")).hasMessageContaining("Nonsense");
        assertThatThrownBy(() -> serializer.fromBinary(new byte[] {(byte) 0xff, 1, 2}, "StopRank"))
            .hasMessageContaining("corrupt StopRank");
    }
}
