package dev.zeroshard.cli;

import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import dev.zeroshard.protocol.v1.JobSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code zeroshard demo}: the built-in job, end to end. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run the built-in demo job (a small GPT-2 on built-in data).")
final class DemoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private ThreadsOption threads;

    @Option(names = "--steps", paramLabel = "N", description = "optimizer steps (default: the built-in job's)")
    private Long steps;

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final JobSpec demo = JobSpecs.builtinDemo();
        final ResolvedJob job = JobSpecs.resolve(steps == null ? demo : demo.toBuilder().setMaxSteps(steps).build());
        out.println("zeroshard demo: the built-in job, trained in this process on the CPU backend");
        out.println();
        out.print(job.summary());
        out.println();
        return TrainCommand.train(out, job, threads, null, Optional.empty(), Optional.empty());
    }
}
