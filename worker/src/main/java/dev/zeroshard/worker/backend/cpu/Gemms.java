package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.worker.ops.Parallel;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Chooses the {@link Gemm} of this process, once: oneDNN where its natives load and it has an
 * optimised kernel for this CPU, else OpenBLAS where it loads (fp32 only), else the pure-Java GEMM
 * (the measurements behind this order are in the worker README, "Matrix products"). The choice is
 * logged in one line with the reason.
 *
 * <p>{@link #best()} computes exact fp32 products; {@link #bestBf16()} is for bf16 mixed precision:
 * its {@code sgemm} rounds A and B to bf16 (nearest even) and accumulates in fp32, on the CPU's bf16
 * instructions where oneDNN finds them; for inputs that already hold bf16 values the products are
 * exact, so only the summation order differs from {@link #best()}.
 *
 * <p>Threads follow {@link Parallel#shared()} at the time of the first call: OpenBLAS is sized to
 * it; oneDNN (OpenMP) reads {@code OMP_NUM_THREADS} when it loads, so the launcher must set that to
 * the same count (a mismatch is named in the log line).
 */
public final class Gemms {
    /** System property forcing the library: {@code auto} (default), {@code onednn}, {@code openblas}, {@code java}. */
    public static final String GEMM_PROP_NAME = "zeroshard.gemm";
    /** Default of {@link #GEMM_PROP_NAME}: the fastest that loads. */
    public static final String GEMM_DEFAULT = "auto";

    private static final System.Logger LOG = System.getLogger(Gemms.class.getName());

    private static Gemm fp32;
    private static Gemm bf16;

    private Gemms() {
    }

    /** The process's fp32 GEMM (created, logged and thread-sized on first use). */
    public static synchronized Gemm best() {
        if (fp32 == null) {
            fp32 = choose(false);
        }
        return fp32;
    }

    /** The process's bf16-compute GEMM: sgemm rounds its inputs to bf16, accumulates in fp32. */
    public static synchronized Gemm bestBf16() {
        if (bf16 == null) {
            bf16 = choose(true);
        }
        return bf16;
    }

    /** Whether /proc/cpuinfo lists avx512_bf16 (false where it cannot be read). */
    public static boolean cpuHasAvx512Bf16() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo")).contains("avx512_bf16");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** {@code factory.get()}, or null where its native library does not load on this machine. */
    static <T extends Gemm> T tryCreate(final Supplier<T> factory) {
        return create(factory, new Throwable[1]);
    }

    /** Reads {@link #GEMM_PROP_NAME}. */
    private static Gemm choose(final boolean fp32AsBf16) {
        return choose(System.getProperty(GEMM_PROP_NAME, GEMM_DEFAULT), fp32AsBf16);
    }

    /** The GEMM {@code wanted} names ({@code auto} = the fastest that loads), falling back to Java. */
    static Gemm choose(final String wanted, final boolean fp32AsBf16) {
        final String library = wanted.trim().toLowerCase(Locale.ROOT);
        if (!library.equals("auto") && !library.equals("onednn") && !library.equals("openblas")
            && !library.equals("java")) {
            throw new IllegalArgumentException(GEMM_PROP_NAME + "=" + wanted + " is not one of auto, onednn, openblas,"
                + " java");
        }
        final int threads = Parallel.shared().threads();
        final String precision = fp32AsBf16 ? "bf16 compute" : "fp32";
        final String reason = library.equals("auto") ? "fastest that loads (worker README)" : GEMM_PROP_NAME + "="
            + library;
        final StringBuilder failures = new StringBuilder();
        if (library.equals("auto") || library.equals("onednn")) {
            final Throwable[] failure = new Throwable[1];
            final DnnlGemm dnnl = create(() -> new DnnlGemm(fp32AsBf16), failure);
            // a reference kernel is slower than Java: the CPU lacks what oneDNN's fast kernels need
            final String kernel = dnnl == null ? null : kernelName(dnnl, fp32AsBf16, failure);
            if (kernel != null && kernel.startsWith("ref")) {
                failure[0] = new UnsupportedOperationException("only the reference kernel " + kernel);
            } else if (kernel != null) {
                // unset, OpenMP takes every core this process may run on
                final String omp = System.getenv("OMP_NUM_THREADS");
                final String ompThreads = omp != null ? omp.trim()
                    : String.valueOf(Runtime.getRuntime().availableProcessors());
                final String ompNote = String.valueOf(threads).equals(ompThreads) ? ""
                    : "; WARNING: set OMP_NUM_THREADS=" + threads + " (oneDNN's OpenMP pool ignores --threads)";
                LOG.log(Level.INFO, "matrix products ({0}): oneDNN ({1}) with {2} OpenMP threads, {3}{4}", precision,
                    kernel, ompThreads, reason, ompNote);
                return dnnl;
            }
            failures.append("oneDNN unusable: ").append(brief(failure[0])).append("; ");
        }
        if ((library.equals("auto") || library.equals("openblas")) && !fp32AsBf16) {
            final Throwable[] failure = new Throwable[1];
            final OpenBlasGemm openBlas = create(OpenBlasGemm::new, failure);
            if (openBlas != null) {
                OpenBlasGemm.setThreads(threads);
                LOG.log(Level.INFO, "matrix products (fp32): OpenBLAS with {0} threads, {1}{2}", threads, reason,
                    failures.length() == 0 ? "" : "; " + failures);
                return openBlas;
            }
            failures.append("OpenBLAS did not load: ").append(brief(failure[0])).append("; ");
        } else if (library.equals("openblas")) {
            failures.append("OpenBLAS has no bf16 GEMM; ");
        }
        LOG.log(Level.INFO, "matrix products ({0}): pure Java with {1} threads, {2}{3}", precision, threads, reason,
            failures.length() == 0 ? "" : "; " + failures + "falling back");
        return new JavaGemm(fp32AsBf16);
    }

    /** The kernel oneDNN picks for a typical GPT product, or null with the failure in {@code failure[0]}. */
    private static String kernelName(final DnnlGemm dnnl, final boolean bf16, final Throwable[] failure) {
        try {
            return dnnl.kernelName(bf16, 1024, 768, 768);
        } catch (RuntimeException e) {
            failure[0] = e;
            return null;
        }
    }

    /** The failure's type and the start of its message (library paths make it long). */
    private static String brief(final Throwable failure) {
        final String text = failure.toString();
        return text.length() <= 100 ? text : text.substring(0, 100) + "…";
    }

    /** {@code factory.get()}, or null with the failure in {@code failure[0]}. */
    private static <T extends Gemm> T create(final Supplier<T> factory, final Throwable[] failure) {
        try {
            return factory.get();
        } catch (LinkageError | RuntimeException e) {
            failure[0] = e;
            return null;
        }
    }
}
