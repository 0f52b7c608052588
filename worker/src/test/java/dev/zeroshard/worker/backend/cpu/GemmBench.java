package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.sharding.numeric.Bf16;

import dev.zeroshard.worker.ops.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.bytedeco.openblas.global.openblas_full;

/**
 * Measures every GEMM candidate at the GPT shapes (forward and both backward products of each
 * Matmul) and prints GFLOP/s as "median (best)" of the repetitions after warm-up (the best is the
 * better estimate on a machine shared with other work). Not a test: run it by
 * hand (see the worker README, "Matrix products") with OMP_NUM_THREADS equal to {@code --threads}.
 *
 * <pre>
 *   GemmBench [--threads 2] [--only substring] [--candidates a,b,...] [--min-seconds 1.0]
 * </pre>
 */
public final class GemmBench {
    /** One product: C (m,n) = op(A) (m,k) · op(B) (k,n). */
    private record Shape(String label, boolean transA, boolean transB, int m, int n, int k) {
        double gflop() {
            return 2.0 * m * n * k / 1e9;
        }
    }

    /** One way of computing the product on prepared inputs. */
    private interface Candidate {
        String name();

        void prepare(Shape s, float[] a, float[] b, short[] aBits, short[] bBits, float[] c);

        void run(Shape s);

        default void release() {
        }
    }

    private GemmBench() {
    }

    public static void main(final String[] args) {
        int threads = 2;
        String only = "";
        String candidates = "java,openblas-array,openblas-offheap,openblas,onednn-raw,onednn,onednn-bf16-raw,"
            + "onednn-bf16,onednn-bf16-compute";
        double minSeconds = 1.0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--only" -> only = args[++i];
                case "--candidates" -> candidates = args[++i];
                case "--min-seconds" -> minSeconds = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Parallel.configure(threads);
        System.out.printf(Locale.ROOT, "threads=%d OMP_NUM_THREADS=%s cpu bf16=%s%n", threads,
            System.getenv("OMP_NUM_THREADS"), Gemms.cpuHasAvx512Bf16());
        final List<Candidate> chosen = new ArrayList<>();
        for (final String name : candidates.split(",")) {
            chosen.add(candidate(name.trim(), threads));
        }
        final StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-26s %6s %6s %6s %3s", "shape",
            "M", "N", "K", "op"));
        for (final Candidate c : chosen) {
            header.append(String.format(Locale.ROOT, " %18s", c.name()));
        }
        System.out.println(header);
        for (final Shape s : shapes()) {
            if (!s.label().contains(only)) {
                continue;
            }
            final StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-26s %6d %6d %6d %3s",
                s.label(), s.m(), s.n(), s.k(), (s.transA() ? "T" : "N") + (s.transB() ? "T" : "N")));
            final SplittableRandom random = new SplittableRandom(42);
            final float[] a = randoms(random, (long)s.m() * s.k());
            final float[] b = randoms(random, (long)s.k() * s.n());
            final short[] aBits = new short[a.length];
            final short[] bBits = new short[b.length];
            Bf16.fromFloat(a, 0, aBits, 0, a.length);
            Bf16.fromFloat(b, 0, bBits, 0, b.length);
            final float[] c = new float[Math.toIntExact((long)s.m() * s.n())];
            for (final Candidate cand : chosen) {
                cand.prepare(s, a, b, aBits, bBits, c);
            }
            for (final double[] rates : gflops(chosen, s, minSeconds)) {
                line.append(String.format(Locale.ROOT, " %10.1f (%5.1f)", rates[0], rates[1]));
            }
            for (final Candidate cand : chosen) {
                cand.release();
            }
            System.out.println(line);
        }
    }

    /**
     * {median, best} GFLOP/s per candidate. The candidates take turns, one product each, so that
     * load from other processes on a shared machine falls on all of them alike.
     */
    private static double[][] gflops(final List<Candidate> candidates, final Shape s, final double minSeconds) {
        for (final Candidate cand : candidates) {
            // warm-up: JIT, primitive creation, staging growth
            cand.run(s);
            cand.run(s);
        }
        final List<List<Double>> rates = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            rates.add(new ArrayList<>());
        }
        final long end = System.nanoTime() + (long)(minSeconds * 1e9 * candidates.size());
        int reps = 0;
        while (reps < 5 || System.nanoTime() < end) {
            for (int i = 0; i < candidates.size(); i++) {
                final long t0 = System.nanoTime();
                candidates.get(i).run(s);
                rates.get(i).add(s.gflop() / ((System.nanoTime() - t0) / 1e9));
            }
            reps++;
        }
        final double[][] result = new double[candidates.size()][];
        for (int i = 0; i < candidates.size(); i++) {
            final double[] sorted = rates.get(i).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            result[i] = new double[] {sorted[sorted.length / 2], sorted[sorted.length - 1]};
        }
        return result;
    }

    private static float[] randoms(final SplittableRandom random, final long n) {
        final float[] x = new float[Math.toIntExact(n)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float)(random.nextDouble() * 2 - 1);
        }
        return x;
    }

    /** Forward and backward products of the GPT matmuls; N = B·T rows. */
    private static List<Shape> shapes() {
        final List<Shape> shapes = new ArrayList<>();
        addLinear(shapes, "d256 qkv", 2048, 256, 768);
        addLinear(shapes, "d256 fc", 2048, 256, 1024);
        addLinear(shapes, "d256 proj", 2048, 1024, 256);
        addHead(shapes, "d256 head", 2048, 256, 256);
        addLinear(shapes, "gpt2s qkv", 1024, 768, 2304);
        addLinear(shapes, "gpt2s fc", 1024, 768, 3072);
        addLinear(shapes, "gpt2s proj", 1024, 3072, 768);
        addHead(shapes, "gpt2s head", 1024, 768, 50257);
        return shapes;
    }

    /** out (N,OC) = inp (N,C) · W (C,OC); dinp = dout · Wᵀ; dW = inpᵀ · dout. */
    private static void addLinear(final List<Shape> shapes, final String label, final int n, final int c,
        final int oc) {
        shapes.add(new Shape(label + " fwd", false, false, n, oc, c));
        shapes.add(new Shape(label + " dinp", false, true, n, c, oc));
        shapes.add(new Shape(label + " dW", true, false, c, oc, n));
    }

    /** logits (N,V) = inp (N,C) · wteᵀ; dinp = dlogits · wte; dwte = dlogitsᵀ · inp. */
    private static void addHead(final List<Shape> shapes, final String label, final int n, final int c, final int v) {
        shapes.add(new Shape(label + " fwd", false, true, n, v, c));
        shapes.add(new Shape(label + " dinp", false, false, n, c, v));
        shapes.add(new Shape(label + " dwte", true, false, v, c, n));
    }

    private static Candidate candidate(final String name, final int threads) {
        switch (name) {
            case "java":
                return gemmCandidate(name, new JavaGemm(), false);
            case "openblas":
                OpenBlasGemm.setThreads(threads);
                return gemmCandidate(name, new OpenBlasGemm(), false);
            case "onednn":
                return gemmCandidate(name, new DnnlGemm(), false);
            case "onednn-bf16":
                return gemmCandidate(name, new DnnlGemm(), true);
            case "onednn-bf16-compute":
                return gemmCandidate(name, new DnnlGemm(true), false);
            case "onednn-raw":
                return rawCandidate(name, new DnnlGemm(), false);
            case "onednn-bf16-raw":
                return rawCandidate(name, new DnnlGemm(), true);
            case "openblas-offheap":
                OpenBlasGemm.setThreads(threads);
                return rawCandidate(name, new OpenBlasGemm(), false);
            case "openblas-array":
                OpenBlasGemm.setThreads(threads);
                return openBlasArrayCandidate();
            default:
                throw new IllegalArgumentException("unknown candidate " + name);
        }
    }

    /** The public API on heap arrays: what the model pays, staging included. */
    private static Candidate gemmCandidate(final String name, final Gemm gemm, final boolean bf16) {
        return new Candidate() {
            private float[] a;
            private float[] b;
            private short[] aBits;
            private short[] bBits;
            private float[] c;

            @Override
            public String name() {
                return name;
            }

            @Override
            public void prepare(final Shape s, final float[] a, final float[] b, final short[] aBits,
                final short[] bBits, final float[] c) {
                this.a = a;
                this.b = b;
                this.aBits = aBits;
                this.bBits = bBits;
                this.c = c;
            }

            @Override
            public void run(final Shape s) {
                final int lda = s.transA() ? s.m() : s.k();
                final int ldb = s.transB() ? s.k() : s.n();
                if (bf16) {
                    gemm.bf16gemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, aBits, 0, lda, bBits, 0, ldb,
                        0f, c, 0, s.n());
                } else {
                    gemm.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, a, 0, lda, b, 0, ldb, 0f, c, 0,
                        s.n());
                }
            }

            @Override
            public void release() {
                if (gemm instanceof StagedGemm staged) {
                    staged.freeStaging();
                }
            }
        };
    }

    /** The library alone on inputs already off-heap: the ceiling staging is measured against. */
    private static Candidate rawCandidate(final String name, final StagedGemm gemm, final boolean bf16) {
        return new Candidate() {
            private final OffHeapStaging aStage = new OffHeapStaging();
            private final OffHeapStaging bStage = new OffHeapStaging();
            private final OffHeapStaging cStage = new OffHeapStaging();

            @Override
            public String name() {
                return name;
            }

            @Override
            public void prepare(final Shape s, final float[] a, final float[] b, final short[] aBits,
                final short[] bBits, final float[] c) {
                final int aRows = s.transA() ? s.k() : s.m();
                final int bRows = s.transB() ? s.n() : s.k();
                if (bf16) {
                    aStage.copyIn(aBits, 0, aBits.length / aRows, aRows, aBits.length / aRows);
                    bStage.copyIn(bBits, 0, bBits.length / bRows, bRows, bBits.length / bRows);
                } else {
                    aStage.copyIn(a, 0, a.length / aRows, aRows, a.length / aRows);
                    bStage.copyIn(b, 0, b.length / bRows, bRows, b.length / bRows);
                }
                cStage.ensure(4L * c.length);
            }

            @Override
            public void run(final Shape s) {
                gemm.multiply(bf16, s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f,
                    bf16 ? aStage.shortPointer() : aStage.floatPointer(), s.transA() ? s.m() : s.k(),
                    bf16 ? bStage.shortPointer() : bStage.floatPointer(), s.transB() ? s.k() : s.n(), 0f,
                    cStage.floatPointer());
            }

            @Override
            public void release() {
                aStage.free();
                bStage.free();
                cStage.free();
            }
        };
    }

    /** bytedeco's float[] overload of cblas_sgemm: JNI copies every array in and out per call. */
    private static Candidate openBlasArrayCandidate() {
        return new Candidate() {
            private float[] a;
            private float[] b;
            private float[] c;

            @Override
            public String name() {
                return "openblas-array";
            }

            @Override
            public void prepare(final Shape s, final float[] a, final float[] b, final short[] aBits,
                final short[] bBits, final float[] c) {
                this.a = a;
                this.b = b;
                this.c = c;
            }

            @Override
            public void run(final Shape s) {
                openblas_full.cblas_sgemm(openblas_full.CblasRowMajor,
                    s.transA() ? openblas_full.CblasTrans : openblas_full.CblasNoTrans,
                    s.transB() ? openblas_full.CblasTrans : openblas_full.CblasNoTrans,
                    s.m(), s.n(), s.k(), 1f, a, s.transA() ? s.m() : s.k(), b, s.transB() ? s.k() : s.n(),
                    0f, c, s.n());
            }
        };
    }
}
