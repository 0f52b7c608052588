package dev.zeroshard.operator.manifests;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image's entrypoint (deploy/docker/entrypoint.sh) runs the real bin/zeroshard of a fake installation whose
 * "java" prints its arguments one per line: what reaches the JVM is then exactly what the test reads.
 */
class EntrypointTest {
    private static final Path ROOT = RepositoryFiles.root();
    private static final Path ENTRYPOINT = ROOT.resolve("deploy/docker/entrypoint.sh");
    private static final String MAIN_CLASS = "dev.zeroshard.cli.ZeroshardCli";
    private static final long TIMEOUT_SECONDS = 30;
    private static final String FAKE_JAVA = """
        #!/bin/sh
        # a JDK 17 to bin/zeroshard's version check; otherwise prints its arguments one per line
        if [ "$1" = "-XshowSettings:properties" ] && [ "$2" = "-version" ]; then
          echo "    java.specification.version = 17" >&2
          exit 0
        fi
        for arg in "$@"; do printf '%s\\n' "$arg"; done
        """;
    private static final String FAKE_MVNW = """
        #!/bin/sh
        touch "$(dirname "$0")/build-attempted"
        exit 1
        """;

    @TempDir
    private Path temp;
    private Path home;
    private Path javaHome;
    private final Map<String, String> env = new HashMap<>();

    /** What one run of the entrypoint did. */
    private record Run(int exitCode, List<String> javaArgs, String stderr) {
        /** The arguments after the main class: what the CLI sees. */
        List<String> cliArgs() {
            final int main = javaArgs.indexOf(MAIN_CLASS);
            assertThat(main).as("main class in %s", javaArgs).isNotNegative();
            return javaArgs.subList(main + 1, javaArgs.size());
        }

        /** The JVM options before the main class. */
        List<String> jvmArgs() {
            final int main = javaArgs.indexOf(MAIN_CLASS);
            assertThat(main).as("main class in %s", javaArgs).isNotNegative();
            return javaArgs.subList(0, main);
        }
    }

    @BeforeEach
    void installFakes() throws IOException {
        home = temp.resolve("zeroshard");
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("etc"));
        Files.createDirectories(home.resolve("deploy/target/lib"));
        executable(Files.copy(ROOT.resolve("bin/zeroshard"), home.resolve("bin/zeroshard")));
        Files.copy(ROOT.resolve("etc/jvm.properties"), home.resolve("etc/jvm.properties"));
        Files.createFile(home.resolve("deploy/target/zeroshard-deploy-x.jar"));
        Files.createFile(home.resolve("deploy/target/lib/dependency.jar"));
        // what a checkout has and an image lacks: bin/zeroshard would build here if it were allowed to
        Files.writeString(home.resolve("pom.xml"), "<project/>");
        executable(Files.writeString(home.resolve("mvnw"), FAKE_MVNW));

        javaHome = temp.resolve("jdk");
        Files.createDirectories(javaHome.resolve("bin"));
        executable(Files.writeString(javaHome.resolve("bin/java"), FAKE_JAVA));

        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", temp.toString());
        env.put("JAVA_HOME", javaHome.toString());
        env.put("ZEROSHARD_HOME", home.toString());
    }

    private static Path executable(final Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    private Run run(final String... args) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of("bash", ENTRYPOINT.toString()));
        command.addAll(Arrays.asList(args));
        final ProcessBuilder builder = new ProcessBuilder(command)
            .redirectOutput(temp.resolve("stdout").toFile())
            .redirectError(temp.resolve("stderr").toFile());
        builder.environment().clear();
        builder.environment().putAll(env);
        final Process process = builder.start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("entrypoint.sh " + String.join(" ", args) + " still running after "
                + TIMEOUT_SECONDS + " s; stderr: " + Files.readString(temp.resolve("stderr")));
        }
        final String stdout = Files.readString(temp.resolve("stdout"), StandardCharsets.UTF_8);
        return new Run(process.exitValue(), stdout.isEmpty() ? List.of() : List.of(stdout.split("\n")),
            Files.readString(temp.resolve("stderr"), StandardCharsets.UTF_8));
    }

    private static List<String> jvmFlagsFromProperties() throws IOException {
        for (final String line : Files.readAllLines(ROOT.resolve("etc/jvm.properties"))) {
            if (line.startsWith("zeroshard.jvm.flags=")) {
                return List.of(line.substring("zeroshard.jvm.flags=".length()).trim().split("\\s+"));
            }
        }
        throw new AssertionError("etc/jvm.properties has no zeroshard.jvm.flags line");
    }

    @Test
    void shouldPassEveryFlagOfJvmPropertiesAndTheUsersOptionsToJava() throws Exception {
        env.put("ZEROSHARD_JAVA_OPTS", "-Xmx3g -Dzeroshard.test=one");

        final Run run = run("worker", "--port", "25520");

        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.jvmArgs()).containsSubsequence(jvmFlagsFromProperties());
        assertThat(run.jvmArgs()).containsSubsequence("-Xmx3g", "-Dzeroshard.test=one");
        assertThat(run.jvmArgs()).contains("-Dzeroshard.home=" + home.toRealPath());
    }

    @Test
    void shouldPutTheImagesJvmOptionsBeforeTheUsersSoTheUsersWin() throws Exception {
        env.put("ZEROSHARD_CONTAINER_JAVA_OPTS", "-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError");
        env.put("ZEROSHARD_JAVA_OPTS", "-XX:MaxRAMPercentage=50");

        final Run run = run("coordinator", "--data-dir", "/data");

        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.jvmArgs()).containsSubsequence(
            "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:MaxRAMPercentage=50");
    }

    @Test
    void shouldPassRoleAndArgumentsThroughInOrder() throws Exception {
        final Run run = run("worker", "--host", "10.0.0.7", "--port=25520", "--aeron-port", "40123", "--id", "w-0",
            "--discovery", "kubernetes");

        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.cliArgs()).containsExactly("worker", "--host", "10.0.0.7", "--port=25520", "--aeron-port",
            "40123", "--id", "w-0", "--discovery", "kubernetes");
    }

    @Test
    void shouldUsePodIpAsHostWhenNoHostIsGiven() throws Exception {
        env.put("POD_IP", "10.1.2.3");

        final Run worker = run("worker", "--discovery", "kubernetes");
        final Run coordinator = run("coordinator", "--data-dir", "/checkpoints/coordinator");

        assertThat(worker.cliArgs()).containsExactly("worker", "--host", "10.1.2.3", "--discovery", "kubernetes");
        assertThat(coordinator.cliArgs()).containsExactly("coordinator", "--host", "10.1.2.3", "--http-host", "0.0.0.0",
            "--data-dir", "/checkpoints/coordinator");
    }

    @Test
    void shouldKeepAnExplicitHostOverPodIp() throws Exception {
        env.put("POD_IP", "10.1.2.3");

        final Run spaced = run("worker", "--host", "192.168.0.9");
        final Run joined = run("coordinator", "--host=192.168.0.9", "--http-host=127.0.0.1", "--data-dir", "/d");

        assertThat(spaced.cliArgs()).containsExactly("worker", "--host", "192.168.0.9");
        assertThat(joined.cliArgs()).containsExactly("coordinator", "--host=192.168.0.9", "--http-host=127.0.0.1",
            "--data-dir", "/d");
    }

    @Test
    void shouldGiveTheOperatorNoHostDefaults() throws Exception {
        env.put("POD_IP", "10.1.2.3");

        final Run run = run("operator", "--health-port", "8081");

        assertThat(run.cliArgs()).containsExactly("operator", "--health-port", "8081");
    }

    @Test
    void shouldRefuseAnUnknownRoleWithUsageStatusNamingTheAllowedOnes() throws Exception {
        final Run run = run("trainer", "--host", "x");

        assertThat(run.exitCode()).isEqualTo(64);
        assertThat(run.javaArgs()).isEmpty();
        assertThat(run.stderr()).contains("'trainer'", "coordinator, worker, operator");
    }

    @Test
    void shouldRefuseAMissingRoleWithUsageStatus() throws Exception {
        final Run run = run();

        assertThat(run.exitCode()).isEqualTo(64);
        assertThat(run.stderr()).contains("no role given", "coordinator, worker, operator");
    }

    @Test
    void shouldPassHelpAndVersionToTheCli() throws Exception {
        assertThat(run("--help").cliArgs()).containsExactly("--help");
        assertThat(run("help").cliArgs()).containsExactly("--help");
        assertThat(run("version").cliArgs()).containsExactly("--version");
        assertThat(run("worker", "--help").cliArgs()).containsExactly("worker", "--help");
    }

    @Test
    void shouldNeverBuildInsideTheImage() throws Exception {
        final Run run = run("operator");

        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.stderr()).doesNotContain("building");
        assertThat(home.resolve("build-attempted")).doesNotExist();
        assertThat(run.jvmArgs()).containsSubsequence("-cp", home.toRealPath() + "/deploy/target/zeroshard-deploy-x.jar:"
            + home.toRealPath() + "/deploy/target/lib/*");
    }
}
