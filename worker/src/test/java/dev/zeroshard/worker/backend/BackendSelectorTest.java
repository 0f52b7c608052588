package dev.zeroshard.worker.backend;

import dev.zeroshard.worker.backend.cuda.CudaDevice;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptModel;
import dev.zeroshard.worker.model.Precision;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BackendSelectorTest {
    private static final GptConfig GPT = GptConfig.gpt2(64, 16, 128, 1, 2);

    @Test
    void shouldPickCpuWithoutProbingWhenCpuIsAskedFor() {
        final BackendChoice choice = BackendSelector.select("cpu", GPT, Precision.FP32);

        assertThat(choice.kind()).isEqualTo(BackendKind.CPU);
        assertThat(choice.describe()).isEqualTo("backend cpu: cpu (asked for)");
        final GptModel model = choice.factory().create(GPT, 2, 8, Precision.FP32);
        assertThat(model).isInstanceOf(CpuGpt.class);
        assertThat(model.batchSize()).isEqualTo(2);
        assertThat(model.seqLen()).isEqualTo(8);
    }

    @Test
    void shouldPickCpuAndSayWhyWhenAutoFindsNoCudaDevice() {
        assumeFalse(CudaDevice.available(), "this machine has a usable GPU: " + CudaDevice.describe());

        for (final String auto : new String[] {"auto", ""}) {
            final BackendChoice choice = BackendSelector.select(auto, GPT, Precision.BF16);
            assertThat(choice.kind()).isEqualTo(BackendKind.CPU);
            assertThat(choice.reason()).isEqualTo(CudaDevice.reason()).isNotBlank();
            assertThat(choice.describe()).isEqualTo("backend auto: cpu (" + CudaDevice.reason() + ")");
            assertThat(choice.factory().create(GPT, 1, 4, Precision.BF16)).isInstanceOf(CpuGpt.class);
        }
        assertThat(BackendSelector.select("auto").kind()).isEqualTo(BackendKind.CPU);
    }

    @Test
    void shouldRefuseCudaNamingTheReasonWhenItCannotRun() {
        assumeFalse(CudaDevice.available(), "this machine has a usable GPU: " + CudaDevice.describe());

        assertThatThrownBy(() -> BackendSelector.select("cuda", GPT, Precision.BF16))
            .isInstanceOf(BackendUnavailableException.class)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("--backend=cuda: the CUDA backend cannot run here: " + CudaDevice.reason());
        assertThatThrownBy(() -> BackendSelector.select("cuda"))
            .hasMessageContaining(CudaDevice.reason());
    }

    @Test
    void shouldRefuseAnUnknownBackend() {
        assertThatThrownBy(() -> BackendSelector.select("tpu", GPT, Precision.BF16))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("--backend=tpu: must be auto, cpu or cuda");
    }

    @Test
    void shouldPickCudaForABf16ModelAndCpuForAnFp32OneWhenAGpuIsThere() {
        assumeTrue(CudaDevice.available(), CudaDevice.reason());

        final BackendChoice bf16 = BackendSelector.select("auto", GPT, Precision.BF16);
        assertThat(bf16.kind()).isEqualTo(BackendKind.CUDA);
        assertThat(bf16.reason()).isEqualTo(CudaDevice.describe());

        final BackendChoice fp32 = BackendSelector.select("auto", GPT, Precision.FP32);
        assertThat(fp32.kind()).isEqualTo(BackendKind.CPU);
        assertThat(fp32.reason()).contains("bf16");
        assertThatThrownBy(() -> BackendSelector.select("cuda", GPT, Precision.FP32))
            .isInstanceOf(BackendUnavailableException.class)
            .hasMessageContaining("bf16.enabled=false");
        assertThatThrownBy(() -> BackendSelector.select("cuda", GptConfig.gpt2(64, 16, 96, 1, 3), Precision.BF16))
            .hasMessageContaining("head size 32");
    }
}
