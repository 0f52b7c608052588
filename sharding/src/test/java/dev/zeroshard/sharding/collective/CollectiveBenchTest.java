package dev.zeroshard.sharding.collective;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CollectiveBenchTest {
    @Test
    void shouldPrintOneJsonObjectPerPointWhenAskedForJson() {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<CollectiveBench.Result> results = CollectiveBench.parse(new String[] {"--ranks", "2",
            "--sizes", "64KiB", "--op", "allreduce,reducescatter", "--transport", "ipc", "--iters", "3", "--warmup",
            "1", "--json", "--memcpy"}, new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
        final String[] lines = bytes.toString(StandardCharsets.UTF_8).trim().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).startsWith("{\"op\":\"memcpy\",\"ranks\":1,\"bytes\":65536,\"transport\":\"memory\"");
        assertThat(lines[1]).startsWith("{\"op\":\"allreduce\",\"ranks\":2,\"bytes\":65536,\"transport\":\"ipc\","
            + "\"time_s\":").contains("\"algbw_gbps\":").contains("\"busbw_gbps\":");
        assertThat(lines[2]).startsWith("{\"op\":\"reducescatter\"");
        assertThat(results.get(1).busbwGbps()).isCloseTo(results.get(1).algbwGbps(), within(1e-9));
    }

    @Test
    void shouldUseTheNcclTestsBusFactorsWhenConvertingBandwidth() {
        assertThat(CollectiveBench.busFactor(CollectiveKind.ALL_REDUCE, 4)).isEqualTo(1.5);
        assertThat(CollectiveBench.busFactor(CollectiveKind.REDUCE_SCATTER, 4)).isEqualTo(0.75);
        assertThat(CollectiveBench.busFactor(CollectiveKind.ALL_GATHER, 2)).isEqualTo(0.5);
    }

    @Test
    void shouldNameTheArgumentWhenItIsUnknown() {
        assertThatThrownBy(() -> CollectiveBench.parse(new String[] {"--rank", "2"}, System.out))
            .hasMessageContaining("unknown argument '--rank'");
        assertThatThrownBy(() -> CollectiveBench.parse(new String[] {"--op", "alltoall"}, System.out))
            .hasMessage("--op alltoall: expected allreduce, reducescatter, allgather or broadcast");
    }

    @Test
    void shouldNameTheFlagTheValueAndTheRuleWhenAValueIsBad() {
        assertThatThrownBy(() -> CollectiveBench.parse(new String[] {"--transport", "ipc,tcp"}, System.out))
            .hasMessage("--transport tcp: expected ipc or udp");
        assertThatThrownBy(() -> CollectiveBench.parse(new String[] {"--sizes", "1XB"}, System.out))
            .hasMessage("--sizes 1XB: expected sizes such as 4096, 64KiB, 8MiB or 1GiB");
        assertThatThrownBy(() -> CollectiveBench.parse(new String[] {"--sizes", "-1MiB"}, System.out))
            .hasMessage("--sizes -1048576: must be a multiple of 4 bytes in [0, 8 GiB)");
        assertThatThrownBy(() -> CollectiveBench.parse(new String[] {"--iters", "0"}, System.out))
            .hasMessage("--iters 0: must be >= 1");
        assertThatThrownBy(() -> CollectiveBench.parse(new String[] {"--warmup", "x"}, System.out))
            .hasMessage("--warmup x: expected an integer >= 0");
        assertThatThrownBy(() -> CollectiveBench.parse(new String[] {"--ranks", ","}, System.out))
            .hasMessage("--ranks ',': expected a comma-separated list of integers");
    }
}
