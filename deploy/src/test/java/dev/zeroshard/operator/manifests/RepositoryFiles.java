package dev.zeroshard.operator.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The repository checkout the tests run in, and its YAML files parsed into documents. */
final class RepositoryFiles {
    /** Directories never searched for YAML: build outputs, VCS data, JavaScript dependencies. */
    private static final Set<String> SKIPPED_DIRECTORIES = Set.of("target", ".git", "node_modules");
    private static final YAMLMapper YAML = new YAMLMapper();

    /** One document of a (possibly multi-document) YAML file; {@code index} counts from 0. */
    record YamlDocument(Path file, int index, JsonNode content) {
        String apiVersion() {
            return content.path("apiVersion").asText("");
        }

        String kind() {
            return content.path("kind").asText("");
        }

        String name() {
            return content.path("metadata").path("name").asText("");
        }

        /** "deploy/k8s/x.yaml#1 (Kind name)": where a problem is, for messages. */
        String describe() {
            return root().relativize(file) + "#" + index + (kind().isEmpty() ? "" : " (" + kind() + " " + name() + ")");
        }
    }

    private RepositoryFiles() {
    }

    /** The repository root: the nearest directory above the working directory that holds {@code mvnw} and {@code deploy/}. */
    static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("deploy"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root (a directory with mvnw and deploy/) above "
            + Path.of("").toAbsolutePath());
    }

    /** Every {@code *.yaml} and {@code *.yml} file of the repository, outside build outputs and VCS data, sorted. */
    static List<Path> yamlFiles() {
        final List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(root(), new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(final Path dir, final BasicFileAttributes attrs) {
                    return SKIPPED_DIRECTORIES.contains(dir.getFileName().toString())
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) {
                    final String name = file.getFileName().toString();
                    if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                        files.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (final IOException ex) {
            throw new UncheckedIOException(ex);
        }
        files.sort(null);
        return files;
    }

    /** The non-empty documents of one YAML file, in order; a parse error names the file. */
    static List<YamlDocument> documents(final Path file) {
        final List<YamlDocument> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            int index = 0;
            while (it.hasNextValue()) {
                final JsonNode content = it.nextValue();
                if (content != null && !content.isNull() && !content.isMissingNode()) {
                    documents.add(new YamlDocument(file, index, content));
                }
                index++;
            }
        } catch (final IOException ex) {
            throw new IllegalStateException(root().relativize(file) + " is not valid YAML: " + ex.getMessage(), ex);
        }
        return documents;
    }

    /** The documents of every YAML file of the repository. */
    static List<YamlDocument> allDocuments() {
        final List<YamlDocument> documents = new ArrayList<>();
        yamlFiles().forEach(file -> documents.addAll(documents(file)));
        return documents;
    }

    /** The single document of a one-document YAML file. */
    static JsonNode single(final Path file) {
        final List<YamlDocument> documents = documents(file);
        if (documents.size() != 1) {
            throw new IllegalStateException(root().relativize(file) + " holds " + documents.size()
                + " documents, expected 1");
        }
        return documents.get(0).content();
    }
}
