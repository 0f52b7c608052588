package dev.zeroshard.worker.backend.cuda;

import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Whether this process can run the CUDA backend, probed once and cached with the reason: the driver library
 * loads, it sees a GPU of compute capability 8.0 or newer, the kernels were built into this jar, and they load on
 * that GPU. The probe catches every {@link Throwable}: without {@code libcuda.so.1} the first JCuda call throws
 * {@link UnsatisfiedLinkError} and every later one {@link NoClassDefFoundError}, so nothing else may call JCuda
 * before asking here.
 *
 * <p>The GPU is number {@code LOCAL_RANK mod count} (the variable launchers set for each process on a machine, as
 * {@code torchrun} does; unset means 0), so that ranks on one machine spread over its GPUs.
 */
public final class CudaDevice {
    /** The kernels' fatbin, beside this class on the class path (built by worker/src/main/cuda/build-kernels.sh). */
    public static final String FATBIN_RESOURCE = "zeroshard_kernels.fatbin";
    /** The reason given when the jar has no kernels. */
    public static final String NO_KERNELS = "kernels not built (no nvcc at build time)";
    /** Oldest compute capability the kernels run on (bf16 tensor cores, cp.async): 8.0, A100. */
    public static final int MIN_COMPUTE_CAPABILITY = 80;

    /** The environment variable naming this process's index among the ranks on its machine. */
    public static final String LOCAL_RANK_ENV = "LOCAL_RANK";

    private static final String TMPDIR_PROP = "java.io.tmpdir";

    private static Probe probe;

    private CudaDevice() {
    }

    /** True where the CUDA backend can run: a GPU, its driver and loadable kernels. */
    public static boolean available() {
        return probe().context != null;
    }

    /** Why the CUDA backend cannot run ({@code ""} where it can). */
    public static String reason() {
        return probe().reason;
    }

    /** The device in one line, e.g. {@code "NVIDIA H200 (sm_90, 132 SMs, 139.8 GiB), driver 13.0"}, or the reason. */
    public static String describe() {
        final Probe p = probe();
        return p.context != null ? p.context.describe() : p.reason;
    }

    /** Whether this build carries the kernels (independent of any GPU). */
    public static boolean kernelsBuilt() {
        return CudaDevice.class.getResource(FATBIN_RESOURCE) != null;
    }

    /** The process's context on its GPU with the kernels loaded. */
    public static CudaContext context() {
        final Probe p = probe();
        if (p.context == null) {
            throw new CudaUnavailableException("the CUDA backend cannot run here: " + p.reason);
        }
        p.context.makeCurrent();
        return p.context;
    }

    private static synchronized Probe probe() {
        if (probe == null) {
            probe = run();
        }
        return probe;
    }

    /** The {@code LOCAL_RANK} value: 0 when unset, else a non-negative integer. */
    static int localRank(final String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            final int parsed = Integer.parseInt(value.trim());
            if (parsed >= 0) {
                return parsed;
            }
        } catch (final NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(LOCAL_RANK_ENV + "=" + value + ": must be a non-negative integer (this "
            + "process's index among the ranks on its machine)");
    }

    private static Probe run() {
        final CUdevice device = new CUdevice();
        final int[] driverVersion = new int[1];
        final int localRank;
        try {
            localRank = localRank(System.getenv(LOCAL_RANK_ENV));
        } catch (final IllegalArgumentException ex) {
            return Probe.unavailable(ex.getMessage());
        }
        // JCuda writes its native library to ${java.io.tmpdir}/libJCudaDriver-<version>-<os>-<arch>.so unless that
        // file exists, then loads it: JVMs starting together (simulate, several ranks on a host) could load a
        // half-written file, and a truncated one would stay. This process extracts into a directory of its own,
        // removed once the library is loaded (the mapping outlives the file).
        final String tmpdir = System.getProperty(TMPDIR_PROP);
        Path extractDir = null;
        try {
            extractDir = Files.createTempDirectory("zeroshard-jcuda-");
            System.setProperty(TMPDIR_PROP, extractDir.toString());
            JCudaDriver.setExceptionsEnabled(true);
        } catch (final Throwable t) {
            return Probe.unavailable("no CUDA device: " + driverFailure(t));
        } finally {
            System.setProperty(TMPDIR_PROP, tmpdir);
            deleteQuietly(extractDir);
        }
        final int ordinal;
        try {
            JCudaDriver.cuInit(0);
            JCudaDriver.cuDriverGetVersion(driverVersion);
            final int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            if (count[0] < 1) {
                return Probe.unavailable("no CUDA device: the driver sees no GPU");
            }
            ordinal = localRank % count[0];
            JCudaDriver.cuDeviceGet(device, ordinal);
        } catch (final Throwable t) {
            return Probe.unavailable("no CUDA device: " + driverFailure(t));
        }
        final String name;
        final int capability;
        try {
            name = name(device);
            capability = 10 * attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                + attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        } catch (final Throwable t) {
            return Probe.unavailable("no CUDA device: GPU " + ordinal + " could not be queried (" + firstLine(t)
                + ")");
        }
        if (capability < MIN_COMPUTE_CAPABILITY) {
            return Probe.unavailable(String.format(Locale.ROOT, "no CUDA device: GPU %d (%s) has compute capability "
                + "%d.%d; the kernels need %d.%d or newer", ordinal, name, capability / 10, capability % 10,
                MIN_COMPUTE_CAPABILITY / 10, MIN_COMPUTE_CAPABILITY % 10));
        }
        final byte[] fatbin = readFatbin();
        if (fatbin == null) {
            return Probe.unavailable(NO_KERNELS);
        }
        try {
            return new Probe(CudaContext.open(device, name, capability, driverVersion[0], fatbin), "");
        } catch (final Throwable t) {
            return Probe.unavailable("the CUDA kernels did not load on GPU " + ordinal + " (" + name + ", driver "
                + driverVersion[0] / 1000 + "." + driverVersion[0] % 1000 / 10 + "): " + firstLine(t));
        }
    }

    private static void deleteQuietly(final Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (final IOException | UncheckedIOException e) {
            // a leftover directory in the temp directory is harmless
        }
    }

    private static String driverFailure(final Throwable t) {
        if (t instanceof UnsatisfiedLinkError || t instanceof NoClassDefFoundError) {
            return "the CUDA driver library did not load (" + linkFailure(t) + ")";
        }
        return "the CUDA driver failed to start (" + firstLine(t) + ")";
    }

    /**
     * The line of JCuda's loader report that names the missing library ({@code libcuda.so.1: cannot open shared
     * object file: ...}), else the first line.
     */
    private static String linkFailure(final Throwable t) {
        final String message = t.getMessage() == null ? "" : t.getMessage();
        for (final String line : message.split("\n")) {
            final int cannot = line.indexOf("cannot open shared object file");
            if (cannot >= 0) {
                final int library = line.lastIndexOf(".so: ", cannot);
                return (library >= 0 ? line.substring(library + ".so: ".length()) : line).strip();
            }
        }
        return firstLine(t);
    }

    static String firstLine(final Throwable t) {
        final String message = t.getMessage() == null ? "" : t.getMessage().strip();
        final int newline = message.indexOf('\n');
        final String first = newline < 0 ? message : message.substring(0, newline).strip();
        return t.getClass().getSimpleName() + (first.isEmpty() ? "" : ": " + first);
    }

    private static String name(final CUdevice device) {
        final byte[] bytes = new byte[256];
        JCudaDriver.cuDeviceGetName(bytes, bytes.length, device);
        int length = 0;
        while (length < bytes.length && bytes[length] != 0) {
            length++;
        }
        return new String(bytes, 0, length, java.nio.charset.StandardCharsets.US_ASCII);
    }

    static int attribute(final CUdevice device, final int attribute) {
        final int[] value = new int[1];
        JCudaDriver.cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }

    private static byte[] readFatbin() {
        try (InputStream in = CudaDevice.class.getResourceAsStream(FATBIN_RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        } catch (final IOException e) {
            throw new UncheckedIOException("reading " + FATBIN_RESOURCE, e);
        }
    }

    /** The probe's answer: a context, or the reason there is none. */
    private static final class Probe {
        final CudaContext context;
        final String reason;

        Probe(final CudaContext context, final String reason) {
            this.context = context;
            this.reason = reason;
        }

        static Probe unavailable(final String reason) {
            return new Probe(null, reason);
        }
    }
}
