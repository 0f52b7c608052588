package dev.zeroshard.worker.backend;

import dev.zeroshard.worker.backend.cpu.Gemms;
import dev.zeroshard.worker.backend.cuda.CudaDevice;
import dev.zeroshard.worker.backend.cuda.CudaGpt;
import dev.zeroshard.worker.model.CpuGpt;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.Precision;

import java.util.Set;

/**
 * Resolves {@code backend: auto|cpu|cuda} into a backend and the reason, in one place: {@code cpu} is always there;
 * {@code cuda} runs where {@link CudaDevice} finds a GPU, its driver and the kernels, and the model is one the CUDA
 * backend computes (bf16, head size 64 or 128), and otherwise fails with the reason; {@code auto} is {@code cuda}
 * where that holds and else {@code cpu}, saying why. The CUDA probe (the first JCuda call of the process) runs only
 * when {@code auto} or {@code cuda} is asked for.
 */
public final class BackendSelector {
    public static final String AUTO = "auto";
    public static final String CPU = "cpu";
    public static final String CUDA = "cuda";
    /** The accepted names. */
    public static final Set<String> NAMES = Set.of(AUTO, CPU, CUDA);

    private static final GptModelFactory CPU_FACTORY = (config, batch, seq, precision, states) ->
        new CpuGpt(config, batch, seq, precision, precision == Precision.BF16 ? Gemms.bestBf16() : Gemms.best(),
            states);
    private static final GptModelFactory CUDA_FACTORY = CudaGpt::new;

    private BackendSelector() {
    }

    /**
     * The backend for a job's model.
     *
     * @param requested {@code auto}, {@code cpu} or {@code cuda} ({@code ""} means {@code auto})
     * @throws BackendUnavailableException for {@code cuda} where it cannot run this model, naming the reason
     * @throws IllegalArgumentException    for any other name
     */
    public static BackendChoice select(final String requested, final GptConfig config, final Precision precision) {
        return resolve(requested, config, precision);
    }

    /** The backend of a worker before it knows its job: {@code cuda} where the device and kernels are there. */
    public static BackendChoice select(final String requested) {
        return resolve(requested, null, null);
    }

    private static BackendChoice resolve(final String requested, final GptConfig config, final Precision precision) {
        final String name = requested == null || requested.isEmpty() ? AUTO : requested;
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("--backend=" + name + ": must be auto, cpu or cuda");
        }
        if (CPU.equals(name)) {
            return new BackendChoice(name, BackendKind.CPU, "asked for", CPU_FACTORY);
        }
        final String unavailable = cudaUnavailable(config, precision);
        if (unavailable == null) {
            return new BackendChoice(name, BackendKind.CUDA, CudaDevice.describe(), CUDA_FACTORY);
        }
        if (CUDA.equals(name)) {
            throw new BackendUnavailableException("--backend=cuda: the CUDA backend cannot run here: " + unavailable);
        }
        return new BackendChoice(name, BackendKind.CPU, unavailable, CPU_FACTORY);
    }

    /** Why the CUDA backend cannot run (this model, where given), or null. */
    private static String cudaUnavailable(final GptConfig config, final Precision precision) {
        if (!CudaDevice.available()) {
            return CudaDevice.reason();
        }
        return config == null ? null : CudaGpt.unsupported(CudaDevice.context(), config, precision);
    }
}
