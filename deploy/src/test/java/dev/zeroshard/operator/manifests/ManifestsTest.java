package dev.zeroshard.operator.manifests;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroshard.operator.manifests.RepositoryFiles.YamlDocument;
import dev.zeroshard.protocol.config.ConfigException;
import dev.zeroshard.protocol.job.JobSpecs;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.schema.CoreSchema;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The static Kubernetes manifests ({@code deploy/k8s}), checked without a cluster: every YAML file parses; the
 * committed CRDs are the ones generated from the Java types; every ZeroCluster and ZeroJob passes its CRD's schema
 * and every job the coordinator's own job-spec rules; the Kustomize base installs exactly the CRDs and the
 * operator; the operator's ClusterRole covers everything it creates; the operator's Deployment matches the image.
 */
class ManifestsTest {
    private static final Path ROOT = RepositoryFiles.root();
    private static final Path K8S = ROOT.resolve("deploy/k8s");
    private static final Path COMMITTED_CRDS = K8S.resolve("crds");
    private static final Path EXAMPLES = K8S.resolve("examples");
    private static final Path GENERATED_CRDS = ROOT.resolve("deploy/target/classes/META-INF/fabric8");
    private static final String REFRESH_CRDS = "refresh the committed copies with:\n"
        + "  ./mvnw -B -q -pl deploy -am process-classes && cp deploy/target/classes/META-INF/fabric8/*.yml deploy/k8s/crds/";
    private static final String GROUP = "zeroshard.dev";
    private static final String IMAGE = "zeroshard:0.1.0";
    /** The uid and gid the Dockerfile gives the image's user. */
    private static final Pattern DOCKERFILE_USER = Pattern.compile("(?m)^USER\\s+(\\d+):(\\d+)\\s*$");
    private static final Pattern DOCKERFILE_EXPOSE = Pattern.compile("(?m)^EXPOSE\\s+(.+)$");

    private static final ObjectMapper INTROSPECTION = new ObjectMapper();

    private static final Set<String> READ = Set.of("get", "list", "watch");
    private static final Set<String> MANAGE = Set.of("get", "list", "watch", "create", "update", "patch", "delete");

    /** A permission the operator needs: verbs on a resource of an API group ("" is the core group). */
    private record Permission(String group, String resource, Set<String> verbs, String why) {
    }

    // ---- parsing -------------------------------------------------------------------------------------------

    @Test
    void shouldParseEveryYamlDocumentOfTheRepository() {
        final List<Path> files = RepositoryFiles.yamlFiles();
        assertThat(files).as("YAML files of the repository").contains(K8S.resolve("kustomization.yaml"));

        final List<YamlDocument> documents = RepositoryFiles.allDocuments();

        assertThat(documents).isNotEmpty();
        final List<String> problems = new ArrayList<>();
        for (final YamlDocument document : documents) {
            if (document.file().startsWith(K8S)
                && (!document.content().isObject() || document.apiVersion().isEmpty() || document.kind().isEmpty())) {
                problems.add(document.describe() + ": a manifest must be a mapping with apiVersion and kind");
            }
        }
        assertThat(problems).isEmpty();
    }

    /**
     * kubectl reads YAML as 1.1 (yes/on are booleans, 0755 octal, 2001-12-14 a timestamp), Kustomize as 1.2 (all
     * of those strings): a manifest must mean the same to both.
     */
    @Test
    void shouldMeanTheSameToYaml11AndYaml12Readers() throws IOException {
        final List<String> problems = new ArrayList<>();
        final LoadSettings core = LoadSettings.builder().setSchema(new CoreSchema()).build();
        for (final Path file : RepositoryFiles.yamlFiles()) {
            if (!file.startsWith(K8S)) {
                continue;
            }
            final String text = Files.readString(file);
            final List<Object> yaml11 = new ArrayList<>();
            new Yaml().loadAll(text).forEach(yaml11::add);
            final List<Object> yaml12 = new ArrayList<>();
            new Load(core).loadAllFromString(text).forEach(yaml12::add);
            difference(normalized(yaml11), normalized(yaml12), "YAML 1.1", "YAML 1.2", "")
                .ifPresent(where -> problems.add(ROOT.relativize(file) + " " + where
                    + ": read differently as YAML 1.1 and 1.2; quote the value"));
        }
        assertThat(problems).isEmpty();
    }

    // ---- CRDs ------------------------------------------------------------------------------------------------

    @Test
    void shouldCommitExactlyTheCrdsGeneratedFromTheJavaTypes() throws IOException {
        assertThat(GENERATED_CRDS).as("the CRD generator's output (the build's process-classes phase)").isDirectory();
        final Set<String> generated = crdFileNames(GENERATED_CRDS);
        final Set<String> committed = crdFileNames(COMMITTED_CRDS);
        assertThat(generated).as("generated CRDs").isNotEmpty();

        assertThat(committed).as("deploy/k8s/crds must hold exactly the generated CRDs; " + REFRESH_CRDS)
            .isEqualTo(generated);
        final List<String> drifted = new ArrayList<>();
        for (final String name : generated) {
            difference(tree(RepositoryFiles.single(COMMITTED_CRDS.resolve(name))),
                tree(RepositoryFiles.single(GENERATED_CRDS.resolve(name))), "committed", "generated", "")
                .ifPresent(where -> drifted.add("deploy/k8s/crds/" + name + " " + where));
        }
        assertThat(drifted).as("committed CRDs that differ from the ones generated from the Java types; "
            + REFRESH_CRDS).isEmpty();
    }

    @Test
    void shouldValidateEveryCustomResourceAgainstItsCrdSchema() {
        final Map<String, JsonNode> crdsByKind = generatedCrdsByKind();
        final List<String> problems = new ArrayList<>();
        final Set<String> validated = new TreeSet<>();
        for (final YamlDocument document : customResources()) {
            final JsonNode crd = crdsByKind.get(document.kind());
            final String version = document.apiVersion().substring(GROUP.length() + 1);
            if (crd == null) {
                problems.add(document.describe() + ": no CRD of group " + GROUP + " has kind " + document.kind()
                    + " (kinds: " + crdsByKind.keySet() + ")");
                continue;
            }
            if (!servedVersions(crd).contains(version)) {
                problems.add(document.describe() + ": apiVersion " + document.apiVersion() + " is not served (served: "
                    + servedVersions(crd) + ")");
                continue;
            }
            StructuralSchemaValidator.forCrd(crd, version).validate(document.content())
                .forEach(error -> problems.add(document.describe() + ": " + error));
            validated.add(ROOT.relativize(document.file()) + " " + document.kind() + "/" + document.name());
        }

        assertThat(problems).isEmpty();
        assertThat(validated).as("custom resources validated").contains(
            "deploy/k8s/examples/zerocluster-cpu.yaml ZeroCluster/demo",
            "deploy/k8s/examples/zerocluster-gpu.yaml ZeroCluster/gpu",
            "deploy/k8s/examples/zerojob-demo.yaml ZeroJob/demo",
            "deploy/k8s/examples/zerojob-gpt2-124m.yaml ZeroJob/gpt2-124m");
    }

    /**
     * Beyond the schema: each example job is a job spec the coordinator accepts (model, data, the DeepSpeed
     * config resolved for its world size and steps), on a cluster defined beside it that has the workers and
     * the backend it asks for.
     */
    @Test
    void shouldResolveEveryExampleJobWithTheJobSpecRulesOnAClusterThatFitsIt() {
        final List<YamlDocument> examples = customResources().stream()
            .filter(document -> document.file().startsWith(EXAMPLES)).toList();
        final Map<String, JsonNode> clusters = examples.stream().filter(document -> document.kind().equals("ZeroCluster"))
            .collect(Collectors.toMap(YamlDocument::name, YamlDocument::content));
        final List<YamlDocument> jobs = examples.stream().filter(document -> document.kind().equals("ZeroJob")).toList();
        assertThat(jobs).as("example ZeroJobs").hasSizeGreaterThanOrEqualTo(2);

        final List<String> problems = new ArrayList<>();
        for (final YamlDocument job : jobs) {
            final ObjectNode spec = job.content().get("spec").deepCopy();
            final String clusterName = spec.path("clusterRef").path("name").asText();
            spec.remove("clusterRef");
            spec.put("name", job.name());
            final JsonNode cluster = clusters.get(clusterName);
            if (!spec.path("checkpoint").has("dir")) {
                // what the operator fills in: <the cluster's checkpoints.mountPath>/jobs/<namespace>/<job>
                final String mountPath = cluster == null ? "/checkpoints"
                    : cluster.at("/spec/checkpoints/mountPath").asText("/checkpoints");
                spec.withObjectProperty("checkpoint").put("dir", mountPath + "/jobs/default/" + job.name());
            }
            try {
                JobSpecs.readJson(spec.toString());
            } catch (final ConfigException invalid) {
                invalid.errors().forEach(error -> problems.add(job.describe() + ": job spec " + error));
            }
            if (cluster == null) {
                problems.add(job.describe() + ": clusterRef.name " + clusterName + " names no ZeroCluster of the examples "
                    + clusters.keySet());
                continue;
            }
            final int replicas = cluster.at("/spec/workers/replicas").asInt();
            if (spec.path("worldSize").asInt(1) > replicas) {
                problems.add(job.describe() + ": worldSize " + spec.path("worldSize").asInt(1) + " > the "
                    + replicas + " workers of ZeroCluster " + clusterName);
            }
            final String jobBackend = spec.path("backend").asText("auto");
            final String clusterBackend = cluster.at("/spec/workers/backend").asText("auto");
            if (!jobBackend.equals("auto") && !clusterBackend.equals("auto") && !jobBackend.equals(clusterBackend)) {
                problems.add(job.describe() + ": backend " + jobBackend + " on ZeroCluster " + clusterName
                    + " whose workers run " + clusterBackend);
            }
        }
        assertThat(problems).isEmpty();
    }

    // ---- the Kustomize base ------------------------------------------------------------------------------------

    @Test
    void shouldInstallExactlyTheCrdsAndTheOperatorFromTheKustomization() throws IOException {
        final JsonNode kustomization = RepositoryFiles.single(K8S.resolve("kustomization.yaml"));
        assertThat(kustomization.path("kind").asText()).isEqualTo("Kustomization");
        final List<String> resources = new ArrayList<>();
        kustomization.path("resources").forEach(resource -> resources.add(resource.asText()));

        assertThat(resources).as("resources of deploy/k8s/kustomization.yaml").doesNotHaveDuplicates()
            .allSatisfy(resource -> assertThat(K8S.resolve(resource)).as(resource).isRegularFile());
        final Set<String> installable = new TreeSet<>();
        for (final String dir : List.of("crds", "operator")) {
            try (Stream<Path> files = Files.list(K8S.resolve(dir))) {
                files.filter(file -> file.toString().matches(".*\\.ya?ml")).forEach(file -> installable.add(dir + "/"
                    + file.getFileName()));
            }
        }
        assertThat(new TreeSet<>(resources)).as("every file of deploy/k8s/crds and deploy/k8s/operator, and nothing else "
            + "(examples are applied by hand)").isEqualTo(installable);
        assertThat(kustomization.path("images").findValuesAsText("name")).containsExactly(imageName(IMAGE));
        assertThat(kustomization.path("images").findValuesAsText("newTag")).containsExactly(imageTag(IMAGE));
    }

    // ---- the operator's RBAC and Deployment ---------------------------------------------------------------------

    @Test
    void shouldGrantTheOperatorEveryPermissionItNeedsAndNoWildcards() {
        final JsonNode clusterRole = installed("ClusterRole", "zeroshard-operator");
        final List<Permission> needed = new ArrayList<>();
        for (final JsonNode crd : generatedCrdsByKind().values()) {
            final String plural = crd.at("/spec/names/plural").asText();
            needed.add(new Permission(GROUP, plural, MANAGE, "reconcile and finalize"));
            needed.add(new Permission(GROUP, plural + "/status", Set.of("get", "update", "patch"), "write status"));
            needed.add(new Permission(GROUP, plural + "/finalizers", Set.of("update"),
                "owner references with blockOwnerDeletion"));
        }
        for (final String resource : List.of("deployments", "statefulsets")) {
            needed.add(new Permission("apps", resource, MANAGE, "coordinator Deployment, worker StatefulSet"));
        }
        for (final String resource : List.of("services", "configmaps", "secrets", "serviceaccounts")) {
            needed.add(new Permission("", resource, MANAGE, "objects of a ZeroCluster"));
        }
        needed.add(new Permission("", "pods", READ, "the pod-reader Role it grants (RBAC escalation rule)"));
        for (final String resource : List.of("roles", "rolebindings")) {
            needed.add(new Permission("rbac.authorization.k8s.io", resource, MANAGE, "Akka discovery's RBAC"));
        }
        needed.add(new Permission("", "events", Set.of("create", "patch"), "Events"));
        needed.add(new Permission("events.k8s.io", "events", Set.of("create", "patch"), "Events"));
        needed.add(new Permission("coordination.k8s.io", "leases", Set.of("get", "create", "update"), "leader election"));

        final List<String> missing = new ArrayList<>();
        for (final Permission permission : needed) {
            for (final String verb : permission.verbs()) {
                if (!allows(clusterRole.path("rules"), permission.group(), permission.resource(), verb)) {
                    missing.add(verb + " " + (permission.group().isEmpty() ? "" : permission.group() + "/")
                        + permission.resource() + " (" + permission.why() + ")");
                }
            }
        }
        assertThat(missing).as("permissions the operator's ClusterRole lacks").isEmpty();
        assertThat(clusterRole.path("rules").findValues("verbs").stream().flatMap(verbs -> texts(verbs).stream()))
            .as("verbs").doesNotContain("*");
        assertThat(clusterRole.path("rules").findValues("resources").stream().flatMap(resources -> texts(resources).stream()))
            .as("resources").doesNotContain("*");
    }

    @Test
    void shouldBindTheClusterRoleToTheServiceAccountTheOperatorRunsAs() {
        final JsonNode namespace = installed("Namespace", "zeroshard-system");
        final JsonNode serviceAccount = installed("ServiceAccount", "zeroshard-operator");
        final JsonNode binding = installed("ClusterRoleBinding", "zeroshard-operator");
        final JsonNode deployment = installed("Deployment", "zeroshard-operator");
        final String ns = namespace.at("/metadata/name").asText();

        assertThat(serviceAccount.at("/metadata/namespace").asText()).isEqualTo(ns);
        assertThat(deployment.at("/metadata/namespace").asText()).isEqualTo(ns);
        assertThat(binding.at("/roleRef/kind").asText()).isEqualTo("ClusterRole");
        assertThat(binding.at("/roleRef/name").asText()).isEqualTo(installed("ClusterRole", "zeroshard-operator")
            .at("/metadata/name").asText());
        assertThat(binding.path("subjects")).hasSize(1);
        assertThat(binding.at("/subjects/0/kind").asText()).isEqualTo("ServiceAccount");
        assertThat(binding.at("/subjects/0/name").asText()).isEqualTo(serviceAccount.at("/metadata/name").asText());
        assertThat(binding.at("/subjects/0/namespace").asText()).isEqualTo(ns);
        assertThat(deployment.at("/spec/template/spec/serviceAccountName").asText())
            .isEqualTo(serviceAccount.at("/metadata/name").asText());
    }

    @Test
    void shouldRunTheOperatorAsTheImagesNonRootUserWithHealthProbesAndAWritableTmp() throws IOException {
        final JsonNode deployment = installed("Deployment", "zeroshard-operator");
        final JsonNode pod = deployment.at("/spec/template/spec");
        final JsonNode container = pod.at("/containers/0");
        final String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        final Matcher user = DOCKERFILE_USER.matcher(dockerfile);
        assertThat(user.find()).as("Dockerfile: USER uid:gid").isTrue();

        assertThat(deployment.at("/spec/selector/matchLabels")).isNotEmpty();
        deployment.at("/spec/selector/matchLabels").fields().forEachRemaining(label -> assertThat(
            deployment.at("/spec/template/metadata/labels").path(label.getKey())).isEqualTo(label.getValue()));
        assertThat(pod.path("containers")).hasSize(1);
        assertThat(container.path("image").asText()).isEqualTo(IMAGE);
        assertThat(container.at("/args/0").asText()).isEqualTo("operator");
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsUser").asText()).isEqualTo(user.group(1));
        assertThat(pod.at("/securityContext/runAsGroup").asText()).isEqualTo(user.group(2));
        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(container.at("/resources/requests/memory").isMissingNode()).as("memory request").isFalse();
        assertThat(container.at("/resources/limits/memory").isMissingNode()).as("memory limit").isFalse();

        final Optional<String> tmpVolume = findByField(container.path("volumeMounts"), "mountPath", "/tmp")
            .map(mount -> mount.path("name").asText());
        assertThat(tmpVolume).as("a volume mounted at /tmp (the root file system is read-only)").isPresent();
        assertThat(findByField(pod.path("volumes"), "name", tmpVolume.get()))
            .hasValueSatisfying(volume -> assertThat(volume.has("emptyDir")).as("/tmp is an emptyDir").isTrue());

        final List<String> args = texts(container.path("args"));
        final int healthPortArg = args.indexOf("--health-port");
        assertThat(healthPortArg).as("operator args %s name --health-port", args).isPositive();
        final int healthPort = Integer.parseInt(args.get(healthPortArg + 1));
        final Map<String, Integer> ports = new HashMap<>();
        container.path("ports").forEach(port -> ports.put(port.path("name").asText(), port.path("containerPort").asInt()));
        for (final String probe : List.of("livenessProbe", "readinessProbe")) {
            final JsonNode httpGet = container.path(probe).path("httpGet");
            assertThat(httpGet.path("path").asText()).as(probe + " path").isEqualTo("/healthz");
            final JsonNode port = httpGet.path("port");
            assertThat(port.isInt() ? port.asInt() : ports.get(port.asText())).as(probe + " port").isEqualTo(healthPort);
        }
        final Matcher expose = DOCKERFILE_EXPOSE.matcher(dockerfile);
        assertThat(expose.find()).as("Dockerfile: EXPOSE").isTrue();
        assertThat(expose.group(1).trim().split("\\s+")).as("Dockerfile EXPOSE")
            .contains(Integer.toString(healthPort), "8080", "25520", "8558");
    }

    @Test
    void shouldNameOneImageEverywhere() {
        final List<String> images = new ArrayList<>();
        for (final YamlDocument document : RepositoryFiles.allDocuments()) {
            if (!document.file().startsWith(K8S)) {
                continue;
            }
            if (document.kind().equals("CustomResourceDefinition")) {
                continue;
            }
            document.content().findValues("image").forEach(image -> images.add(document.describe() + " " + image));
        }
        assertThat(images).as("images named by deploy/k8s").hasSizeGreaterThanOrEqualTo(3)
            .allSatisfy(image -> assertThat(image).endsWith(" \"" + IMAGE + "\""));
    }

    /**
     * Every built-in object (Deployment, ClusterRole, PVC...) maps onto the fabric8 model of its kind with no field
     * left over: a misspelt field ({@code readinesProbe}) or an unknown kind fails here, not at kubectl apply.
     */
    @Test
    void shouldUseOnlyKnownKindsAndFieldsInBuiltInObjects() {
        final KubernetesSerialization serialization = new KubernetesSerialization();
        final List<String> problems = new ArrayList<>();
        int checked = 0;
        for (final YamlDocument document : RepositoryFiles.allDocuments()) {
            final String group = document.apiVersion().contains("/") ? document.apiVersion().split("/")[0] : "";
            if (document.apiVersion().isEmpty() || document.kind().isEmpty() || group.equals(GROUP)
                || group.endsWith("config.k8s.io")) {
                continue;
            }
            final HasMetadata typed = serialization.unmarshal(document.content().toString());
            if (typed instanceof GenericKubernetesResource) {
                problems.add(document.describe() + ": unknown kind " + document.kind() + " in " + document.apiVersion());
                continue;
            }
            final List<String> leftovers = new ArrayList<>();
            unknownFields(typed, "", leftovers);
            leftovers.forEach(leftover -> problems.add(document.describe() + ": " + leftover));
            checked++;
        }
        assertThat(problems).isEmpty();
        assertThat(checked).as("built-in objects checked").isGreaterThanOrEqualTo(8);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static Set<String> crdFileNames(final Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.matches(".*\\.ya?ml"))
                .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Map<String, JsonNode> generatedCrdsByKind() {
        final Map<String, JsonNode> crds = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(GENERATED_CRDS)) {
            files.sorted().forEach(file -> {
                final JsonNode crd = RepositoryFiles.single(file);
                if (crd.at("/spec/group").asText().equals(GROUP)) {
                    crds.put(crd.at("/spec/names/kind").asText(), crd);
                }
            });
        } catch (final IOException ex) {
            throw new IllegalStateException("no generated CRDs in " + GENERATED_CRDS + "; run the build's "
                + "process-classes phase first", ex);
        }
        return crds;
    }

    private static Set<String> servedVersions(final JsonNode crd) {
        final Set<String> versions = new TreeSet<>();
        crd.at("/spec/versions").forEach(version -> {
            if (version.path("served").asBoolean(false)) {
                versions.add(version.path("name").asText());
            }
        });
        return versions;
    }

    private static List<YamlDocument> customResources() {
        return RepositoryFiles.allDocuments().stream()
            .filter(document -> document.apiVersion().startsWith(GROUP + "/")).toList();
    }

    /** The one document of kind {@code kind} and name {@code name} that the Kustomize base installs. */
    private static JsonNode installed(final String kind, final String name) {
        final JsonNode kustomization = RepositoryFiles.single(K8S.resolve("kustomization.yaml"));
        final List<JsonNode> found = new ArrayList<>();
        kustomization.path("resources").forEach(resource -> RepositoryFiles.documents(K8S.resolve(resource.asText()))
            .stream().filter(document -> document.kind().equals(kind) && document.name().equals(name))
            .forEach(document -> found.add(document.content())));
        assertThat(found).as("%s %s installed by deploy/k8s/kustomization.yaml", kind, name).hasSize(1);
        return found.get(0);
    }

    private static Optional<JsonNode> findByField(final JsonNode array, final String field, final String value) {
        for (final JsonNode element : array) {
            if (element.path(field).asText().equals(value)) {
                return Optional.of(element);
            }
        }
        return Optional.empty();
    }

    private static boolean allows(final JsonNode rules, final String group, final String resource, final String verb) {
        for (final JsonNode rule : rules) {
            if (rule.has("resourceNames")) {
                continue;
            }
            if (matches(rule.path("apiGroups"), group) && matches(rule.path("resources"), resource)
                && matches(rule.path("verbs"), verb)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(final JsonNode values, final String wanted) {
        final List<String> list = texts(values);
        return list.contains(wanted) || list.contains("*");
    }

    private static List<String> texts(final JsonNode array) {
        final List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }

    private static String imageName(final String image) {
        return image.substring(0, image.lastIndexOf(':'));
    }

    private static String imageTag(final String image) {
        return image.substring(image.lastIndexOf(':') + 1);
    }

    /** YAML values with numbers as BigDecimal and keys as strings, so that both readers' trees compare. */
    private static Object normalized(final Object value) {
        if (value instanceof Map<?, ?> map) {
            final Map<String, Object> normal = new LinkedHashMap<>();
            map.forEach((key, item) -> normal.put(String.valueOf(key), normalized(item)));
            return normal;
        }
        if (value instanceof Collection<?> list) {
            return list.stream().map(ManifestsTest::normalized).toList();
        }
        if (value instanceof Number number) {
            try {
                return new BigDecimal(number.toString()).stripTrailingZeros();
            } catch (final NumberFormatException notFinite) {
                return number.toString();
            }
        }
        return value;
    }

    /** Where two normalized trees first differ ("at spec.x: YAML 1.1 reads Boolean true, YAML 1.2 reads String yes"). */
    private static Optional<String> difference(final Object left, final Object right, final String leftName,
        final String rightName, final String path) {
        if (left instanceof Map<?, ?> a && right instanceof Map<?, ?> b) {
            if (!a.keySet().equals(b.keySet())) {
                return Optional.of("at " + (path.isEmpty() ? "(root)" : path) + ": " + leftName + " has keys " + a.keySet()
                    + ", " + rightName + " " + b.keySet());
            }
            for (final Object key : a.keySet()) {
                final Optional<String> inner = difference(a.get(key), b.get(key), leftName, rightName,
                    path.isEmpty() ? key.toString() : path + "." + key);
                if (inner.isPresent()) {
                    return inner;
                }
            }
            return Optional.empty();
        }
        if (left instanceof List<?> a && right instanceof List<?> b && a.size() == b.size()) {
            for (int i = 0; i < a.size(); i++) {
                final Optional<String> inner = difference(a.get(i), b.get(i), leftName, rightName, path + "[" + i + "]");
                if (inner.isPresent()) {
                    return inner;
                }
            }
            return Optional.empty();
        }
        if (left == null ? right == null : left.equals(right)) {
            return Optional.empty();
        }
        return Optional.of("at " + path + ": " + leftName + " reads " + typed(left) + ", " + rightName + " reads "
            + typed(right));
    }

    /** A parsed document as plain maps, lists and (normalized) scalars. */
    private static Object tree(final JsonNode node) {
        return normalized(INTROSPECTION.convertValue(node, Object.class));
    }

    private static String typed(final Object value) {
        return value == null ? "null" : value.getClass().getSimpleName() + " " + value;
    }

    /** Adds "path: unknown field(s) [...]" for every fabric8 model object under {@code value} with leftovers. */
    private static void unknownFields(final Object value, final String path, final List<String> problems) {
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (final Object item : list) {
                unknownFields(item, path + "[" + i++ + "]", problems);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> unknownFields(item, path + "." + key, problems));
            return;
        }
        if (value == null || value instanceof Quantity || value instanceof IntOrString
            || !value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        final BeanDescription bean = INTROSPECTION.getSerializationConfig()
            .introspect(INTROSPECTION.constructType(value.getClass()));
        for (final BeanPropertyDefinition property : bean.findProperties()) {
            final AnnotatedMember accessor = property.getAccessor();
            if (accessor != null) {
                unknownFields(accessor.getValue(value), path.isEmpty() ? property.getName()
                    : path + "." + property.getName(), problems);
            }
        }
        final AnnotatedMember anyGetter = bean.findAnyGetter();
        if (anyGetter != null && anyGetter.getValue(value) instanceof Map<?, ?> extra && !extra.isEmpty()) {
            problems.add((path.isEmpty() ? "(root)" : path) + ": unknown field(s) " + extra.keySet());
        }
    }
}
