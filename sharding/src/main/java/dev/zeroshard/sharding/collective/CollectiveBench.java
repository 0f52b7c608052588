package dev.zeroshard.sharding.collective;

import dev.zeroshard.sharding.aeron.AeronDriver;
import dev.zeroshard.sharding.aeron.PropertyValues;
import dev.zeroshard.sharding.aeron.RingSpec;
import dev.zeroshard.sharding.aeron.TransportConfig;
import dev.zeroshard.sharding.aeron.TransportKind;
import io.aeron.driver.ThreadingMode;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Measures the ring collectives the way nccl-tests does: for each world size, operation and buffer size, the
 * median time of repeated iterations after warm-up, the algorithm bandwidth {@code algbw = bytes / time} and the
 * bus bandwidth {@code busbw = algbw * 2(n-1)/n} for allreduce, {@code algbw * (n-1)/n} for reduce-scatter and
 * allgather (GB/s = 1e9 bytes/s). {@code bytes} is the size of the whole fp32 buffer on each rank.
 *
 * <p>The ranks run as threads of this JVM, each with its own communicator and Aeron client. Over {@code ipc} they
 * share one embedded media driver (SHARED threading: IPC peers must share a driver); over {@code udp} each rank
 * launches its own embedded driver, run by its communicator's thread (INVOKER), and the ranks talk over UDP on
 * loopback ({@code --driver shared} puts UDP ranks on one shared driver too). An iteration starts after a barrier and lasts from the first rank's start to the last rank's end.
 *
 * <pre>
 * --ranks 2,4 --sizes 1MiB,8MiB,64MiB,256MiB --op allreduce,reducescatter,allgather
 * [--transport ipc|udp|ipc,udp] [--driver auto|shared|per-rank] [--json] [--iters N] [--warmup N] [--memcpy]
 * </pre>
 * Transport and driver tuning come from the {@code zeroshard.aeron.*} system properties of {@link TransportConfig};
 * the JVM needs a heap of about ranks × largest size plus 1 GiB.
 */
public final class CollectiveBench {
    private static final int FIRST_STREAM_ID = 7001;
    /** Size and count of the JIT warm-up every op runs before anything is measured. */
    private static final long JIT_WARMUP_BYTES = 4L << 20;
    private static final int JIT_WARMUP_ITERATIONS = 40;

    private final List<Integer> rankCounts;
    private final List<Long> sizes;
    private final List<CollectiveKind> ops;
    private final List<TransportKind> transports;
    private final boolean json;
    private final int iterations;
    private final int warmup;
    private final boolean memcpy;
    private final String driver;
    private final PrintStream out;

    private CollectiveBench(final List<Integer> rankCounts, final List<Long> sizes, final List<CollectiveKind> ops,
                            final List<TransportKind> transports, final boolean json, final int iterations,
                            final int warmup, final boolean memcpy, final String driver, final PrintStream out) {
        this.rankCounts = rankCounts;
        this.sizes = sizes;
        this.ops = ops;
        this.transports = transports;
        this.json = json;
        this.iterations = iterations;
        this.warmup = warmup;
        this.memcpy = memcpy;
        this.driver = driver;
        this.out = out;
    }

    /**
     * One measured point.
     *
     * @param op          {@code allreduce}, {@code reducescatter}, {@code allgather}, {@code broadcast} or
     *                    {@code memcpy} (the reference: one {@code System.arraycopy} of the same bytes).
     * @param transport   {@code ipc}, {@code udp}, or {@code memory} for memcpy.
     * @param timeSeconds median over the measured iterations.
     * @param busFactor   the nccl-tests factor from algbw to busbw.
     */
    public record Result(String op, int ranks, long bytes, String transport, double timeSeconds, double busFactor) {
        /** bytes / time, GB/s. */
        public double algbwGbps() {
            return bytes / timeSeconds / 1e9;
        }

        /** algbw times the nccl-tests bus factor of the operation. */
        public double busbwGbps() {
            return algbwGbps() * busFactor;
        }

        /** One JSON object, as the CLI's {@code --json} prints it. */
        public String toJson() {
            return String.format(Locale.ROOT, "{\"op\":\"%s\",\"ranks\":%d,\"bytes\":%d,\"transport\":\"%s\","
                    + "\"time_s\":%.6f,\"algbw_gbps\":%.3f,\"busbw_gbps\":%.3f}", op, ranks, bytes, transport,
                timeSeconds, algbwGbps(), busbwGbps());
        }
    }

    /** The nccl-tests bus bandwidth factor: 2(n-1)/n for allreduce, (n-1)/n for reduce-scatter and allgather. */
    public static double busFactor(final CollectiveKind op, final int ranks) {
        switch (op) {
            case ALL_REDUCE:
                return 2.0 * (ranks - 1) / ranks;
            case REDUCE_SCATTER:
            case ALL_GATHER:
                return (double) (ranks - 1) / ranks;
            default:
                return 1.0;
        }
    }

    /** Runs the benchmark described by {@code args}; prints to standard output. */
    public static void main(final String[] args) {
        parse(args, System.out).run();
    }

    /** Parses the command line; throws {@link IllegalArgumentException} naming a bad argument. */
    public static CollectiveBench parse(final String[] args, final PrintStream out) {
        List<Integer> rankCounts = List.of(2, 4);
        List<Long> sizes = List.of(1L << 20, 8L << 20, 64L << 20, 256L << 20);
        List<CollectiveKind> ops = List.of(CollectiveKind.ALL_REDUCE, CollectiveKind.REDUCE_SCATTER,
            CollectiveKind.ALL_GATHER);
        List<TransportKind> transports = List.of(TransportKind.IPC);
        boolean json = false;
        boolean memcpy = false;
        int iterations = -1;
        int warmup = -1;
        String driver = "auto";
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            switch (arg) {
                case "--ranks":
                    rankCounts = parseList(arg, value(args, ++i, arg), "integers", Integer::parseInt);
                    break;
                case "--sizes":
                    sizes = parseList(arg, value(args, ++i, arg), "sizes such as 4096, 64KiB, 8MiB or 1GiB",
                        PropertyValues::parseSize);
                    break;
                case "--op":
                case "--ops":
                    ops = parseList(arg, value(args, ++i, arg), "allreduce, reducescatter, allgather or broadcast",
                        CollectiveKind::ofLabel);
                    break;
                case "--transport":
                    transports = parseList(arg, value(args, ++i, arg), "ipc or udp",
                        text -> TransportKind.valueOf(text.trim().toUpperCase(Locale.ROOT)));
                    break;
                case "--iters":
                    iterations = count(arg, value(args, ++i, arg), 1);
                    break;
                case "--warmup":
                    warmup = count(arg, value(args, ++i, arg), 0);
                    break;
                case "--json":
                    json = true;
                    break;
                case "--memcpy":
                    memcpy = true;
                    break;
                case "--driver":
                    driver = value(args, ++i, arg);
                    if (!List.of("auto", "shared", "per-rank").contains(driver)) {
                        throw new IllegalArgumentException("--driver " + driver + ": expected shared, per-rank or auto");
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument '" + arg + "'; expected --ranks, --sizes, "
                        + "--op, --transport, --driver, --iters, --warmup, --json or --memcpy");
            }
        }
        for (final int ranks : rankCounts) {
            if (ranks < 1) {
                throw new IllegalArgumentException("--ranks " + ranks + ": must be >= 1");
            }
        }
        for (final long size : sizes) {
            if (size < 0 || size % Float.BYTES != 0 || size / Float.BYTES > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("--sizes " + size + ": must be a multiple of 4 bytes in [0, 8 GiB)");
            }
        }
        for (final CollectiveKind op : ops) {
            if (op != CollectiveKind.ALL_REDUCE && op != CollectiveKind.REDUCE_SCATTER
                && op != CollectiveKind.ALL_GATHER && op != CollectiveKind.BROADCAST) {
                throw new IllegalArgumentException("--op " + op.label() + ": benchmarks allreduce, reducescatter, "
                    + "allgather or broadcast");
            }
        }
        return new CollectiveBench(rankCounts, sizes, ops, transports, json, iterations, warmup, memcpy, driver, out);
    }

    /** Runs every combination; returns the results in the order printed. */
    public List<Result> run() {
        final List<Result> results = new ArrayList<>();
        if (!json) {
            out.println("# zeroshard ring collectives: ranks as threads in one JVM, one communicator and Aeron client"
                + " each; ipc: one shared embedded driver run by the ranks' threads in turn; udp: "
                + (driver.equals("shared") ? "one shared embedded driver run by the ranks' threads in turn"
                : "one embedded driver per rank, run by its communicator's thread (INVOKER)") + ", loopback");
            out.printf(Locale.ROOT, "# %13s %5s %9s %12s %11s %12s %12s%n", "op", "ranks", "transport", "bytes",
                "time(ms)", "algbw(GB/s)", "busbw(GB/s)");
        }
        if (memcpy) {
            for (final long size : sizes) {
                final Result result = measureMemcpy(size);
                results.add(result);
                print(result);
            }
        }
        for (final TransportKind transport : transports) {
            for (final int ranks : rankCounts) {
                results.addAll(runRing(transport, ranks));
            }
        }
        return results;
    }

    private List<Result> runRing(final TransportKind transport, final int ranks) {
        final long largest = sizes.stream().mapToLong(Long::longValue).max().orElse(0);
        final TransportConfig config = new TransportConfig();
        final CommSettings settings = new CommSettings().conclude();
        final RingSpec ring = transport == TransportKind.IPC ? RingSpec.ipc(ranks, FIRST_STREAM_ID)
            : RingSpec.udpLoopbackOnFreePorts(ranks, FIRST_STREAM_ID);
        final boolean shared = driver.equals("shared") || (driver.equals("auto") && transport == TransportKind.IPC);
        if (transport == TransportKind.IPC && !shared) {
            throw new IllegalArgumentException("--driver per-rank cannot carry ipc: IPC peers share one driver");
        }
        final AeronDriver sharedDriver = shared
            ? AeronDriver.launchEmbedded(config.threadingMode(ThreadingMode.INVOKER).conclude()) : null;
        final ExecutorService threads = Executors.newFixedThreadPool(ranks, task -> {
            final Thread thread = new Thread(task, "bench-rank");
            thread.setDaemon(true);
            return thread;
        });
        final List<Communicator> communicators = new ArrayList<>();
        try {
            final List<Future<Communicator>> opening = new ArrayList<>();
            for (int rank = 0; rank < ranks; rank++) {
                final CommSpec spec = new CommSpec(rank, 1, ring);
                opening.add(threads.submit(() -> sharedDriver != null
                    ? Communicator.open(spec, settings, sharedDriver)
                    : Communicator.open(spec, settings, new TransportConfig().threadingMode(ThreadingMode.INVOKER))));
            }
            for (final Future<Communicator> future : opening) {
                communicators.add(get(future));
            }
            final float[][] buffers = new float[ranks][];
            for (int rank = 0; rank < ranks; rank++) {
                buffers[rank] = new float[Math.toIntExact(largest / Float.BYTES)];
                Arrays.fill(buffers[rank], 1e-3f);
            }
            // the JIT compiles the ring's copy and reduce loops only after many chunks: run every op on a small
            // buffer first, so that the first size measured is not also this JVM's warm-up
            final long jitSize = Math.min(largest, JIT_WARMUP_BYTES);
            for (final CollectiveKind op : ops) {
                measure(op, jitSize, transport, communicators, buffers, threads, JIT_WARMUP_ITERATIONS);
            }
            final List<Result> results = new ArrayList<>();
            for (final CollectiveKind op : ops) {
                for (final long size : sizes) {
                    final Result result = measure(op, size, transport, communicators, buffers, threads,
                        iterations);
                    results.add(result);
                    print(result);
                }
            }
            return results;
        } finally {
            for (final Communicator communicator : communicators) {
                threads.submit(communicator::close);
            }
            threads.shutdown();
            try {
                threads.awaitTermination(30, TimeUnit.SECONDS);
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            if (sharedDriver != null) {
                sharedDriver.close();
            }
        }
    }

    /** @param iterations how many to time; 0: by size (5 from 64 MiB up, else 20). */
    private Result measure(final CollectiveKind op, final long size, final TransportKind transport,
                           final List<Communicator> communicators, final float[][] buffers,
                           final ExecutorService threads, final int iterations) {
        final int ranks = communicators.size();
        final int length = Math.toIntExact(size / Float.BYTES);
        final int measured = iterations > 0 ? iterations : size >= (64L << 20) ? 5 : 20;
        final int warm = warmup >= 0 ? warmup : size >= (64L << 20) ? 2 : 5;
        final int total = warm + measured;
        final long[][] startNs = new long[ranks][total];
        final long[][] endNs = new long[ranks][total];
        final Partition partition = Partition.even(length, ranks);
        final List<Future<Object>> running = new ArrayList<>();
        for (int rank = 0; rank < ranks; rank++) {
            final int r = rank;
            running.add(threads.submit(() -> {
                final Communicator comm = communicators.get(r);
                final float[] buffer = buffers[r];
                for (int iteration = 0; iteration < total; iteration++) {
                    comm.barrier();
                    startNs[r][iteration] = System.nanoTime();
                    switch (op) {
                        case ALL_REDUCE:
                            comm.allReduce(buffer, 0, length);
                            break;
                        case REDUCE_SCATTER:
                            comm.reduceScatter(buffer, 0, length, partition);
                            break;
                        case ALL_GATHER:
                            comm.allGather(buffer, 0, length, partition);
                            break;
                        default:
                            comm.broadcast(buffer, 0, length, 0);
                            break;
                    }
                    endNs[r][iteration] = System.nanoTime();
                    if (op == CollectiveKind.ALL_REDUCE && iteration % 8 == 7) {
                        // keep sums far from overflow: the same value everywhere, so every rank stays equal
                        Arrays.fill(buffer, 0, length, 1e-3f);
                    }
                }
                return null;
            }));
        }
        for (final Future<Object> future : running) {
            get(future);
        }
        final double[] times = new double[measured];
        for (int iteration = warm; iteration < total; iteration++) {
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            for (int rank = 0; rank < ranks; rank++) {
                first = Math.min(first, startNs[rank][iteration]);
                last = Math.max(last, endNs[rank][iteration]);
            }
            times[iteration - warm] = (last - first) / 1e9;
        }
        return new Result(op.label(), ranks, size, transport.name().toLowerCase(Locale.ROOT), median(times),
            busFactor(op, ranks));
    }

    private Result measureMemcpy(final long size) {
        final int length = Math.toIntExact(size / Float.BYTES);
        final float[] source = new float[length];
        final float[] target = new float[length];
        Arrays.fill(source, 1f);
        final int measured = iterations > 0 ? iterations : size >= (64L << 20) ? 5 : 20;
        final int warm = warmup >= 0 ? warmup : 3;
        final double[] times = new double[measured];
        for (int iteration = 0; iteration < warm + measured; iteration++) {
            final long startNs = System.nanoTime();
            System.arraycopy(source, 0, target, 0, length);
            final long elapsedNs = System.nanoTime() - startNs;
            if (iteration >= warm) {
                times[iteration - warm] = elapsedNs / 1e9;
            }
        }
        return new Result("memcpy", 1, size, "memory", median(times), 1.0);
    }

    private void print(final Result result) {
        if (json) {
            out.println(result.toJson());
        } else {
            out.printf(Locale.ROOT, "  %13s %5d %9s %12d %11.3f %12.3f %12.3f%n", result.op(), result.ranks(),
                result.transport(), result.bytes(), result.timeSeconds() * 1e3, result.algbwGbps(),
                result.busbwGbps());
        }
        out.flush();
    }

    private static double median(final double[] values) {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static <T> T get(final Future<T> future) {
        try {
            return future.get();
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        } catch (final ExecutionException ex) {
            if (ex.getCause() instanceof RuntimeException) {
                throw (RuntimeException) ex.getCause();
            }
            throw new IllegalStateException(ex.getCause());
        }
    }

    private static String value(final String[] args, final int index, final String flag) {
        if (index >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[index];
    }

    private interface Parser<T> {
        T parse(String text);
    }

    /** A comma-separated list; a part that does not parse is refused with the flag and what it expects. */
    private static <T> List<T> parseList(final String flag, final String text, final String expected,
                                         final Parser<T> parser) {
        final List<T> values = new ArrayList<>();
        for (final String part : text.split(",")) {
            if (!part.isBlank()) {
                try {
                    values.add(parser.parse(part.trim()));
                } catch (final RuntimeException ex) {
                    throw new IllegalArgumentException(flag + " " + part.trim() + ": expected " + expected, ex);
                }
            }
        }
        if (values.isEmpty()) {
            throw new IllegalArgumentException(flag + " '" + text + "': expected a comma-separated list of " + expected);
        }
        return values;
    }

    private static int count(final String flag, final String text, final int min) {
        final int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (final NumberFormatException ex) {
            throw new IllegalArgumentException(flag + " " + text + ": expected an integer >= " + min, ex);
        }
        if (value < min) {
            throw new IllegalArgumentException(flag + " " + value + ": must be >= " + min);
        }
        return value;
    }
}
