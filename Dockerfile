# The zeroshard image: one image that runs as coordinator, worker or operator by its first argument
# (deploy/docker/entrypoint.sh). Build from the repository root:
#
#   docker build -t zeroshard:0.1.0 .
#
# Needs BuildKit (the default builder of Docker 23 and later; podman and buildah work too) for the cache
# mount that keeps the Maven repository between builds. The native libraries on the class path (OpenBLAS,
# oneDNN) are linux-x86_64 builds, so the image is linux/amd64.

# ---- build: the launcher's class path, built by the Maven Wrapper exactly as bin/zeroshard builds it ----
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
# The local Maven repository (and the Maven the wrapper fetches) lives in a cache mount rather than a
# layer: it survives source changes without resolving the dependency tree separately (dependency:go-offline
# misses what the protobuf plugin fetches at build time).
RUN --mount=type=cache,target=/root/.m2,sharing=locked \
    ./mvnw -B -q -DskipTests -pl deploy -am package
# Lay out /opt/zeroshard in two trees: third-party jars (they change rarely: their own layer) and ours.
RUN set -eu; \
    third_party=/stage/third-party/deploy/target/lib; \
    app=/stage/app; \
    mkdir -p "$third_party" "$app/bin" "$app/etc" "$app/deploy/target/lib"; \
    cp deploy/target/lib/*.jar "$third_party/"; \
    mv "$third_party"/zeroshard-*.jar "$app/deploy/target/lib/"; \
    cp deploy/target/zeroshard-deploy-*.jar "$app/deploy/target/"; \
    test "$(ls "$app"/deploy/target/*.jar | wc -l)" -eq 1; \
    touch "$app/deploy/target/lib/.built"; \
    cp bin/zeroshard deploy/docker/entrypoint.sh "$app/bin/"; \
    chmod 0755 "$app/bin/zeroshard" "$app/bin/entrypoint.sh"; \
    cp etc/jvm.properties "$app/etc/"; \
    cp -r examples "$app/examples"

# ---- runtime: a JRE, the launcher and its class path, a non-root user ----
FROM eclipse-temurin:17-jre
LABEL org.opencontainers.image.title="zeroshard" \
      org.opencontainers.image.description="ZeRO-sharded GPT training on the JVM: coordinator, worker and Kubernetes operator"

# uid/gid 10001: the operator's manifests and the pods it creates run as this user (runAsNonRoot).
RUN groupadd --gid 10001 zeroshard \
 && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/zeroshard --shell /usr/sbin/nologin zeroshard

COPY --from=build /stage/third-party/ /opt/zeroshard/
COPY --from=build /stage/app/ /opt/zeroshard/

# ZEROSHARD_SKIP_BUILD: the image holds no sources, bin/zeroshard runs what was built.
# ZEROSHARD_CONTAINER_JAVA_OPTS: heap from the container's memory limit (JDK 17 reads the cgroup limit),
# and a JVM out of heap exits so that Kubernetes restarts the pod instead of leaving it half alive. The
# entrypoint puts them before ZEROSHARD_JAVA_OPTS, which stays free for the user (and wins: it comes last).
# The JVM flags every zeroshard JVM needs are not here: they have one home, etc/jvm.properties.
ENV ZEROSHARD_HOME=/opt/zeroshard \
    ZEROSHARD_SKIP_BUILD=1 \
    ZEROSHARD_CONTAINER_JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError" \
    PATH=/opt/zeroshard/bin:$PATH

# 8080 coordinator REST, 25520 Akka artery, 8558 Akka Management (bootstrap, /ready, /alive),
# 8081 operator /healthz, 40123/udp a worker's Aeron ranks
EXPOSE 8080 25520 8558 8081 40123/udp

# Smoke test at build time: the JRE has every module etc/jvm.properties asks for (jdk.incubator.vector),
# the class path is complete enough to start the CLI, and the entrypoint works.
RUN /opt/zeroshard/bin/entrypoint.sh --version && rm -rf /tmp/hsperfdata_root

USER 10001:10001
WORKDIR /home/zeroshard
ENTRYPOINT ["/opt/zeroshard/bin/entrypoint.sh"]
CMD ["--help"]
