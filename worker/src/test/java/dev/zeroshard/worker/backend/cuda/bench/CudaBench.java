package dev.zeroshard.worker.backend.cuda.bench;

import dev.zeroshard.protocol.config.DeepSpeedConfig;
import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.sharding.numeric.Bf16;
import dev.zeroshard.worker.backend.cuda.CudaContext;
import dev.zeroshard.worker.backend.cuda.CudaDevice;
import dev.zeroshard.worker.backend.cuda.CudaGpt;
import dev.zeroshard.worker.backend.cuda.CudaKernels;
import dev.zeroshard.worker.backend.cuda.CudaStream;
import dev.zeroshard.worker.backend.cuda.DeviceBuffer;
import dev.zeroshard.worker.backend.cuda.PinnedBuffer;
import dev.zeroshard.worker.model.GptConfig;
import dev.zeroshard.worker.model.GptInitializer;
import dev.zeroshard.worker.model.GptLayout;
import dev.zeroshard.worker.model.ModelFlops;
import dev.zeroshard.worker.model.Precision;
import dev.zeroshard.worker.ops.Parallel;
import dev.zeroshard.worker.optim.AdamW;
import dev.zeroshard.worker.train.Trainer;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Speed of the CUDA backend on the GPU it finds: causal flash attention forward and backward (bf16, head sizes 64
 * and 128, T = 1k, 4k, 16k, B·T = 16k tokens, 2048 channels as FlashAttention-2's benchmarks), the tensor-core
 * GEMM (4096³ and every product of a gpt2s step at B·T = 16×1024), gpt2s training tokens/s at B×T = 16×1024 in
 * bf16, and where AdamW over gpt2s's Ψ parameters is faster: on the host (what every rank runs today) or on the
 * device, counting the transfers a device step needs while the ring reduces gradients on the host (gradients up,
 * fp32 weights down, through pinned memory). Each measurement prints one line {@code RESULT <name> <value> <unit>} (bench/gpu-check.sh collects them);
 * times come from CUDA events around {@code iters} launches after warm-up.
 *
 * <pre>
 * java ... dev.zeroshard.worker.backend.cuda.bench.CudaBench [attention] [gemm] [train] [optimizer] [--quick]
 * </pre>
 * FLOPs: attention forward 4·B·NH·T²·HD / 2 (the causal half), backward 2.5× that (FlashAttention-2's convention);
 * GEMM 2·M·N·K; training ModelFlops.perStep (6Ψ + 12·L·T·C per token).
 */
public final class CudaBench {
    private final CudaContext cuda;
    private final CudaKernels k;
    private final CudaStream stream;
    private final boolean quick;

    private CudaBench(final boolean quick) {
        this.cuda = CudaDevice.context();
        this.k = cuda.kernels();
        this.stream = new CudaStream();
        this.quick = quick;
    }

    public static void main(final String[] args) {
        if (!CudaDevice.available()) {
            System.out.println("CudaBench: no GPU to measure: " + CudaDevice.reason());
            System.exit(2);
        }
        final List<String> what = new ArrayList<>(Arrays.asList(args));
        final boolean quick = what.remove("--quick");
        if (what.isEmpty()) {
            what.addAll(List.of("attention", "gemm", "train", "optimizer"));
        }
        System.out.println("CudaBench on " + CudaDevice.describe());
        final CudaBench bench = new CudaBench(quick);
        for (final String part : what) {
            switch (part) {
                case "attention" -> bench.attention();
                case "gemm" -> bench.gemm();
                case "train" -> bench.train();
                case "optimizer" -> bench.optimizer();
                default -> throw new IllegalArgumentException("unknown part " + part
                    + ": attention, gemm, train or optimizer");
            }
        }
    }

    private void attention() {
        final int channels = 2048;
        for (final int headSize : new int[] {64, 128}) {
            for (final int seq : new int[] {1024, 4096, 16384}) {
                final int batch = Math.max(1, 16384 / seq);
                final int heads = channels / headSize;
                final long btc = (long)batch * seq * channels;
                final DeviceBuffer qkv = randomBf16(3 * btc, 1);
                final DeviceBuffer out = cuda.allocator().bf16s(btc);
                final DeviceBuffer lse = cuda.allocator().floats((long)batch * heads * seq);
                final DeviceBuffer dqkv = cuda.allocator().floats(3 * btc);
                final DeviceBuffer dout = randomF32(btc, 2);
                final DeviceBuffer d = cuda.allocator().floats((long)batch * heads * seq);
                final DeviceBuffer doutBits = cuda.allocator().bf16s(btc);
                final double forwardFlops = 4.0 * batch * heads * (double)seq * seq * headSize / 2;
                final String name = String.format(Locale.ROOT, "attention_hd%d_T%d", headSize, seq);
                final double fwdMs = time(() -> k.attentionForward(stream, out, 0, lse, 0, qkv, 0, batch, seq,
                    channels, heads));
                report(name + "_fwd", forwardFlops / fwdMs / 1e9, "TFLOP/s", String.format(Locale.ROOT,
                    "B=%d NH=%d %.3f ms", batch, heads, fwdMs));
                final double bwdMs = time(() -> k.attentionBackward(stream, dqkv, 0, dout, 0, out, 0, lse, 0, qkv, 0,
                    batch, seq, channels, heads, d, doutBits));
                report(name + "_bwd", 2.5 * forwardFlops / bwdMs / 1e9, "TFLOP/s", String.format(Locale.ROOT,
                    "B=%d NH=%d %.3f ms", batch, heads, bwdMs));
                for (final DeviceBuffer buffer : List.of(qkv, out, lse, dqkv, dout, d, doutBits)) {
                    cuda.allocator().release(buffer);
                }
            }
        }
    }

    private void gemm() {
        // name, transA, transB, M, N, K: the products of one gpt2s step (B·T = 16384, C = 768, V = 50257)
        final Object[][] shapes = {
            {"gemm_4096", false, false, 4096, 4096, 4096},
            {"gemm_gpt2s_qkv_fwd", false, false, 16384, 2304, 768},
            {"gemm_gpt2s_qkv_dinp", false, true, 16384, 768, 2304},
            {"gemm_gpt2s_qkv_dw", true, false, 768, 2304, 16384},
            {"gemm_gpt2s_proj_fwd", false, false, 16384, 768, 768},
            {"gemm_gpt2s_fc_fwd", false, false, 16384, 3072, 768},
            {"gemm_gpt2s_fc_dinp", false, true, 16384, 768, 3072},
            {"gemm_gpt2s_fc_dw", true, false, 768, 3072, 16384},
            {"gemm_gpt2s_mlpproj_fwd", false, false, 16384, 768, 3072},
            {"gemm_gpt2s_head_fwd", false, true, 16384, 50257, 768},
            {"gemm_gpt2s_head_dinp", false, false, 16384, 768, 50257},
            {"gemm_gpt2s_head_dwte", true, false, 50257, 768, 16384},
        };
        for (final Object[] shape : shapes) {
            final boolean transA = (Boolean)shape[1];
            final boolean transB = (Boolean)shape[2];
            final int m = (Integer)shape[3];
            final int n = (Integer)shape[4];
            final int kk = (Integer)shape[5];
            // leading dimensions padded to multiples of 8, as the model pads the logits (V = 50257 -> 50264)
            final int lda = pad8(transA ? m : kk);
            final int ldb = pad8(transB ? kk : n);
            final int ldc = pad8(n);
            final DeviceBuffer a = randomBf16((long)(transA ? kk : m) * lda, 3);
            final DeviceBuffer b = randomBf16((long)(transB ? n : kk) * ldb, 4);
            final DeviceBuffer c = cuda.allocator().floats((long)m * ldc);
            final double ms = time(() -> k.gemm(stream, transA, transB, m, n, kk, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0,
                ldc, null, 0, null, 0, 0));
            report((String)shape[0], 2.0 * m * n * kk / ms / 1e9, "TFLOP/s", String.format(Locale.ROOT,
                "M=%d N=%d K=%d %s%s %.3f ms", m, n, kk, transA ? "T" : "N", transB ? "T" : "N", ms));
            cuda.allocator().release(a);
            cuda.allocator().release(b);
            cuda.allocator().release(c);
        }
    }

    private void train() {
        final GptConfig config = GptConfig.gpt2(50257, 1024, 768, 12, 12);
        final int batch = 16;
        final int seq = 1024;
        try (CudaGpt model = new CudaGpt(config, batch, seq, Precision.BF16)) {
            GptInitializer.initialize(model.layout(), 1, model.parameters());
            model.parametersChanged();
            final SplittableRandom random = new SplittableRandom(5);
            final int[] inputs = new int[batch * seq];
            final int[] targets = new int[batch * seq];
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = random.nextInt(config.vocabSize());
                targets[i] = random.nextInt(config.vocabSize());
            }
            final double flops = ModelFlops.perStep(model.layout(), batch, seq);
            report("gpt2s_device_bytes", model.deviceBytes() / (double)(1L << 30), "GiB", "parameters, gradients, "
                + "activations and scratch at B=16 T=1024");
            // forward + backward on the GPU (gradients copied to pinned memory as they complete)
            final int warm = 2;
            final int iters = quick ? 3 : 10;
            for (int i = 0; i < warm; i++) {
                model.forwardBackward(inputs, targets, 1f / inputs.length);
            }
            model.synchronize();
            long start = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                model.forwardBackward(inputs, targets, 1f / inputs.length);
            }
            model.synchronize();
            double seconds = (System.nanoTime() - start) / 1e9 / iters;
            report("gpt2s_fwdbwd_tokens_per_s", inputs.length / seconds, "tokens/s", String.format(Locale.ROOT,
                "%.1f ms per micro-batch; %.1f model TFLOP/s", seconds * 1e3, flops / seconds / 1e12));
            report("gpt2s_fwdbwd_model_tflops", flops / seconds / 1e12, "TFLOP/s", "6N + attention FLOPs per token");
            // whole optimizer steps: the Trainer's host AdamW (offload_optimizer: cpu) and the parameter upload
            final DeepSpeedConfig ds = DeepSpeedConfigReader.resolve(String.format(Locale.ROOT,
                "{\"train_micro_batch_size_per_gpu\": %d, \"bf16\": {\"enabled\": true}, \"gradient_clipping\": 1.0,"
                    + " \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 6e-4, \"weight_decay\": 0.1}}}",
                batch), ResolveContext.ofWorldSize(1)).config();
            final Trainer trainer = new Trainer(model, ds, (in, out) -> {
                System.arraycopy(inputs, 0, in, 0, in.length);
                System.arraycopy(targets, 0, out, 0, out.length);
            }, System::nanoTime);
            trainer.trainStep();
            final int steps = quick ? 2 : 5;
            start = System.nanoTime();
            double loss = 0;
            for (int i = 0; i < steps; i++) {
                loss = trainer.trainStep().loss();
            }
            seconds = (System.nanoTime() - start) / 1e9 / steps;
            report("gpt2s_train_tokens_per_s", inputs.length / seconds, "tokens/s", String.format(Locale.ROOT,
                "%.1f ms per step incl. host AdamW over %d parameters; loss %.3f", seconds * 1e3,
                model.layout().totalElements(), loss));
            report("gpt2s_train_model_tflops", flops / seconds / 1e12, "TFLOP/s", "6N + attention FLOPs per token");
        }
    }

    /**
     * AdamW over gpt2s's parameters (a stage 0 rank's range; a ZeRO rank's shard is 1/N of it): the host step the
     * engine runs, the device kernel alone, and the pinned transfers a device step would add while gradients are
     * reduced on the host (4 bytes a parameter up, 4 down).
     */
    private void optimizer() {
        final int psi = new GptLayout(GptConfig.gpt2(50257, 1024, 768, 12, 12))
            .totalElements();
        final float[] param = new float[psi];
        final float[] grad = new float[psi];
        final float[] m = new float[psi];
        final float[] v = new float[psi];
        final SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < psi; i++) {
            param[i] = (float)(random.nextDouble() * 0.04 - 0.02);
            grad[i] = (float)(random.nextDouble() * 2e-3 - 1e-3);
        }
        final int steps = quick ? 3 : 5;
        AdamW.step(param, 0, grad, 0, m, v, 0, psi, 6e-4, 0.9, 0.95, 1e-8, 0.1, false, 1);
        final long start = System.nanoTime();
        for (int t = 2; t < 2 + steps; t++) {
            AdamW.step(param, 0, grad, 0, m, v, 0, psi, 6e-4, 0.9, 0.95, 1e-8, 0.1, false, t);
        }
        final double hostMs = (System.nanoTime() - start) / 1e6 / steps;
        report("adamw_host_ms", hostMs, "ms", String.format(Locale.ROOT, "%,d parameters, %d threads", psi,
            Parallel.shared().threads()));

        final DeviceBuffer dParam = randomF32(psi, 8);
        final DeviceBuffer dGrad = randomF32(psi, 9);
        final DeviceBuffer dM = cuda.allocator().floats(psi);
        final DeviceBuffer dV = cuda.allocator().floats(psi);
        JCudaDriver.cuMemsetD32(dM.pointer(), 0, psi);
        JCudaDriver.cuMemsetD32(dV.pointer(), 0, psi);
        final long[] t = {1};
        final double kernelMs = time(() -> k.adamw(stream, dParam, 0, null, 0, dGrad, 0, dM, dV, 0, psi, 6e-4, 0.9,
            0.95, 1e-8, 0.1, false, t[0]++));
        report("adamw_device_kernel_ms", kernelMs, "ms", "zs_adamw alone");
        try (PinnedBuffer grads = new PinnedBuffer(4L * psi); PinnedBuffer weights = new PinnedBuffer(4L * psi)) {
            final double transferMs = time(() -> {
                JCudaDriver.cuMemcpyHtoDAsync(dGrad.pointer(), grads.pointer(), 4L * psi, stream.handle());
                JCudaDriver.cuMemcpyDtoHAsync(weights.pointer(), dParam.pointer(), 4L * psi, stream.handle());
            });
            report("adamw_device_transfers_ms", transferMs, "ms", "gradients up and fp32 weights down, pinned");
            report("adamw_device_over_host", (kernelMs + transferMs) / hostMs, "x", "device step with its transfers"
                + " / host step: above 1, the host step is the faster");
        }
        for (final DeviceBuffer buffer : List.of(dParam, dGrad, dM, dV)) {
            cuda.allocator().release(buffer);
        }
    }

    /** Milliseconds per call of {@code op}: warm-up, then CUDA events around the timed calls. */
    private double time(final Runnable op) {
        final int warm = quick ? 1 : 3;
        final int iters = quick ? 3 : 10;
        for (int i = 0; i < warm; i++) {
            op.run();
        }
        try (CudaStream.Event start = new CudaStream.Event(true); CudaStream.Event stop = new CudaStream.Event(true)) {
            stream.record(start);
            for (int i = 0; i < iters; i++) {
                op.run();
            }
            stream.record(stop);
            stop.synchronize();
            return stop.millisSince(start) / iters;
        }
    }

    private DeviceBuffer randomBf16(final long count, final long seed) {
        final DeviceBuffer buffer = cuda.allocator().bf16s(count);
        final short[] tile = new short[1 << 20];
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < tile.length; i++) {
            tile[i] = Bf16.fromFloat((float)(random.nextDouble() * 2 - 1));
        }
        for (long at = 0; at < count; at += tile.length) {
            final long n = Math.min(tile.length, count - at);
            JCudaDriver.cuMemcpyHtoD(buffer.at(2 * at), Pointer.to(tile), 2 * n);
        }
        JCudaDriver.cuCtxSynchronize();
        return buffer;
    }

    private DeviceBuffer randomF32(final long count, final long seed) {
        final DeviceBuffer buffer = cuda.allocator().floats(count);
        final float[] tile = new float[1 << 20];
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < tile.length; i++) {
            tile[i] = (float)(random.nextDouble() * 2 - 1);
        }
        for (long at = 0; at < count; at += tile.length) {
            final long n = Math.min(tile.length, count - at);
            JCudaDriver.cuMemcpyHtoD(buffer.at(4 * at), Pointer.to(tile), 4 * n);
        }
        JCudaDriver.cuCtxSynchronize();
        return buffer;
    }

    private static int pad8(final int n) {
        return (n + 7) / 8 * 8;
    }

    private static void report(final String name, final double value, final String unit, final String detail) {
        System.out.printf(Locale.ROOT, "RESULT %s %.2f %s  # %s%n", name, value, unit, detail);
        System.out.flush();
    }
}
