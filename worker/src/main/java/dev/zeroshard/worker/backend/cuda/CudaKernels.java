package dev.zeroshard.worker.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.JCudaDriver;

/**
 * Launchers for the kernels of {@code worker/src/main/cuda}, one method per kernel, over device buffers with
 * element offsets (as the CPU ops take arrays and offsets). Each method checks its shapes and ranges, then queues
 * the kernel on {@code stream} and returns; results are there once the stream has run that far. Backward methods
 * add into gradient buffers unless their comment says otherwise (llm.c's convention, as on the CPU).
 *
 * <p>Scratch memory is the caller's, sized by the {@code ...ScratchFloats} methods, so that a model allocates it
 * once per shape.
 */
public final class CudaKernels {
    /** Threads per block of the elementwise and row kernels. */
    static final int THREADS = 256;
    /** Blocks of the sum-of-squares kernel: fixed, so its result does not depend on the device. */
    public static final int SUM_OF_SQUARES_BLOCKS = 1024;
    /** Rows per partial sum of the bias gradient. */
    static final int BIAS_ROWS_PER_CHUNK = 128;
    /** Query rows and keys per attention tile (zs_attn::TILE). */
    static final int ATTENTION_TILE = 64;
    static final int ATTENTION_THREADS = 128;
    static final int GEMM_TILE = 128;
    static final int GEMM_THREADS = 256;
    private static final CUdeviceptr NULL = new CUdeviceptr();

    private final CudaContext context;
    private final int gridStrideBlocks;
    private final int layerNormMaxBlocks;
    private final CUfunction f32ToBf16;
    private final CUfunction bf16ToF32;
    private final CUfunction encoderForward;
    private final CUfunction encoderBackwardWte;
    private final CUfunction encoderBackwardWpe;
    private final CUfunction layerNormForward;
    private final CUfunction layerNormBackward;
    private final CUfunction layerNormBackwardReduce;
    private final CUfunction geluForward;
    private final CUfunction geluBackward;
    private final CUfunction crossEntropy;
    private final CUfunction biasPartial;
    private final CUfunction biasReduce;
    private final CUfunction adamw;
    private final CUfunction sumSquares;
    private final CUfunction attentionPrep;
    /** Indexed by transA * 2 + transB. */
    private final CUfunction[] gemmAsync = new CUfunction[4];
    private final CUfunction[] gemmSync = new CUfunction[4];
    private final CUfunction attentionForward64;
    private final CUfunction attentionForward128;
    private final CUfunction attentionBackward64;
    private final CUfunction attentionBackward128;
    private final boolean attention128;

    CudaKernels(final CudaContext context) {
        this.context = context;
        this.gridStrideBlocks = 8 * context.multiprocessors();
        this.layerNormMaxBlocks = 2 * context.multiprocessors();
        f32ToBf16 = context.function("zs_f32_to_bf16");
        bf16ToF32 = context.function("zs_bf16_to_f32");
        encoderForward = context.function("zs_encoder_forward");
        encoderBackwardWte = context.function("zs_encoder_backward_wte");
        encoderBackwardWpe = context.function("zs_encoder_backward_wpe");
        layerNormForward = context.function("zs_layernorm_forward");
        layerNormBackward = context.function("zs_layernorm_backward");
        layerNormBackwardReduce = context.function("zs_layernorm_backward_reduce");
        geluForward = context.function("zs_gelu_forward");
        geluBackward = context.function("zs_gelu_backward");
        crossEntropy = context.function("zs_crossentropy");
        biasPartial = context.function("zs_bias_backward_partial");
        biasReduce = context.function("zs_bias_backward_reduce");
        adamw = context.function("zs_adamw");
        sumSquares = context.function("zs_sum_squares");
        attentionPrep = context.function("zs_attention_backward_prep");
        final String[] layouts = {"nn", "nt", "tn", "tt"};
        for (int i = 0; i < 4; i++) {
            gemmAsync[i] = context.function("zs_gemm_" + layouts[i] + "_async");
            gemmSync[i] = context.function("zs_gemm_" + layouts[i]);
        }
        attentionForward64 = context.function("zs_attention_forward_hd64");
        attentionForward128 = context.function("zs_attention_forward_hd128");
        attentionBackward64 = context.function("zs_attention_backward_hd64");
        attentionBackward128 = context.function("zs_attention_backward_hd128");
        final int limit = context.maxSharedBytesPerBlock();
        if (attentionBackwardSmemBytes(64) > limit) {
            throw new CudaUnavailableException(context.name() + " gives a block " + limit + " bytes of shared memory; "
                + "flash attention needs " + attentionBackwardSmemBytes(64));
        }
        optIn(attentionForward64, attentionForwardSmemBytes(64));
        optIn(attentionBackward64, attentionBackwardSmemBytes(64));
        this.attention128 = attentionBackwardSmemBytes(128) <= limit;
        if (attention128) {
            optIn(attentionForward128, attentionForwardSmemBytes(128));
            optIn(attentionBackward128, attentionBackwardSmemBytes(128));
        }
    }

    private static void optIn(final CUfunction function, final int bytes) {
        JCudaDriver.cuFuncSetAttribute(function, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
            bytes);
    }

    /** Shared memory of the attention forward kernel (zs_attn::forward_smem_bytes). */
    static int attentionForwardSmemBytes(final int headSize) {
        return 3 * ATTENTION_TILE * (headSize + 8) * 2 + 4 * 16 * (ATTENTION_TILE + 4) * 4
            + 4 * 16 * (ATTENTION_TILE + 8) * 2 + 4 * 16 * (headSize + 4) * 4;
    }

    /** Shared memory of the attention backward kernel (zs_attn::backward_smem_bytes). */
    static int attentionBackwardSmemBytes(final int headSize) {
        return 4 * ATTENTION_TILE * (headSize + 8) * 2 + 2 * ATTENTION_TILE * (ATTENTION_TILE + 4) * 4
            + 2 * ATTENTION_TILE * (ATTENTION_TILE + 8) * 2 + 2 * ATTENTION_TILE * 4;
    }

    /** Why flash attention cannot run with head size {@code headSize} on this device, or null when it can. */
    public String attentionUnsupported(final int headSize) {
        if (headSize != 64 && headSize != 128) {
            return "head size " + headSize + ": the CUDA flash attention kernels exist for head sizes 64 and 128";
        }
        if (headSize == 128 && !attention128) {
            return "head size 128 needs " + attentionBackwardSmemBytes(128) + " bytes of shared memory per block; "
                + context.name() + " gives " + context.maxSharedBytesPerBlock();
        }
        return null;
    }

    // ---------------------------------------------------------------- elementwise

    /** out (n) bf16 = in (n) fp32, round to nearest even. */
    public void f32ToBf16(final CudaStream stream, final DeviceBuffer out, final long outOff, final DeviceBuffer in,
                          final long inOff, final long n) {
        out.checkRange("f32ToBf16 out", outOff, n, 2);
        in.checkRange("f32ToBf16 in", inOff, n, 4);
        launch(stream, f32ToBf16, gridStride(n), 1, THREADS, 0, bf16(out, outOff), f32(in, inOff), i64(n));
    }

    /** out (n) fp32 = in (n) bf16, exact. */
    public void bf16ToF32(final CudaStream stream, final DeviceBuffer out, final long outOff, final DeviceBuffer in,
                          final long inOff, final long n) {
        out.checkRange("bf16ToF32 out", outOff, n, 4);
        in.checkRange("bf16ToF32 in", inOff, n, 2);
        launch(stream, bf16ToF32, gridStride(n), 1, THREADS, 0, f32(out, outOff), bf16(in, inOff), i64(n));
    }

    /**
     * out (B,T,C) fp32 = wte[tokens[b,t]] + wpe[t].
     *
     * @param tokens (B,T) ids, already checked to be in [0, V)
     * @param params bf16 compute weights: wte (V,C) at {@code wteOff}, wpe (maxT,C) at {@code wpeOff}
     */
    public void encoderForward(final CudaStream stream, final DeviceBuffer out, final long outOff,
                               final DeviceBuffer tokens, final long tokensOff, final DeviceBuffer params,
                               final long wteOff, final long wpeOff, final int B, final int T, final int C) {
        final long n = (long)B * T * C;
        out.checkRange("encoder out", outOff, n, 4);
        tokens.checkRange("encoder tokens", tokensOff, (long)B * T, 4);
        params.checkRange("encoder wpe", wpeOff, (long)T * C, 2);
        launch(stream, encoderForward, gridStride(n), 1, THREADS, 0, f32(out, outOff), i32p(tokens, tokensOff),
            bf16(params, wteOff), bf16(params, wpeOff), i32(B), i32(T), i32(C));
    }

    /**
     * Adds dwte[tokens[b,t]] += dout[b,t] (atomic adds: the order of additions varies) and dwpe[t] += Σ_b dout[b,t]
     * (in b order).
     *
     * @param grads fp32 gradients: dwte (V,C) at {@code dwteOff}, dwpe (maxT,C) at {@code dwpeOff}
     * @param dout  (B,T,C) fp32
     */
    public void encoderBackward(final CudaStream stream, final DeviceBuffer grads, final long dwteOff,
                                final long dwpeOff, final DeviceBuffer dout, final long doutOff,
                                final DeviceBuffer tokens, final long tokensOff, final int B, final int T,
                                final int C) {
        final long n = (long)B * T * C;
        dout.checkRange("encoder dout", doutOff, n, 4);
        grads.checkRange("encoder dwpe", dwpeOff, (long)T * C, 4);
        tokens.checkRange("encoder tokens", tokensOff, (long)B * T, 4);
        launch(stream, encoderBackwardWte, gridStride(n), 1, THREADS, 0, f32(grads, dwteOff), f32(dout, doutOff),
            i32p(tokens, tokensOff), i32(B), i32(T), i32(C));
        launch(stream, encoderBackwardWpe, gridStride((long)T * C), 1, THREADS, 0, f32(grads, dwpeOff),
            f32(dout, doutOff), i32(B), i32(T), i32(C));
    }

    /**
     * out (N,C) bf16 = (inp - mean) * rstd * weight + bias, per row; mean (N) and rstd (N) saved for backward.
     *
     * @param inp    (N,C) fp32
     * @param params fp32 weights: weight (C) at {@code weightOff}, bias (C) at {@code biasOff}
     */
    public void layerNormForward(final CudaStream stream, final DeviceBuffer out, final long outOff,
                                 final DeviceBuffer mean, final long meanOff, final DeviceBuffer rstd,
                                 final long rstdOff, final DeviceBuffer inp, final long inpOff,
                                 final DeviceBuffer params, final long weightOff, final long biasOff, final int N,
                                 final int C, final float eps) {
        out.checkRange("layerNorm out", outOff, (long)N * C, 2);
        inp.checkRange("layerNorm inp", inpOff, (long)N * C, 4);
        mean.checkRange("layerNorm mean", meanOff, N, 4);
        rstd.checkRange("layerNorm rstd", rstdOff, N, 4);
        params.checkRange("layerNorm weight", weightOff, C, 4);
        params.checkRange("layerNorm bias", biasOff, C, 4);
        final int rowsPerBlock = THREADS / 32;
        launch(stream, layerNormForward, ceilDiv(N, rowsPerBlock), 1, THREADS, 0, bf16(out, outOff),
            f32(mean, meanOff), f32(rstd, rstdOff), f32(inp, inpOff), f32(params, weightOff), f32(params, biasOff),
            i32(N), i32(C), f32v(eps));
    }

    /** Floats of scratch {@link #layerNormBackward} needs for N rows of width C. */
    public long layerNormScratchFloats(final int N, final int C) {
        return (long)layerNormBlocks(N) * 2 * C;
    }

    private int layerNormBlocks(final int N) {
        return Math.max(1, Math.min(ceilDiv(N, THREADS / 32), layerNormMaxBlocks));
    }

    /**
     * Adds dinp (N,C) += rstd (dnorm - mean(dnorm) - norm mean(dnorm norm)) with dnorm = dout weight, and
     * dweight (C) += Σ norm dout, dbias (C) += Σ dout (fp32, within a block by shared-memory atomics, across
     * blocks in block order).
     *
     * @param grads   fp32 gradients: dweight at {@code dweightOff}, dbias at {@code dbiasOff}
     * @param inp     (N,C) the forward input; params: weight (C) at {@code weightOff}
     * @param scratch at least {@link #layerNormScratchFloats} floats
     */
    public void layerNormBackward(final CudaStream stream, final DeviceBuffer dinp, final long dinpOff,
                                  final DeviceBuffer grads, final long dweightOff, final long dbiasOff,
                                  final DeviceBuffer dout, final long doutOff, final DeviceBuffer inp,
                                  final long inpOff, final DeviceBuffer params, final long weightOff,
                                  final DeviceBuffer mean, final long meanOff, final DeviceBuffer rstd,
                                  final long rstdOff, final int N, final int C, final DeviceBuffer scratch) {
        dinp.checkRange("layerNorm dinp", dinpOff, (long)N * C, 4);
        dout.checkRange("layerNorm dout", doutOff, (long)N * C, 4);
        inp.checkRange("layerNorm inp", inpOff, (long)N * C, 4);
        scratch.checkRange("layerNorm scratch", 0, layerNormScratchFloats(N, C), 4);
        grads.checkRange("layerNorm dweight", dweightOff, C, 4);
        grads.checkRange("layerNorm dbias", dbiasOff, C, 4);
        params.checkRange("layerNorm weight", weightOff, C, 4);
        mean.checkRange("layerNorm mean", meanOff, N, 4);
        rstd.checkRange("layerNorm rstd", rstdOff, N, 4);
        final int sharedBytes = 2 * C * 4;
        if (sharedBytes > 48 * 1024) {
            throw new IllegalArgumentException("LayerNorm backward keeps 2C floats per block in shared memory: C=" + C
                + " needs " + sharedBytes + " bytes > 48 KiB");
        }
        final int blocks = layerNormBlocks(N);
        launch(stream, layerNormBackward, blocks, 1, THREADS, sharedBytes, f32(dinp, dinpOff), f32(scratch, 0),
            f32(dout, doutOff), f32(inp, inpOff), f32(params, weightOff), f32(mean, meanOff), f32(rstd, rstdOff),
            i32(N), i32(C));
        launch(stream, layerNormBackwardReduce, ceilDiv(2 * C, THREADS), 1, THREADS, 0, f32(grads, dweightOff),
            f32(grads, dbiasOff), f32(scratch, 0), i32(blocks), i32(C));
    }

    /** out (n) bf16 = gelu(inp (n) fp32), GPT-2's tanh form. */
    public void geluForward(final CudaStream stream, final DeviceBuffer out, final long outOff,
                            final DeviceBuffer inp, final long inpOff, final long n) {
        out.checkRange("gelu out", outOff, n, 2);
        inp.checkRange("gelu inp", inpOff, n, 4);
        launch(stream, geluForward, gridStride(n), 1, THREADS, 0, bf16(out, outOff), f32(inp, inpOff), i64(n));
    }

    /** dinp (n) = gelu'(inp) dout, written over dinp (not added); dinp may be dout. All fp32. */
    public void geluBackward(final CudaStream stream, final DeviceBuffer dinp, final long dinpOff,
                             final DeviceBuffer inp, final long inpOff, final DeviceBuffer dout, final long doutOff,
                             final long n) {
        dinp.checkRange("gelu dinp", dinpOff, n, 4);
        inp.checkRange("gelu inp", inpOff, n, 4);
        dout.checkRange("gelu dout", doutOff, n, 4);
        launch(stream, geluBackward, gridStride(n), 1, THREADS, 0, f32(dinp, dinpOff), f32(inp, inpOff),
            f32(dout, doutOff), i64(n));
    }

    /**
     * losses (N) = -log softmax(logits row)[target]; when {@code dlogits} is not null, dlogits (N, ld) bf16 =
     * (softmax - onehot(target)) · gradScale, columns [V, ld) zero.
     *
     * @param logits  (N, ld) fp32, V columns used
     * @param targets (N) ids already checked to be in [0, V)
     */
    public void crossEntropy(final CudaStream stream, final DeviceBuffer losses, final long lossesOff,
                             final DeviceBuffer dlogits, final long dlogitsOff, final DeviceBuffer logits,
                             final long logitsOff, final DeviceBuffer targets, final long targetsOff, final int N,
                             final int V, final int ld, final float gradScale) {
        if (ld < V) {
            throw new IllegalArgumentException("logits row stride " + ld + " < V=" + V);
        }
        losses.checkRange("crossEntropy losses", lossesOff, N, 4);
        logits.checkRange("crossEntropy logits", logitsOff, (long)N * ld, 4);
        targets.checkRange("crossEntropy targets", targetsOff, N, 4);
        if (dlogits != null) {
            dlogits.checkRange("crossEntropy dlogits", dlogitsOff, (long)N * ld, 2);
        }
        launch(stream, crossEntropy, N, 1, 1024, 0, f32(losses, lossesOff), bf16(dlogits, dlogitsOff),
            f32(logits, logitsOff), i32p(targets, targetsOff), i32(N), i32(V), i32(ld), f32v(gradScale));
    }

    /** Floats of scratch {@link #biasBackward} needs for N rows of width OC. */
    public static long biasScratchFloats(final int N, final int OC) {
        return (long)ceilDiv(N, BIAS_ROWS_PER_CHUNK) * OC;
    }

    /** dbias (OC) += Σ_n dout[n, :], fp32, in a fixed order (chunks of rows, then the chunks in order). */
    public void biasBackward(final CudaStream stream, final DeviceBuffer grads, final long dbiasOff,
                             final DeviceBuffer dout, final long doutOff, final int N, final int OC,
                             final DeviceBuffer scratch) {
        dout.checkRange("bias dout", doutOff, (long)N * OC, 4);
        grads.checkRange("bias dbias", dbiasOff, OC, 4);
        scratch.checkRange("bias scratch", 0, biasScratchFloats(N, OC), 4);
        final int chunks = ceilDiv(N, BIAS_ROWS_PER_CHUNK);
        launch(stream, biasPartial, ceilDiv(OC, THREADS), chunks, THREADS, 0, f32(scratch, 0), f32(dout, doutOff),
            i32(N), i32(OC), i32(BIAS_ROWS_PER_CHUNK));
        launch(stream, biasReduce, ceilDiv(OC, THREADS), 1, THREADS, 0, f32(grads, dbiasOff), f32(scratch, 0),
            i32(chunks), i32(OC));
    }

    /**
     * One Adam/AdamW step over {@code n} elements, bit for bit {@code optim.AdamW.step}: param (fp32 master),
     * grad, m and v at their offsets; paramBits (bf16 compute copy) written when not null.
     *
     * @param t the step number, from 1
     */
    public void adamw(final CudaStream stream, final DeviceBuffer param, final long paramOff,
                      final DeviceBuffer paramBits, final long paramBitsOff, final DeviceBuffer grad,
                      final long gradOff, final DeviceBuffer m, final DeviceBuffer v, final long stateOff,
                      final long n, final double lr, final double beta1, final double beta2, final double eps,
                      final double weightDecay, final boolean l2, final long t) {
        if (t < 1) {
            throw new IllegalArgumentException("Adam step t=" + t + " < 1");
        }
        param.checkRange("adamw param", paramOff, n, 4);
        grad.checkRange("adamw grad", gradOff, n, 4);
        m.checkRange("adamw m", stateOff, n, 4);
        v.checkRange("adamw v", stateOff, n, 4);
        if (paramBits != null) {
            paramBits.checkRange("adamw paramBits", paramBitsOff, n, 2);
        }
        // the scalars of AdamW.step, computed the same way
        final float biasCorrection2Sqrt = (float)Math.sqrt(1.0 - Math.pow(beta2, t));
        final float stepSize = (float)(lr / (1.0 - Math.pow(beta1, t)));
        final float decay = (float)(l2 ? 1.0 : 1.0 - lr * weightDecay);
        final float l2Decay = (float)(l2 ? weightDecay : 0.0);
        launch(stream, adamw, gridStride(n), 1, THREADS, 0, f32(param, paramOff), bf16(paramBits, paramBitsOff),
            f32(grad, gradOff), f32(m, stateOff), f32(v, stateOff), i64(n), f32v(stepSize),
            f32v(biasCorrection2Sqrt), f32v(decay), f32v(l2Decay), f32v((float)beta1), f32v((float)beta2),
            f32v((float)(1.0 - beta1)), f32v((float)(1.0 - beta2)), f32v((float)eps));
    }

    /**
     * Σ x² over x (n) fp32, in double: per-block partials on the device (a fixed grid), added here in order.
     * Synchronises {@code stream}.
     *
     * @param scratch at least {@link #SUM_OF_SQUARES_BLOCKS} doubles
     */
    public double sumOfSquares(final CudaStream stream, final DeviceBuffer x, final long off, final long n,
                               final DeviceBuffer scratch) {
        x.checkRange("sumOfSquares x", off, n, 4);
        scratch.checkRange("sumOfSquares scratch", 0, SUM_OF_SQUARES_BLOCKS, 8);
        launch(stream, sumSquares, SUM_OF_SQUARES_BLOCKS, 1, THREADS, 0, Pointer.to(scratch.pointer()),
            f32(x, off), i64(n));
        final double[] partials = new double[SUM_OF_SQUARES_BLOCKS];
        stream.synchronize();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(partials), scratch.pointer(), 8L * SUM_OF_SQUARES_BLOCKS);
        double total = 0;
        for (final double p : partials) {
            total += p;
        }
        return total;
    }

    // ---------------------------------------------------------------- matrix products

    /**
     * C (M,N) = alpha · op(A) (M,K) · op(B) (K,N) + beta · C + bias (N) on tensor cores: A and B bf16, products
     * accumulated in fp32. Row-major: A is stored (M,K) with leading dimension lda, or (K,M) when transA; B is (K,N),
     * or (N,K) when transB. The result goes to {@code c} (fp32, ldc) and/or {@code cBits} (bf16, ldcBits); either
     * may be null, and without {@code c} beta must be 0. {@code bias} (fp32, N) may be null.
     */
    public void gemm(final CudaStream stream, final boolean transA, final boolean transB, final int M, final int N,
                     final int K, final float alpha, final DeviceBuffer a, final long aOff, final int lda,
                     final DeviceBuffer b, final long bOff, final int ldb, final float beta, final DeviceBuffer c,
                     final long cOff, final int ldc, final DeviceBuffer bias, final long biasOff,
                     final DeviceBuffer cBits, final long cBitsOff, final int ldcBits) {
        if (M < 1 || N < 1 || K < 1) {
            throw new IllegalArgumentException("gemm M=" + M + " N=" + N + " K=" + K + ": every size must be >= 1");
        }
        if (lda < (transA ? M : K) || ldb < (transB ? K : N)) {
            throw new IllegalArgumentException("gemm lda=" + lda + " ldb=" + ldb + " too small for M=" + M + " N=" + N
                + " K=" + K + " transA=" + transA + " transB=" + transB);
        }
        if (c == null && cBits == null) {
            throw new IllegalArgumentException("gemm needs an output: c (fp32) or cBits (bf16)");
        }
        if (c == null && beta != 0f) {
            throw new IllegalArgumentException("gemm beta=" + beta + " needs c to read");
        }
        a.checkRange("gemm A", aOff, (long)((transA ? K : M) - 1) * lda + (transA ? M : K), 2);
        b.checkRange("gemm B", bOff, (long)((transB ? N : K) - 1) * ldb + (transB ? K : N), 2);
        if (c != null) {
            if (ldc < N) {
                throw new IllegalArgumentException("gemm ldc=" + ldc + " < N=" + N);
            }
            c.checkRange("gemm C", cOff, (long)(M - 1) * ldc + N, 4);
        }
        if (cBits != null) {
            if (ldcBits < N) {
                throw new IllegalArgumentException("gemm ldcBits=" + ldcBits + " < N=" + N);
            }
            cBits.checkRange("gemm C bits", cBitsOff, (long)(M - 1) * ldcBits + N, 2);
        }
        if (bias != null) {
            bias.checkRange("gemm bias", biasOff, N, 4);
        }
        final boolean async = lda % 8 == 0 && ldb % 8 == 0 && aOff % 8 == 0 && bOff % 8 == 0;
        final int layout = (transA ? 2 : 0) + (transB ? 1 : 0);
        launch(stream, async ? gemmAsync[layout] : gemmSync[layout], ceilDiv(N, GEMM_TILE), ceilDiv(M, GEMM_TILE),
            GEMM_THREADS, 0, i32(M), i32(N), i32(K), f32v(alpha), bf16(a, aOff), i32(lda), bf16(b, bOff), i32(ldb),
            f32v(beta), f32(c, cOff), i32(ldc), f32(bias, biasOff), bf16(cBits, cBitsOff), i32(ldcBits));
    }

    // ---------------------------------------------------------------- attention

    /**
     * Causal flash attention forward: out (B,T,C) bf16 and lse (B,NH,T) fp32 (natural log-sum-exp of each query
     * row's scaled scores) from qkv (B,T,3C) bf16 (q, k, v in channel thirds, heads of C/NH contiguous channels).
     */
    public void attentionForward(final CudaStream stream, final DeviceBuffer out, final long outOff,
                                 final DeviceBuffer lse, final long lseOff, final DeviceBuffer qkv, final long qkvOff,
                                 final int B, final int T, final int C, final int NH) {
        final int hs = headSize(C, NH);
        out.checkRange("attention out", outOff, (long)B * T * C, 2);
        lse.checkRange("attention lse", lseOff, (long)B * NH * T, 4);
        qkv.checkRange("attention qkv", qkvOff, (long)B * T * 3 * C, 2);
        checkAligned("attention qkv", qkvOff);
        launch(stream, hs == 64 ? attentionForward64 : attentionForward128, ceilDiv(T, ATTENTION_TILE), B * NH,
            ATTENTION_THREADS, attentionForwardSmemBytes(hs), bf16(out, outOff), f32(lse, lseOff), bf16(qkv, qkvOff),
            i32(T), i32(NH), f32v(scale(hs)));
    }

    /**
     * Causal flash attention backward: adds the gradients of q, k and v into dqkv (B,T,3C) fp32 (dq by atomic
     * adds, whose order varies) from dout (B,T,C) fp32 and the forward's out, lse and qkv.
     *
     * @param dScratch        at least B·NH·T floats (D = rowsum(dout ∘ out))
     * @param doutBitsScratch at least B·T·C bf16 values (dout rounded for the tensor cores)
     */
    public void attentionBackward(final CudaStream stream, final DeviceBuffer dqkv, final long dqkvOff,
                                  final DeviceBuffer dout, final long doutOff, final DeviceBuffer out,
                                  final long outOff, final DeviceBuffer lse, final long lseOff,
                                  final DeviceBuffer qkv, final long qkvOff, final int B, final int T, final int C,
                                  final int NH, final DeviceBuffer dScratch, final DeviceBuffer doutBitsScratch) {
        final int hs = headSize(C, NH);
        dqkv.checkRange("attention dqkv", dqkvOff, (long)B * T * 3 * C, 4);
        dout.checkRange("attention dout", doutOff, (long)B * T * C, 4);
        out.checkRange("attention out", outOff, (long)B * T * C, 2);
        lse.checkRange("attention lse", lseOff, (long)B * NH * T, 4);
        qkv.checkRange("attention qkv", qkvOff, (long)B * T * 3 * C, 2);
        dScratch.checkRange("attention D scratch", 0, (long)B * NH * T, 4);
        doutBitsScratch.checkRange("attention dout scratch", 0, (long)B * T * C, 2);
        checkAligned("attention qkv", qkvOff);
        final long rows = (long)B * T * NH;
        launch(stream, attentionPrep, Math.toIntExact(ceilDiv(rows * 32, THREADS)), 1, THREADS, 0,
            f32(dScratch, 0), bf16(doutBitsScratch, 0), f32(dout, doutOff), bf16(out, outOff), i32(B), i32(T),
            i32(NH), i32(hs));
        launch(stream, hs == 64 ? attentionBackward64 : attentionBackward128, ceilDiv(T, ATTENTION_TILE), B * NH,
            ATTENTION_THREADS, attentionBackwardSmemBytes(hs), f32(dqkv, dqkvOff), bf16(doutBitsScratch, 0),
            bf16(qkv, qkvOff), f32(lse, lseOff), f32(dScratch, 0), i32(T), i32(NH), f32v(scale(hs)));
    }

    private int headSize(final int C, final int NH) {
        if (NH < 1 || C % NH != 0) {
            throw new IllegalArgumentException("C=" + C + " is not divisible by NH=" + NH);
        }
        final int hs = C / NH;
        final String unsupported = attentionUnsupported(hs);
        if (unsupported != null) {
            throw new IllegalArgumentException(unsupported);
        }
        return hs;
    }

    /** 1/sqrt(head size), as the CPU's flash attention computes it. */
    static float scale(final int headSize) {
        return (float)(1.0 / Math.sqrt(headSize));
    }

    private static void checkAligned(final String what, final long bf16Offset) {
        if (bf16Offset % 8 != 0) {
            throw new IllegalArgumentException(what + " offset " + bf16Offset + " is not a multiple of 8 elements "
                + "(16-byte loads)");
        }
    }

    // ---------------------------------------------------------------- launching

    private int gridStride(final long n) {
        return (int)Math.max(1, Math.min(ceilDiv(n, THREADS), gridStrideBlocks));
    }

    private static int ceilDiv(final int a, final int b) {
        return (a + b - 1) / b;
    }

    private static long ceilDiv(final long a, final long b) {
        return (a + b - 1) / b;
    }

    private static void launch(final CudaStream stream, final CUfunction function, final int gridX, final int gridY,
                               final int threads, final int sharedBytes, final Pointer... args) {
        if (gridX < 1 || gridY < 1 || gridY > 65535) {
            throw new IllegalArgumentException("grid " + gridX + " x " + gridY + " out of range");
        }
        JCudaDriver.cuLaunchKernel(function, gridX, gridY, 1, threads, 1, 1, sharedBytes, stream.handle(),
            Pointer.to(args), null);
    }

    private static Pointer f32(final DeviceBuffer buffer, final long offset) {
        return Pointer.to(buffer == null ? NULL : buffer.at(4 * offset));
    }

    private static Pointer bf16(final DeviceBuffer buffer, final long offset) {
        return Pointer.to(buffer == null ? NULL : buffer.at(2 * offset));
    }

    private static Pointer i32p(final DeviceBuffer buffer, final long offset) {
        return Pointer.to(buffer.at(4 * offset));
    }

    private static Pointer i32(final int value) {
        return Pointer.to(new int[] {value});
    }

    private static Pointer i64(final long value) {
        return Pointer.to(new long[] {value});
    }

    private static Pointer f32v(final float value) {
        return Pointer.to(new float[] {value});
    }
}
