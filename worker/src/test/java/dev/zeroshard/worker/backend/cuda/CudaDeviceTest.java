package dev.zeroshard.worker.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CudaDeviceTest {
    @Test
    void shouldSayWhyWhenThereIsNoGpuAndAnswerTheSameEveryTime() {
        assumeFalse(CudaDevice.available(), "this machine has a usable GPU: " + CudaDevice.describe());

        final String reason = CudaDevice.reason();
        assertThat(reason).satisfiesAnyOf(
            r -> assertThat(r).startsWith("no CUDA device: "),
            r -> assertThat(r).isEqualTo(CudaDevice.NO_KERNELS),
            r -> assertThat(r).startsWith("the CUDA kernels did not load"));
        assertThat(reason).doesNotContain("\n");
        // the probe ran once: JCuda would throw NoClassDefFoundError on a second attempt after a failed link
        assertThat(CudaDevice.available()).isFalse();
        assertThat(CudaDevice.reason()).isEqualTo(reason);
        assertThat(CudaDevice.describe()).isEqualTo(reason);
        assertThatThrownBy(CudaDevice::context)
            .isInstanceOf(CudaUnavailableException.class)
            .hasMessage("the CUDA backend cannot run here: " + reason);
    }

    @Test
    void shouldNameTheMissingDriverLibraryWhereThereIsNone() {
        assumeFalse(CudaDevice.available(), "this machine has a usable GPU: " + CudaDevice.describe());
        assumeTrue(CudaDevice.reason().contains("libcuda"), "the driver library loads here: " + CudaDevice.reason());

        assertThat(CudaDevice.reason())
            .isEqualTo("no CUDA device: the CUDA driver library did not load (libcuda.so.1: cannot open shared object "
                + "file: No such file or directory)");
    }

    @Test
    void shouldTakeTheGpuOfItsLocalRankAndRefuseANonsenseOneNamingTheVariable() {
        assertThat(CudaDevice.localRank(null)).isZero();
        assertThat(CudaDevice.localRank(" ")).isZero();
        assertThat(CudaDevice.localRank("3")).isEqualTo(3);
        assertThatThrownBy(() -> CudaDevice.localRank("-1"))
            .hasMessage("LOCAL_RANK=-1: must be a non-negative integer (this process's index among the ranks on its "
                + "machine)");
        assertThatThrownBy(() -> CudaDevice.localRank("gpu1")).hasMessageStartingWith("LOCAL_RANK=gpu1: ");
    }

    @Test
    void shouldDescribeTheDeviceWhenThereIsOne() {
        assumeTrue(CudaDevice.available(), CudaDevice.reason());

        assertThat(CudaDevice.reason()).isEmpty();
        assertThat(CudaDevice.kernelsBuilt()).isTrue();
        final CudaContext context = CudaDevice.context();
        assertThat(context.computeCapability()).isGreaterThanOrEqualTo(CudaDevice.MIN_COMPUTE_CAPABILITY);
        assertThat(CudaDevice.describe()).contains(context.name(), "sm_" + context.computeCapability());
    }
}
