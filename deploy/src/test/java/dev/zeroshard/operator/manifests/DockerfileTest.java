package dev.zeroshard.operator.manifests;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What can be checked of the image without a container engine: the Dockerfile builds the way bin/zeroshard
 * does, keeps the JVM flags in their one home, runs the tested entrypoint as a non-root user, and its build
 * context keeps what the build needs.
 */
class DockerfileTest {
    private static final Path ROOT = RepositoryFiles.root();
    private static final Pattern LAUNCHER_BUILD = Pattern.compile("\\./mvnw [^)\\n]*package");
    private static final Pattern FROM = Pattern.compile("(?m)^FROM\\s+(\\S+)(?:\\s+AS\\s+(\\S+))?\\s*$");

    private static String dockerfile() throws IOException {
        return Files.readString(ROOT.resolve("Dockerfile"));
    }

    @Test
    void shouldBuildInAJdkStageWithTheLaunchersOwnCommandAndRunOnAJre() throws IOException {
        final Matcher launcher = LAUNCHER_BUILD.matcher(Files.readString(ROOT.resolve("bin/zeroshard")));
        assertThat(launcher.find()).as("bin/zeroshard's build command").isTrue();
        final List<String> stages = new ArrayList<>();
        final Matcher from = FROM.matcher(dockerfile());
        while (from.find()) {
            stages.add(from.group(1));
        }

        assertThat(stages).containsExactly("eclipse-temurin:17-jdk", "eclipse-temurin:17-jre");
        assertThat(dockerfile()).contains(launcher.group());
    }

    @Test
    void shouldLeaveTheJvmFlagsToEtcJvmProperties() throws IOException {
        final String flags = Files.readAllLines(ROOT.resolve("etc/jvm.properties")).stream()
            .filter(line -> line.startsWith("zeroshard.jvm.flags=")).findFirst().orElseThrow()
            .substring("zeroshard.jvm.flags=".length());
        final String dockerfile = dockerfile();

        assertThat(dockerfile).contains("cp etc/jvm.properties", "ZEROSHARD_SKIP_BUILD=1");
        for (final String flag : flags.trim().split("\\s+")) {
            if (flag.startsWith("-")) {
                assertThat(dockerfile).as("the Dockerfile repeats JVM flag %s of etc/jvm.properties", flag)
                    .doesNotContain(flag);
            }
        }
    }

    @Test
    void shouldRunTheEntrypointScriptAsANonRootUser() throws IOException {
        final String dockerfile = dockerfile();

        assertThat(dockerfile).containsPattern("(?m)^USER 10001:10001$")
            .containsPattern("(?m)^ENTRYPOINT \\[\"/opt/zeroshard/bin/entrypoint.sh\"]$")
            .contains("deploy/docker/entrypoint.sh \"$app/bin/\"");
        assertThat(ROOT.resolve("deploy/docker/entrypoint.sh")).isRegularFile();
    }

    @Test
    void shouldKeepEverythingTheBuildNeedsInTheBuildContext() throws IOException {
        final List<PathMatcher> ignored = new ArrayList<>();
        for (final String line : Files.readAllLines(ROOT.resolve(".dockerignore"))) {
            final String pattern = line.trim();
            if (!pattern.isEmpty() && !pattern.startsWith("#")) {
                assertThat(pattern).as(".dockerignore: exceptions (!) are not expected here").doesNotStartWith("!");
                ignored.add(FileSystems.getDefault().getPathMatcher("glob:" + pattern));
                if (pattern.startsWith("**/")) {
                    ignored.add(FileSystems.getDefault().getPathMatcher("glob:" + pattern.substring(3)));
                }
            }
        }
        final List<String> needed = new ArrayList<>(List.of("mvnw", ".mvn/wrapper/maven-wrapper.properties", "pom.xml",
            "etc/jvm.properties", "bin/zeroshard", "deploy/docker/entrypoint.sh", "examples/gpt2-demo.json",
            "deploy/src/main/java/dev/zeroshard/cli/ZeroshardCli.java"));
        try (var modules = Files.list(ROOT)) {
            modules.filter(dir -> Files.isRegularFile(dir.resolve("pom.xml")))
                .forEach(dir -> needed.add(ROOT.relativize(dir.resolve("pom.xml")).toString()));
        }

        for (final String file : needed) {
            for (Path prefix = Path.of(file); prefix != null; prefix = prefix.getParent()) {
                final Path checked = prefix;
                assertThat(ignored).as(".dockerignore excludes %s, which the build needs (%s)", checked, file)
                    .noneMatch(matcher -> matcher.matches(checked));
            }
        }
        assertThat(ignored).as(".dockerignore excludes target/ directories")
            .anyMatch(matcher -> matcher.matches(Path.of("deploy/target")))
            .anyMatch(matcher -> matcher.matches(Path.of("target")));
    }
}
