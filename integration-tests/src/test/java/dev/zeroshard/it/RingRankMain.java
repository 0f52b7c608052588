package dev.zeroshard.it;

import dev.zeroshard.sharding.aeron.RankEndpoint;
import dev.zeroshard.sharding.aeron.RingSpec;
import dev.zeroshard.sharding.aeron.TransportConfig;
import dev.zeroshard.sharding.aeron.TransportKind;
import dev.zeroshard.sharding.collective.CollectiveException;
import dev.zeroshard.sharding.collective.CommSettings;
import dev.zeroshard.sharding.collective.CommSpec;
import dev.zeroshard.sharding.collective.Communicator;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One rank of a ring run in its own JVM by {@link RingCollectivesIT}: UDP on loopback, an embedded media driver
 * of its own under a base directory the test chooses. Fills random data seeded by (seed, rank), runs fp32
 * allreduce {@code iterations} times (the first on the data, the rest on the running result), writes the final
 * buffer as big-endian float bits to {@code out}. Deadlines and other settings come from {@code zeroshard.comm.*}
 * and {@code zeroshard.aeron.*} system properties.
 *
 * <p>Arguments: {@code rank worldSize ports(comma-separated) streamId epoch length seed iterations out}.
 * Prints {@code AERON_DIR <dir>} once connected, {@code ITERATION <k>} after each allreduce, {@code DONE} at the
 * end; on a collective failure prints {@code FAILED culprits=[...] <message>} and exits with status 3.
 */
public final class RingRankMain {
    /** Exit status of a rank whose collective failed with a {@link CollectiveException}. */
    static final int COLLECTIVE_FAILED = 3;

    private RingRankMain() {
    }

    public static void main(final String[] args) throws IOException {
        final int rank = Integer.parseInt(args[0]);
        final int worldSize = Integer.parseInt(args[1]);
        final String[] ports = args[2].split(",");
        final int streamId = Integer.parseInt(args[3]);
        final int epoch = Integer.parseInt(args[4]);
        final int length = Integer.parseInt(args[5]);
        final long seed = Long.parseLong(args[6]);
        final int iterations = Integer.parseInt(args[7]);
        final Path out = Path.of(args[8]);

        final List<RankEndpoint> endpoints = new ArrayList<>();
        for (int r = 0; r < worldSize; r++) {
            endpoints.add(new RankEndpoint("127.0.0.1", Integer.parseInt(ports[r]), streamId));
        }
        final RingSpec ring = new RingSpec(TransportKind.UDP, endpoints);
        final float[] data = inputs(seed, rank, length);
        final CommSettings settings = new CommSettings().conclude();
        final TransportConfig transport = new TransportConfig().conclude();
        try (Communicator communicator = Communicator.open(new CommSpec(rank, epoch, ring), settings, transport)) {
            System.out.println("AERON_DIR " + communicator.aeronDirectoryName());
            for (int k = 0; k < iterations; k++) {
                communicator.allReduce(data, 0, length);
                System.out.println("ITERATION " + k);
            }
        } catch (final CollectiveException ex) {
            System.out.println("FAILED culprits=" + Arrays.toString(ex.culpritRanks()) + " " + ex.getMessage());
            System.out.flush();
            System.exit(COLLECTIVE_FAILED);
        }
        try (DataOutputStream stream = new DataOutputStream(Files.newOutputStream(out))) {
            for (int i = 0; i < length; i++) {
                stream.writeInt(Float.floatToRawIntBits(data[i]));
            }
        }
        System.out.println("DONE");
    }

    /** Random, never-zero fp32 of mixed sign and magnitude in [2^-8, 2^8), reproducible per (seed, rank). */
    static float[] inputs(final long seed, final int rank, final int length) {
        final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + rank);
        final float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            final double magnitude = Math.pow(2.0, random.nextDouble(-8.0, 8.0));
            values[i] = (float) (random.nextBoolean() ? magnitude : -magnitude);
        }
        return values;
    }
}
