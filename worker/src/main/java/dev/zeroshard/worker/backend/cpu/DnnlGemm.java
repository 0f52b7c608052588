package dev.zeroshard.worker.backend.cpu;

import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;

/**
 * {@link Gemm} on oneDNN's matmul primitive (bytedeco's build), on {@link StagedGemm}'s off-heap
 * operands: fp32 × fp32 → fp32, and bf16 × bf16 → fp32 on the CPU's bf16 instructions
 * (avx512_bf16 / AMX where present, an emulation elsewhere).
 *
 * <p>Transposes are strides in the memory descriptors (no copy); alpha is an {@code eltwise_linear}
 * post-op and beta a {@code sum} post-op. A primitive is created once per shape and kept (training
 * repeats a handful of shapes); the cache is cleared past {@link #MAX_CACHED} shapes.
 *
 * <p>Threads: this build of oneDNN runs on OpenMP, which takes its thread count from
 * {@code OMP_NUM_THREADS} when the library loads (all cores when unset); the launcher sets it.
 *
 * <p>With {@code fp32AsBf16}, {@link #sgemm} rounds A and B to bf16 (nearest even) while staging them
 * and runs the bf16 primitive: exact for inputs that already hold bf16 values, PyTorch's CPU autocast
 * otherwise. (oneDNN's own {@code fpmath_mode=bf16} is not used: it leaves the choice to each
 * kernel, and on this CPU most fp32 kernels ignore it, so results would depend on the shape.)
 */
public final class DnnlGemm extends StagedGemm {
    /** Shapes kept before the primitive cache is cleared. */
    static final int MAX_CACHED = 256;

    private record Shape(boolean bf16, boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, float alpha,
        float beta) {
    }

    /** One ready primitive with its memory objects; the data handles are set per call. */
    private static final class Prepared {
        final matmul primitive;
        final memory src;
        final memory weights;
        final memory dst;
        final IntMemoryMap args = new IntMemoryMap();

        Prepared(final matmul primitive, final memory src, final memory weights, final memory dst) {
            this.primitive = primitive;
            this.src = src;
            this.weights = weights;
            this.dst = dst;
            args.put(dnnl.DNNL_ARG_SRC, src);
            args.put(dnnl.DNNL_ARG_WEIGHTS, weights);
            args.put(dnnl.DNNL_ARG_DST, dst);
        }
    }

    private final boolean fp32AsBf16;
    private final engine cpu;
    private final stream cpuStream;
    private final Map<Shape, Prepared> cache = new HashMap<>();

    /** Exact fp32 products (and bf16 ones through {@link #bf16gemm}). */
    public DnnlGemm() {
        this(false);
    }

    /**
     * Loads the native library (throws {@link UnsatisfiedLinkError} or a {@link RuntimeException}
     * where it cannot) and opens the CPU engine.
     */
    public DnnlGemm(final boolean fp32AsBf16) {
        this.fp32AsBf16 = fp32AsBf16;
        this.cpu = new engine(engine.kind.cpu, 0);
        this.cpuStream = new stream(cpu);
    }

    @Override
    public String name() {
        return fp32AsBf16 ? "onednn-bf16-compute" : "onednn";
    }

    @Override
    protected boolean stagesBf16() {
        return true;
    }

    @Override
    protected boolean roundsFp32ToBf16() {
        return fp32AsBf16;
    }

    @Override
    protected void multiply(final boolean bf16, final boolean transA, final boolean transB, final int m, final int n,
        final int k, final float alpha, final Pointer a, final int lda, final Pointer b, final int ldb,
        final float beta, final FloatPointer c) {
        final Shape shape = new Shape(bf16, transA, transB, m, n, k, lda, ldb, alpha, beta);
        Prepared prepared = cache.get(shape);
        if (prepared == null) {
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            prepared = prepare(shape);
            cache.put(shape, prepared);
        }
        prepared.src.set_data_handle(a);
        prepared.weights.set_data_handle(b);
        prepared.dst.set_data_handle(c);
        prepared.primitive.execute(cpuStream, prepared.args);
        cpuStream._wait();
    }

    /**
     * oneDNN's name for the kernel it picks for an (m,n,k) product without transposes, e.g.
     * {@code brg_matmul:avx512_core_bf16}; a name starting with {@code ref} means no optimised kernel
     * exists for this CPU and data type.
     */
    public synchronized String kernelName(final boolean bf16, final int m, final int n, final int k) {
        return primitiveDesc(new Shape(bf16, false, false, m, n, k, k, n, 1f, 0f)).impl_info_str().getString();
    }

    private Prepared prepare(final Shape s) {
        final matmul.primitive_desc pd = primitiveDesc(s);
        return new Prepared(new matmul(pd), new memory(pd.src_desc(), cpu, null),
            new memory(pd.weights_desc(), cpu, null), new memory(pd.dst_desc(), cpu, null));
    }

    private matmul.primitive_desc primitiveDesc(final Shape s) {
        final memory.data_type in = s.bf16() ? memory.data_type.bf16 : memory.data_type.f32;
        // row-major strides; a transposed operand is the stored matrix read with swapped strides
        final memory.desc srcDesc = new memory.desc(new long[] {s.m(), s.k()}, in,
            s.transA() ? new long[] {1, s.lda()} : new long[] {s.lda(), 1});
        final memory.desc weightsDesc = new memory.desc(new long[] {s.k(), s.n()}, in,
            s.transB() ? new long[] {1, s.ldb()} : new long[] {s.ldb(), 1});
        final memory.desc dstDesc = new memory.desc(new long[] {s.m(), s.n()}, memory.data_type.f32,
            new long[] {s.n(), 1});
        final primitive_attr attr = new primitive_attr();
        attr.set_deterministic(true);
        final post_ops ops = new post_ops();
        if (s.alpha() != 1f) {
            ops.append_eltwise(dnnl.algorithm.eltwise_linear, s.alpha(), 0f);
        }
        if (s.beta() != 0f) {
            ops.append_sum(s.beta(), 0, memory.data_type.undef);
        }
        attr.set_post_ops(ops);
        return new matmul.primitive_desc(cpu, srcDesc, weightsDesc, dstDesc, attr, false);
    }
}
