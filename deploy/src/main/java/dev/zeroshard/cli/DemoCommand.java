package dev.zeroshard.cli;

import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ResolvedJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/** {@code zeroshard demo}: the built-in job, end to end. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run the built-in demo job (a small GPT-2 on built-in data).")
final class DemoCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        final PrintWriter out = spec.commandLine().getOut();
        final ResolvedJob job = JobSpecs.resolve(JobSpecs.builtinDemo());
        out.println("zeroshard demo: the built-in job, resolved and validated");
        out.println();
        out.print(job.describe());
        out.println();
        out.println("Training is not available in this build yet: the worker's compute (issue 3) comes next.");
    }
}
