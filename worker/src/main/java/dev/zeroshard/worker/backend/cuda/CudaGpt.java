package dev.zeroshard.worker.backend.cuda;

import dev.zeroshard.worker.model.BlockTensor;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.GptModel;
import dev.zeroshard.worker.model.GradientView;
import dev.zeroshard.worker.model.ModelStates;
import dev.zeroshard.worker.model.ParameterView;
import dev.zeroshard.worker.model.Precision;
import dev.zeroshard.worker.ops.Bf16Rounding;
import jcuda.driver.JCudaDriver;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.zeroshard.worker.model.BlockTensor.ATTN_PROJ_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.ATTN_PROJ_WEIGHT;
import static dev.zeroshard.worker.model.BlockTensor.ATTN_QKV_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.ATTN_QKV_WEIGHT;
import static dev.zeroshard.worker.model.BlockTensor.LN_1_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.LN_1_WEIGHT;
import static dev.zeroshard.worker.model.BlockTensor.LN_2_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.LN_2_WEIGHT;
import static dev.zeroshard.worker.model.BlockTensor.MLP_FC_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.MLP_FC_WEIGHT;
import static dev.zeroshard.worker.model.BlockTensor.MLP_PROJ_BIAS;
import static dev.zeroshard.worker.model.BlockTensor.MLP_PROJ_WEIGHT;

/**
 * GPT-2 on the GPU, the mirror of {@code model.CpuGpt} op for op, in bf16 mixed precision: the compute weights and
 * every matrix input are bf16, products and sums accumulate in fp32, the residual stream, LayerNorm statistics,
 * gradients and the loss are fp32. Master weights and the optimizer stay on the host as today (the {@code Trainer}
 * runs AdamW in Java: {@code offload_optimizer.device: cpu}); {@link #parameters()} is the host copy that the
 * caller writes and {@link #parametersChanged()} uploads (rounded to bf16 as the CPU backend rounds them).
 *
 * <p>Memory: every activation and scratch buffer is allocated once, for (B,T), from the context's caching
 * allocator; another shape is refused. Host and device exchange parameters and gradients through pinned buffers:
 * during backward, each unit's gradients (a block, the final norm, the embeddings) are copied to the host on a
 * second stream as soon as backward has finished them, so the copy overlaps the rest of backward.
 *
 * <p>Built on a {@link ModelStates} store (a ZeRO engine's), the model makes the CPU model's store calls in the same
 * order, so ranks on either backend start their collectives alike. It uploads a unit only when the view's version
 * says the weights changed (after an optimizer step), so stage 3's gathered units pass through and the device keeps
 * the whole model. Each unit's gradients are computed on the device from zero, copied out as soon as backward has
 * finished the unit, and handed to the store while the GPU computes the next unit; the ring reduces them while the
 * GPU computes the units below. The engine's store reads them where the copy engine put them, in the pinned buffer
 * ({@link #hostGradients()}), and reduces its buckets there, where Aeron reads them.
 *
 * <p>Differences from the CPU backend, all within bf16 rounding: q, k and v are rounded to bf16 before attention
 * and the attention probabilities are rounded to bf16 before P·V (the CPU's attention runs in fp32 on bf16 matrix
 * outputs); the attention dq, LayerNorm weight gradients and the token-embedding gradient are summed with atomic
 * adds, so their last bits vary from run to run.
 */
public final class CudaGpt implements GptModel, AutoCloseable {
    /** Row stride of the logits is V rounded up to this, so that every row is 16-byte aligned for the products. */
    static final int LOGITS_ALIGN = 8;

    private final CudaContext cuda;
    private final CudaKernels k;
    private final GptConfig config;
    private final GptLayout layout;
    private final int B;
    private final int T;
    private final int C;
    private final int NH;
    private final int L;
    private final int V;
    private final int Vp;
    private final int inner;
    private final int BT;
    private final float eps;
    private final int psi;

    /** The host copies of a whole-buffer model; null on a store. */
    private final float[] params;
    private final float[] grads;
    /** The ZeRO engine's store, or null for a model that holds its parameters and gradients itself. */
    private final ModelStates states;
    private final ParameterView embeddingParams = new ParameterView();
    private final ParameterView blockParams = new ParameterView();
    private final ParameterView finalNormParams = new ParameterView();
    private final GradientView embeddingGrads = new GradientView();
    private final GradientView unitGrads = new GradientView();
    private final BackwardSteps backwardSteps;
    /** Per unit, the version of the store's weights on the device (-1: none yet). */
    private final long[] deviceVersion;
    /** bf16 weights on their way to the device (store mode only). */
    private final PinnedBuffer bitsPinned;
    /** Where a unit's gradients are summed into the store, a slice at a time (store mode only). */
    private float[] addScratch;
    private long activationBytes;
    private final CudaStream compute;
    private final CudaStream copy;
    private final CudaStream.Event uploaded;
    /** One per unit: recorded on the compute stream when the unit's gradients are complete. */
    private final CudaStream.Event[] unitDone;
    /** One per unit: recorded on the copy stream when the unit's gradients are in {@link #gradsPinned}. */
    private final CudaStream.Event[] unitCopied;
    /** One per unit: recorded on the copy stream when the unit's weights have left the pinned staging. */
    private final CudaStream.Event[] unitUploaded;
    /** Recorded on the compute stream before a forward pass's first upload: the kernels that read the old weights. */
    private final CudaStream.Event weightsReplaceable;
    /** Whether this forward pass's uploads already wait for {@link #weightsReplaceable}. */
    private boolean uploadsFenced;
    /** Per unit: its {@link GptLayout#vectorRanges vectors}, the only weights uploaded in fp32 beside bf16 bits. */
    private final int[][] vectorRanges;
    private final PinnedBuffer paramsPinned;
    private final PinnedBuffer gradsPinned;
    /** On a store: {@link #gradsPinned} as the store reads it, where a bucket is reduced in place. */
    private final UnsafeBuffer hostGradients;
    private final PinnedBuffer tokensPinned;
    private final PinnedBuffer lossesPinned;
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    /** How to free every stream, event and pinned buffer this model made, in the order made. */
    private final List<Runnable> releases = new ArrayList<>();
    /** fp32 parameters (LayerNorm weights and biases, linear biases are read from here), Ψ. */
    private final DeviceBuffer paramsF32;
    /** bf16 compute weights, Ψ. */
    private final DeviceBuffer paramsBf16;
    private final DeviceBuffer gradsDev;
    /** inputs (B,T) then targets (B,T). */
    private final DeviceBuffer tokens;
    private final Activations a;
    /** Whether {@link #gradsPinned} holds the device's gradients, and whether {@link #grads} holds those. */
    private boolean pinnedGradsCurrent;
    private boolean hostGradsCurrent;
    private boolean closed;

    /** A model of shape (batchSize, seqLen) on the process's GPU; throws {@link CudaUnavailableException} without one. */
    public CudaGpt(final GptConfig config, final int batchSize, final int seqLen, final Precision precision) {
        this(CudaDevice.context(), config, batchSize, seqLen, precision, null);
    }

    /**
     * As {@link #CudaGpt(GptConfig, int, int, Precision)}, its parameters and gradients in {@code states} (a ZeRO
     * engine's store; null: the model holds them itself).
     */
    public CudaGpt(final GptConfig config, final int batchSize, final int seqLen, final Precision precision,
                   final ModelStates states) {
        this(CudaDevice.context(), config, batchSize, seqLen, precision, states);
    }

    CudaGpt(final CudaContext cuda, final GptConfig config, final int batchSize, final int seqLen,
            final Precision precision) {
        this(cuda, config, batchSize, seqLen, precision, null);
    }

    CudaGpt(final CudaContext cuda, final GptConfig config, final int batchSize, final int seqLen,
            final Precision precision, final ModelStates states) {
        final String unsupported = unsupported(cuda, config, precision);
        if (unsupported != null) {
            throw new IllegalArgumentException(unsupported);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize + " < 1");
        }
        if (seqLen < 1 || seqLen > config.maxSeqLen()) {
            throw new IllegalArgumentException("sequence length " + seqLen + " is outside [1, n_positions="
                + config.maxSeqLen() + "]");
        }
        cuda.makeCurrent();
        this.cuda = cuda;
        try {
            this.k = cuda.kernels();
            this.compute = own(new CudaStream());
            this.copy = own(new CudaStream());
            this.uploaded = own(new CudaStream.Event(false));
            this.config = config;
            this.layout = new GptLayout(config);
            this.B = batchSize;
            this.T = seqLen;
            this.C = config.channels();
            this.NH = config.heads();
            this.L = config.layers();
            this.V = config.vocabSize();
            this.Vp = (V + LOGITS_ALIGN - 1) / LOGITS_ALIGN * LOGITS_ALIGN;
            this.inner = config.innerChannels();
            this.BT = Math.multiplyExact(batchSize, seqLen);
            this.eps = config.layerNormEps();
            this.psi = layout.totalElements();
            this.states = states;
            this.params = states == null ? new float[psi] : null;
            this.grads = states == null ? new float[psi] : null;
            this.deviceVersion = new long[layout.unitCount()];
            Arrays.fill(deviceVersion, -1);
            this.unitDone = new CudaStream.Event[layout.unitCount()];
            this.unitCopied = new CudaStream.Event[layout.unitCount()];
            this.unitUploaded = new CudaStream.Event[layout.unitCount()];
            this.weightsReplaceable = own(new CudaStream.Event(false));
            this.vectorRanges = new int[layout.unitCount()][];
            for (int u = 0; u < unitDone.length; u++) {
                unitDone[u] = own(new CudaStream.Event(false));
                unitCopied[u] = own(new CudaStream.Event(false));
                unitUploaded[u] = own(new CudaStream.Event(false));
                vectorRanges[u] = layout.vectorRanges(u);
            }
            this.paramsPinned = own(new PinnedBuffer(4L * psi));
            this.bitsPinned = states == null ? null : own(new PinnedBuffer(2L * psi));
            this.gradsPinned = own(new PinnedBuffer(4L * psi));
            this.hostGradients = states == null ? null : new UnsafeBuffer(gradsPinned.bytesView());
            this.tokensPinned = own(new PinnedBuffer(8L * BT));
            this.lossesPinned = own(new PinnedBuffer(4L * BT));
            this.paramsF32 = alloc(4L * psi);
            this.paramsBf16 = alloc(2L * psi);
            this.gradsDev = alloc(4L * psi);
            this.tokens = alloc(8L * BT);
            final long before = deviceBytes();
            this.a = new Activations();
            this.activationBytes = deviceBytes() - before;
            this.backwardSteps = new BackwardSteps();
            zeroGradients();
            if (states == null) {
                parametersChanged();
            }
        } catch (RuntimeException | Error failure) {
            // a device or host allocation failed half way: free what was made, for the next model to have it
            try {
                JCudaDriver.cuCtxSynchronize();
                release();
            } catch (RuntimeException | Error cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
    }

    /**
     * Why the CUDA backend cannot run this model (null when it can): it computes in bf16 only, and its flash
     * attention exists for head sizes 64 and 128.
     */
    public static String unsupported(final CudaContext cuda, final GptConfig config, final Precision precision) {
        if (precision != Precision.BF16) {
            return "the CUDA backend computes in bf16 mixed precision only; this job has bf16.enabled=false";
        }
        if (config.channels() % LOGITS_ALIGN != 0) {
            return "n_embd=" + config.channels() + ": the CUDA backend needs a multiple of " + LOGITS_ALIGN;
        }
        return cuda.kernels().attentionUnsupported(config.headSize());
    }

    private CudaStream own(final CudaStream stream) {
        releases.add(stream::close);
        return stream;
    }

    private CudaStream.Event own(final CudaStream.Event event) {
        releases.add(event::close);
        return event;
    }

    private PinnedBuffer own(final PinnedBuffer pinned) {
        releases.add(pinned::close);
        return pinned;
    }

    private DeviceBuffer alloc(final long bytes) {
        final DeviceBuffer buffer = cuda.allocator().allocate(Math.max(bytes, 1));
        buffers.add(buffer);
        return buffer;
    }

    @Override
    public GptLayout layout() {
        return layout;
    }

    @Override
    public int batchSize() {
        return B;
    }

    @Override
    public int seqLen() {
        return T;
    }

    public Precision precision() {
        return Precision.BF16;
    }

    /** The host copy of the parameters: write it, then call {@link #parametersChanged()}. */
    @Override
    public float[] parameters() {
        wholeBuffers();
        return params;
    }

    /** The gradients, copied from the device (and cached until the next forward/backward or zeroing). */
    @Override
    public float[] gradients() {
        wholeBuffers();
        if (!hostGradsCurrent) {
            cuda.makeCurrent();
            if (!pinnedGradsCurrent) {
                compute.synchronize();
                JCudaDriver.cuMemcpyDtoHAsync(gradsPinned.pointer(), gradsDev.pointer(), 4L * psi, copy.handle());
            }
            copy.synchronize();
            gradsPinned.floats().get(grads, 0, psi);
            pinnedGradsCurrent = true;
            hostGradsCurrent = true;
        }
        return grads;
    }

    @Override
    public void zeroGradients() {
        cuda.makeCurrent();
        JCudaDriver.cuMemsetD32Async(gradsDev.pointer(), 0, psi, compute.handle());
        pinnedGradsCurrent = false;
        hostGradsCurrent = false;
    }

    /** Rounds the host parameters to bf16 (as the CPU backend's bf16 mode does) and uploads them. */
    @Override
    public void parametersChanged() {
        wholeBuffers();
        cuda.makeCurrent();
        Bf16Rounding.roundInPlace(params, 0, psi);
        uploaded.synchronize();
        paramsPinned.floats().put(params, 0, psi);
        JCudaDriver.cuMemcpyHtoDAsync(paramsF32.pointer(), paramsPinned.pointer(), 4L * psi, compute.handle());
        compute.record(uploaded);
        k.f32ToBf16(compute, paramsBf16, 0, paramsF32, 0, psi);
    }

    private void wholeBuffers() {
        if (states == null) {
            return;
        }
        throw new IllegalStateException("this model's parameters and gradients live in a ZeRO engine's store");
    }

    @Override
    public long activationBytes() {
        return activationBytes;
    }

    /** On a store: the pinned buffer the copy stream brings each unit's gradients to, computed from zero. */
    @Override
    public MutableDirectBuffer hostGradients() {
        return hostGradients;
    }

    /** Bytes of device memory this model holds (parameters, gradients, activations, scratch). */
    public long deviceBytes() {
        long total = 0;
        for (final DeviceBuffer buffer : buffers) {
            total += buffer.bytes();
        }
        return total;
    }

    /** Blocks until the GPU has finished everything queued (for benchmarks). */
    public void synchronize() {
        cuda.makeCurrent();
        compute.synchronize();
        copy.synchronize();
    }

    @Override
    public float forward(final int[] inputs, final int[] targets) {
        cuda.makeCurrent();
        upload(inputs, targets);
        forwardToLogits();
        release(GptLayout.embeddingUnit());
        release(layout.finalNormUnit());
        k.crossEntropy(compute, a.losses, 0, null, 0, a.logits, 0, tokens, BT, BT, V, Vp, 0f);
        return meanLoss();
    }

    @Override
    public float forwardBackward(final int[] inputs, final int[] targets, final float gradScale) {
        cuda.makeCurrent();
        upload(inputs, targets);
        forwardToLogits();
        k.crossEntropy(compute, a.losses, 0, a.dlogits, 0, a.logits, 0, tokens, BT, BT, V, Vp, gradScale);
        backward();
        hostGradsCurrent = false;
        // on a store the pinned gradients are the store's to reduce in place, never the model's to read back
        pinnedGradsCurrent = states == null;
        return meanLoss();
    }

    private void upload(final int[] inputs, final int[] targets) {
        checkTokens(inputs, "inputs");
        checkTokens(targets, "targets");
        // the previous call ended with a synchronisation, so the pinned tokens are free
        final IntBuffer pinned = tokensPinned.bytesView().asIntBuffer();
        pinned.put(inputs, 0, BT).put(targets, 0, BT);
        JCudaDriver.cuMemcpyHtoDAsync(tokens.pointer(), tokensPinned.pointer(), 8L * BT, compute.handle());
    }

    /** Copies the per-row losses back and returns their mean (summed in row order in double, as the CPU does). */
    private float meanLoss() {
        JCudaDriver.cuMemcpyDtoHAsync(lossesPinned.pointer(), a.losses.pointer(), 4L * BT, compute.handle());
        compute.synchronize();
        final FloatBuffer losses = lossesPinned.floats();
        double total = 0;
        for (int i = 0; i < BT; i++) {
            total += losses.get(i);
        }
        return (float)(total / BT);
    }

    private void forwardToLogits() {
        uploadsFenced = false;
        final long wte = layout.offset(GptLayout.TOKEN_EMBEDDING);
        final long wpe = layout.offset(GptLayout.POSITION_EMBEDDING);
        final long btc = (long)BT * C;
        final long bti = (long)BT * inner;
        acquire(GptLayout.embeddingUnit(), embeddingParams);
        k.encoderForward(compute, a.encoded, 0, tokens, 0, paramsBf16, wte, wpe, B, T, C);
        release(GptLayout.embeddingUnit());
        for (int l = 0; l < L; l++) {
            final DeviceBuffer residual = l == 0 ? a.encoded : a.residual3;
            final long residualOff = l == 0 ? 0 : (l - 1) * btc;
            acquire(GptLayout.blockUnit(l), blockParams);
            // attention sub-block: x + proj(attn(ln_1(x)))
            k.layerNormForward(compute, a.ln1, l * btc, a.ln1Mean, (long)l * BT, a.ln1Rstd, (long)l * BT, residual,
                residualOff, paramsF32, layout.offset(LN_1_WEIGHT, l), layout.offset(LN_1_BIAS, l), BT, C, eps);
            // q, k and v go to attention as bf16 only
            k.gemm(compute, false, false, BT, 3 * C, C, 1f, a.ln1, l * btc, C, paramsBf16,
                layout.offset(ATTN_QKV_WEIGHT, l), 3 * C, 0f, null, 0, 0, paramsF32, layout.offset(ATTN_QKV_BIAS, l),
                a.qkv, 3 * l * btc, 3 * C);
            k.attentionForward(compute, a.atty, l * btc, a.lse, (long)l * B * NH * T, a.qkv, 3 * l * btc, B, T, C,
                NH);
            // residual2 = x + atty · W + b: the product adds onto a copy of x
            copyDevice(a.residual2, l * btc, residual, residualOff, btc);
            k.gemm(compute, false, false, BT, C, C, 1f, a.atty, l * btc, C, paramsBf16,
                layout.offset(ATTN_PROJ_WEIGHT, l), C, 1f, a.residual2, l * btc, C, paramsF32,
                layout.offset(ATTN_PROJ_BIAS, l), null, 0, 0);
            // MLP sub-block: x + proj(gelu(fc(ln_2(x))))
            k.layerNormForward(compute, a.ln2, l * btc, a.ln2Mean, (long)l * BT, a.ln2Rstd, (long)l * BT,
                a.residual2, l * btc, paramsF32, layout.offset(LN_2_WEIGHT, l), layout.offset(LN_2_BIAS, l), BT, C,
                eps);
            k.gemm(compute, false, false, BT, inner, C, 1f, a.ln2, l * btc, C, paramsBf16,
                layout.offset(MLP_FC_WEIGHT, l), inner, 0f, a.fch, l * bti, inner, paramsF32,
                layout.offset(MLP_FC_BIAS, l), null, 0, 0);
            k.geluForward(compute, a.fchGelu, l * bti, a.fch, l * bti, bti);
            copyDevice(a.residual3, l * btc, a.residual2, l * btc, btc);
            k.gemm(compute, false, false, BT, C, inner, 1f, a.fchGelu, l * bti, inner, paramsBf16,
                layout.offset(MLP_PROJ_WEIGHT, l), C, 1f, a.residual3, l * btc, C, paramsF32,
                layout.offset(MLP_PROJ_BIAS, l), null, 0, 0);
            release(GptLayout.blockUnit(l));
        }
        acquire(layout.finalNormUnit(), finalNormParams);
        acquire(GptLayout.embeddingUnit(), embeddingParams);
        k.layerNormForward(compute, a.lnf, 0, a.lnfMean, 0, a.lnfRstd, 0, a.residual3, (L - 1) * btc, paramsF32,
            layout.offset(GptLayout.FINAL_NORM_WEIGHT), layout.offset(GptLayout.FINAL_NORM_BIAS), BT, C, eps);
        // the LM head is the token embedding, transposed: logits (BT, V) with row stride Vp
        k.gemm(compute, false, true, BT, V, C, 1f, a.lnf, 0, C, paramsBf16, wte, C, 0f, a.logits, 0, Vp, null, 0,
            null, 0, 0);
    }

    /**
     * Backward from the dlogits that cross-entropy wrote; each unit's gradients are copied out when complete. On a
     * store the device gradients start from zero and the store calls come as {@link BackwardOrder} says.
     */
    private void backward() {
        if (states != null) {
            JCudaDriver.cuMemsetD32Async(gradsDev.pointer(), 0, psi, compute.handle());
        }
        JCudaDriver.cuMemsetD32Async(a.dresidual.pointer(), 0, (long)BT * C, compute.handle());
        BackwardOrder.run(layout, states, backwardSteps, blockParams, embeddingGrads, unitGrads);
    }

    /** Backward's kernels and host-side steps, in the order {@link BackwardOrder} runs them. */
    private final class BackwardSteps implements BackwardOrder.Steps {
        private final long wte = layout.offset(GptLayout.TOKEN_EMBEDDING);
        private final long wpe = layout.offset(GptLayout.POSITION_EMBEDDING);
        private final long btc = (long)BT * C;
        private final long bti = (long)BT * inner;

        /** head: dln = dlogits · wte; dwte += dlogitsᵀ · lnf; then the final norm. */
        @Override
        public void head() {
            final DeviceBuffer dres = a.dresidual;
            k.gemm(compute, false, false, BT, C, V, 1f, a.dlogits, 0, Vp, paramsBf16, wte, C, 0f, a.dln, 0, C, null,
                0, null, 0, 0);
            k.gemm(compute, true, false, V, C, BT, 1f, a.dlogits, 0, Vp, a.lnf, 0, C, 1f, gradsDev, wte, C, null, 0,
                null, 0, 0);
            k.layerNormBackward(compute, dres, 0, gradsDev, layout.offset(GptLayout.FINAL_NORM_WEIGHT),
                layout.offset(GptLayout.FINAL_NORM_BIAS), a.dln, 0, a.residual3, (L - 1) * btc, paramsF32,
                layout.offset(GptLayout.FINAL_NORM_WEIGHT), a.lnfMean, 0, a.lnfRstd, 0, BT, C, a.lnScratch);
            unitComplete(layout.finalNormUnit());
        }

        @Override
        public void block(final int l) {
            final DeviceBuffer dres = a.dresidual;
            final DeviceBuffer residual = l == 0 ? a.encoded : a.residual3;
            final long residualOff = l == 0 ? 0 : (l - 1) * btc;
            // MLP: dres holds d(residual3), which is d(fcproj) and, passed through, d(residual2)
            k.f32ToBf16(compute, a.doutBits, 0, dres, 0, btc);
            linearBackward(a.dfchGelu, MLP_PROJ_WEIGHT, MLP_PROJ_BIAS, l, dres, a.fchGelu, l * bti, inner, C);
            k.geluBackward(compute, a.dfch, 0, a.fch, l * bti, a.dfchGelu, 0, bti);
            k.f32ToBf16(compute, a.doutBits, 0, a.dfch, 0, bti);
            linearBackward(a.dln, MLP_FC_WEIGHT, MLP_FC_BIAS, l, a.dfch, a.ln2, l * btc, C, inner);
            k.layerNormBackward(compute, dres, 0, gradsDev, layout.offset(LN_2_WEIGHT, l), layout.offset(LN_2_BIAS, l),
                a.dln, 0, a.residual2, l * btc, paramsF32, layout.offset(LN_2_WEIGHT, l), a.ln2Mean, (long)l * BT,
                a.ln2Rstd, (long)l * BT, BT, C, a.lnScratch);
            // attention: dres holds d(residual2), which is d(attproj) and, passed through, d(x)
            k.f32ToBf16(compute, a.doutBits, 0, dres, 0, btc);
            linearBackward(a.datty, ATTN_PROJ_WEIGHT, ATTN_PROJ_BIAS, l, dres, a.atty, l * btc, C, C);
            JCudaDriver.cuMemsetD32Async(a.dqkv.pointer(), 0, 3 * btc, compute.handle());
            k.attentionBackward(compute, a.dqkv, 0, a.datty, 0, a.atty, l * btc, a.lse, (long)l * B * NH * T, a.qkv,
                3 * l * btc, B, T, C, NH, a.attentionD, a.attentionDoutBits);
            k.f32ToBf16(compute, a.doutBits, 0, a.dqkv, 0, 3 * btc);
            linearBackward(a.dln, ATTN_QKV_WEIGHT, ATTN_QKV_BIAS, l, a.dqkv, a.ln1, l * btc, C, 3 * C);
            k.layerNormBackward(compute, dres, 0, gradsDev, layout.offset(LN_1_WEIGHT, l), layout.offset(LN_1_BIAS, l),
                a.dln, 0, residual, residualOff, paramsF32, layout.offset(LN_1_WEIGHT, l), a.ln1Mean, (long)l * BT,
                a.ln1Rstd, (long)l * BT, BT, C, a.lnScratch);
            unitComplete(GptLayout.blockUnit(l));
        }

        @Override
        public void embeddings() {
            k.encoderBackward(compute, gradsDev, wte, wpe, a.dresidual, 0, tokens, 0, B, T, C);
            unitComplete(GptLayout.embeddingUnit());
        }

        @Override
        public void acquire(final int unit, final ParameterView view) {
            acquireForBackward(unit, view);
        }

        @Override
        public void addGradients(final int unit, final GradientView view) {
            CudaGpt.this.addGradients(unit, view);
        }
    }

    /**
     * The gradients of {@code out (BT,OC) = inp (BT,IC) · W (IC,OC) + b}: dinp (fp32, written over) = dout · Wᵀ,
     * dW += inpᵀ · dout, db += Σ rows of dout. {@code a.doutBits} must already hold dout as bf16.
     *
     * @param dout (BT,OC) fp32, for the bias gradient
     * @param inp  (BT,IC) bf16, the forward input
     */
    private void linearBackward(final DeviceBuffer dinp, final BlockTensor weight, final BlockTensor biasTensor,
                                final int l, final DeviceBuffer dout, final DeviceBuffer inp, final long inpOff,
                                final int ic, final int oc) {
        final long w = layout.offset(weight, l);
        final long bias = layout.offset(biasTensor, l);
        // dinp (BT,IC) = dout (BT,OC) · (W (IC,OC))ᵀ
        k.gemm(compute, false, true, BT, ic, oc, 1f, a.doutBits, 0, oc, paramsBf16, w, oc, 0f, dinp, 0, ic, null, 0,
            null, 0, 0);
        // dW (IC,OC) += (inp (BT,IC))ᵀ · dout (BT,OC)
        k.gemm(compute, true, false, ic, oc, BT, 1f, inp, inpOff, ic, a.doutBits, 0, oc, 1f, gradsDev, w, oc, null,
            0, null, 0, 0);
        k.biasBackward(compute, gradsDev, bias, dout, 0, BT, oc, a.biasScratch);
    }

    /** The unit's gradients are complete on the compute stream: copy them to the pinned buffer on the copy stream. */
    private void unitComplete(final int unit) {
        compute.record(unitDone[unit]);
        copy.waitFor(unitDone[unit]);
        final long from = layout.unitStart(unit);
        final long bytes = 4L * (layout.unitEnd(unit) - from);
        JCudaDriver.cuMemcpyDtoHAsync(gradsPinned.pointer().withByteOffset(4 * from), gradsDev.at(4 * from), bytes,
            copy.handle());
        copy.record(unitCopied[unit]);
    }


    /**
     * Waits for the unit's copy and adds it into {@code view}, as the CPU model's backward adds into it; a store
     * that reads the unit in the pinned buffer ({@link #hostGradients()}) gets nothing added.
     */
    private void addGradients(final int unit, final GradientView view) {
        unitCopied[unit].synchronize();
        if (view.inModel()) {
            return;
        }
        final FloatBuffer pinned = gradsPinned.floats();
        final float[] into = view.values();
        final int shift = view.shift();
        final int end = layout.unitEnd(unit);
        if (addScratch == null) {
            // only a store that keeps its own gradient array (stages 0 and 1) needs it
            addScratch = new float[Math.min(psi, 1 << 20)];
        }
        for (int from = layout.unitStart(unit); from < end; from += addScratch.length) {
            final int n = Math.min(addScratch.length, end - from);
            pinned.get(from, addScratch, 0, n);
            for (int i = 0; i < n; i++) {
                into[from + shift + i] += addScratch[i];
            }
        }
    }

    /**
     * On a store: acquires unit {@code unit} into {@code view} and, when the device does not hold that version of
     * its weights, uploads them on the copy stream, so that the upload of one unit overlaps the kernels of the units
     * before it: the bf16 weights, and the fp32 values of the vectors only (LayerNorm parameters and biases, the only
     * fp32 weights the kernels read); a store without bf16 bits gets its fp32 values uploaded whole and rounded on
     * the device. The compute stream waits for the unit's upload; the uploads wait for every kernel queued before
     * this forward pass, which may still read the weights they replace.
     */
    private void acquire(final int unit, final ParameterView view) {
        if (states == null || acquireHeld(unit, view)) {
            return;
        }
        final long version = view.version();
        final int start = layout.unitStart(unit);
        final int n = layout.unitEnd(unit) - start;
        if (!uploadsFenced) {
            compute.record(weightsReplaceable);
            copy.waitFor(weightsReplaceable);
            uploadsFenced = true;
        }
        // this unit's staging may still be on its way to the device from an earlier upload
        unitUploaded[unit].synchronize();
        if (view.bits() != null) {
            final ShortBuffer staged = bitsPinned.bytesView().asShortBuffer();
            staged.put(start, view.bits(), start + view.bitsShift(), n);
            JCudaDriver.cuMemcpyHtoDAsync(paramsBf16.at(2L * start), bitsPinned.pointer().withByteOffset(2L * start),
                2L * n, copy.handle());
            if (view.values() != null) {
                final int[] vectors = vectorRanges[unit];
                for (int i = 0; i < vectors.length; i += 2) {
                    uploadValues(view, vectors[i], vectors[i + 1] - vectors[i]);
                }
            }
        } else if (view.values() != null) {
            uploadValues(view, start, n);
            k.f32ToBf16(copy, paramsBf16, start, paramsF32, start, n);
        }
        copy.record(unitUploaded[unit]);
        compute.waitFor(unitUploaded[unit]);
        deviceVersion[unit] = version;
    }

    /** Stages {@code view}'s fp32 values of layout range {@code [from, from + n)} and uploads them on the copy stream. */
    private void uploadValues(final ParameterView view, final int from, final int n) {
        paramsPinned.floats().put(from, view.values(), from + view.valuesShift(), n);
        JCudaDriver.cuMemcpyHtoDAsync(paramsF32.at(4L * from), paramsPinned.pointer().withByteOffset(4L * from), 4L * n,
            copy.handle());
    }

    /**
     * Backward's acquisition of a unit whose kernels are already queued: the store must show the version forward
     * uploaded, or those kernels read other weights than the store's.
     */
    private void acquireForBackward(final int unit, final ParameterView view) {
        if (!acquireHeld(unit, view)) {
            throw new IllegalStateException("unit " + unit + "'s weights are at version " + view.version()
                + " in backward but forward computed with version " + deviceVersion[unit] + ": the store changed "
                + "them in between, or does not say which it shows");
        }
    }

    /** Acquires {@code unit} from the store, saying which version the device holds; whether it is the one shown. */
    private boolean acquireHeld(final int unit, final ParameterView view) {
        view.holding(deviceVersion[unit]);
        states.acquireParameters(unit, view);
        return view.version() >= 0 && view.version() == deviceVersion[unit];
    }

    private void release(final int unit) {
        if (states != null) {
            states.releaseParameters(unit);
        }
    }

    private void copyDevice(final DeviceBuffer dst, final long dstOff, final DeviceBuffer src, final long srcOff,
                            final long floats) {
        dst.checkRange("copy dst", dstOff, floats, 4);
        src.checkRange("copy src", srcOff, floats, 4);
        JCudaDriver.cuMemcpyDtoDAsync(dst.at(4 * dstOff), src.at(4 * srcOff), 4 * floats, compute.handle());
    }

    private void checkTokens(final int[] ids, final String what) {
        if (ids.length != BT) {
            throw new IllegalArgumentException(what + " has " + ids.length + " tokens; this model was sized for"
                + " B=" + B + " x T=" + T + " = " + BT);
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= V) {
                throw new IllegalArgumentException(what + "[" + (i / T) + "," + (i % T) + "] = " + ids[i]
                    + " is not a token id of this model (vocab_size=" + V + ")");
            }
        }
    }

    /** Frees the device and pinned memory (device blocks go back to the context's cache). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cuda.makeCurrent();
        synchronize();
        release();
    }

    /** Returns the device blocks to the context's cache and frees the pinned buffers, events and streams. */
    private void release() {
        for (final DeviceBuffer buffer : buffers) {
            cuda.allocator().release(buffer);
        }
        buffers.clear();
        for (int i = releases.size() - 1; i >= 0; i--) {
            releases.get(i).run();
        }
        releases.clear();
    }

    /** Every activation forward keeps for backward, plus backward's one-layer scratch; sized once for (B,T). */
    private final class Activations {
        final DeviceBuffer encoded = alloc(4L * BT * C);
        final DeviceBuffer ln1 = alloc(2L * L * BT * C);
        final DeviceBuffer ln1Mean = alloc(4L * L * BT);
        final DeviceBuffer ln1Rstd = alloc(4L * L * BT);
        final DeviceBuffer qkv = alloc(2L * L * BT * 3 * C);
        final DeviceBuffer atty = alloc(2L * L * BT * C);
        final DeviceBuffer lse = alloc(4L * L * B * NH * T);
        final DeviceBuffer residual2 = alloc(4L * L * BT * C);
        final DeviceBuffer ln2 = alloc(2L * L * BT * C);
        final DeviceBuffer ln2Mean = alloc(4L * L * BT);
        final DeviceBuffer ln2Rstd = alloc(4L * L * BT);
        final DeviceBuffer fch = alloc(4L * L * BT * inner);
        final DeviceBuffer fchGelu = alloc(2L * L * BT * inner);
        final DeviceBuffer residual3 = alloc(4L * L * BT * C);
        final DeviceBuffer lnf = alloc(2L * BT * C);
        final DeviceBuffer lnfMean = alloc(4L * BT);
        final DeviceBuffer lnfRstd = alloc(4L * BT);
        final DeviceBuffer logits = alloc(4L * BT * Vp);
        final DeviceBuffer dlogits = alloc(2L * BT * Vp);
        final DeviceBuffer losses = alloc(4L * BT);
        final DeviceBuffer dresidual = alloc(4L * BT * C);
        final DeviceBuffer dln = alloc(4L * BT * C);
        final DeviceBuffer datty = alloc(4L * BT * C);
        final DeviceBuffer dqkv = alloc(4L * BT * 3 * C);
        final DeviceBuffer dfch = alloc(4L * BT * inner);
        final DeviceBuffer dfchGelu = alloc(4L * BT * inner);
        /** One backward product's dout as bf16, (BT, max(3C, inner)). */
        final DeviceBuffer doutBits = alloc(2L * BT * Math.max(3 * C, inner));
        final DeviceBuffer attentionD = alloc(4L * B * NH * T);
        final DeviceBuffer attentionDoutBits = alloc(2L * BT * C);
        final DeviceBuffer lnScratch = alloc(4L * k.layerNormScratchFloats(BT, C));
        final DeviceBuffer biasScratch = alloc(4L * CudaKernels.biasScratchFloats(BT, Math.max(3 * C, inner)));
    }
}
