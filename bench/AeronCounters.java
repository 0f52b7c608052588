import io.aeron.CncFileDescriptor;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.nio.MappedByteBuffer;

/**
 * Prints the non-zero system counters (bytes, NAKs, retransmits, loss, flow-control limits...) of running Aeron
 * media drivers, one block per driver directory given. Run by bench/aeron-counters.sh.
 */
public final class AeronCounters {
    private static final int SYSTEM_COUNTER_TYPE_ID = 0;

    public static void main(final String[] directories) {
        for (final String directory : directories) {
            final MappedByteBuffer cnc = IoUtil.mapExistingFile(new File(directory, CncFileDescriptor.CNC_FILE),
                "cnc");
            try {
                final UnsafeBuffer meta = new UnsafeBuffer(cnc);
                final CountersReader counters = new CountersReader(
                    CncFileDescriptor.createCountersMetaDataBuffer(cnc, meta),
                    CncFileDescriptor.createCountersValuesBuffer(cnc, meta));
                System.out.println(directory);
                counters.forEach((id, typeId, key, label) -> {
                    final long value = counters.getCounterValue(id);
                    if (typeId == SYSTEM_COUNTER_TYPE_ID && value != 0) {
                        System.out.printf("  %-70s %,d%n", label, value);
                    }
                });
            } finally {
                IoUtil.unmap(cnc);
            }
        }
    }
}
