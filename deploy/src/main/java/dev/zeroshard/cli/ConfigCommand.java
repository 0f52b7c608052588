package dev.zeroshard.cli;

import dev.zeroshard.protocol.config.DeepSpeedConfigReader;
import dev.zeroshard.protocol.config.ResolveContext;
import dev.zeroshard.protocol.config.ResolvedDeepSpeedConfig;
import dev.zeroshard.protocol.job.JobSpecs;
import dev.zeroshard.protocol.job.ModelConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** {@code zeroshard config}: inspect DeepSpeed configs and job specs without running anything. */
@Command(
    name = "config",
    description = "Resolve a DeepSpeed config or check a job spec.",
    mixinStandardHelpOptions = true,
    subcommands = {ConfigCommand.Resolve.class, ConfigCommand.Check.class})
final class ConfigCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: 'resolve' or 'check'");
    }

    @Command(
        name = "resolve",
        mixinStandardHelpOptions = true,
        description = {
            "Print a DeepSpeed config as zeroshard resolves it: every value, inferred or defaulted,",
            "and where it came from (file, default, inferred, auto)."})
    static final class Resolve implements Runnable {
        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "DS_CONFIG", description = "DeepSpeed JSON config file")
        private Path configFile;

        @Option(names = "--world-size", paramLabel = "N", defaultValue = "1",
            description = "Number of data-parallel ranks (default: ${DEFAULT-VALUE})")
        private int worldSize;

        @Option(names = "--model", paramLabel = "CONFIG_JSON",
            description = "Hugging Face config.json; its n_embd resolves model-dependent \"auto\" sizes")
        private Path modelFile;

        @Option(names = "--steps", paramLabel = "N",
            description = "Total training steps; resolves a scheduler's \"auto\" total_num_steps")
        private Long steps;

        @Option(names = "--json", description = "Print the resolved config as DeepSpeed JSON instead of a table")
        private boolean json;

        @Override
        public void run() {
            if (worldSize < 1) {
                throw new ParameterException(spec.commandLine(), "--world-size=" + worldSize + ": must be >= 1");
            }
            if (steps != null && steps < 1) {
                throw new ParameterException(spec.commandLine(), "--steps=" + steps + ": must be >= 1");
            }
            final OptionalInt hiddenSize = modelFile == null
                ? OptionalInt.empty()
                : OptionalInt.of(ModelConfigs.read(modelFile).getNEmbd());
            final OptionalLong totalSteps = steps == null ? OptionalLong.empty() : OptionalLong.of(steps);
            final ResolvedDeepSpeedConfig resolved = DeepSpeedConfigReader.resolve(
                configFile, new ResolveContext(worldSize, hiddenSize, totalSteps));
            spec.commandLine().getOut().println(json ? resolved.toJson().toPrettyString() : resolved.describe());
        }
    }

    @Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = "Validate a job spec (JSON) and print it resolved.")
    static final class Check implements Runnable {
        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "JOB_JSON", description = "job spec file")
        private Path jobFile;

        @Override
        public void run() {
            spec.commandLine().getOut().print(JobSpecs.read(jobFile).describe());
        }
    }
}
