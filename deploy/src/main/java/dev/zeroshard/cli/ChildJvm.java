package dev.zeroshard.cli;

import dev.zeroshard.worker.backend.cuda.CudaDevice;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/** A zeroshard command in a child JVM started like this one: same java, JVM options and class path. */
final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * {@code zeroshard ARGS} in a new JVM, output and errors merged.
     *
     * @param threads when set, the OpenMP pool size of the child (native GEMM pools size themselves from OpenMP's
     *                variables, not from {@code --threads}).
     */
    static ProcessBuilder zeroshard(final List<String> args, final Integer threads) {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ZeroshardCli.class.getName());
        command.addAll(args);
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (threads != null) {
            builder.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            builder.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        }
        return builder;
    }

    /**
     * Tells the child it is the {@code localRank}-th process of its kind on this machine, so that where the CUDA
     * backend runs it takes GPU {@code localRank mod count}, as {@code torchrun}'s {@code LOCAL_RANK} does.
     */
    static ProcessBuilder onLocalRank(final ProcessBuilder builder, final int localRank) {
        builder.environment().put(CudaDevice.LOCAL_RANK_ENV, Integer.toString(localRank));
        return builder;
    }
}
