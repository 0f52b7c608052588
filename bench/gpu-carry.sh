#!/usr/bin/env bash
# Prepares .gpu-carry/ (ignored by git through .git/info/exclude) for bench/gpu-check.sh on a GPU machine that has
# no Java and no Maven: the worker's classes and test classes (with the kernels' fatbin where nvcc is here), the
# jars the GPU tests and the benchmark need, JUnit's console launcher, and a Java runtime made by jlink from this
# machine's JDK. The JCuda natives jar is repacked with the driver binding only (its PTX compiler alone is 24 MB).
# Then it checks the carried runtime and class path by running two CPU test classes with them.
# Usage, from anywhere: bench/gpu-carry.sh    then, with the device tool: carry [".gpu-carry"], command
# "bash bench/gpu-check.sh". The carried tree must stay under 64 MiB with the working tree; this prints its size.
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
out="$root/.gpu-carry"
cd "$root"

mkdir -p .git/info
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || echo '/.gpu-carry/' >> .git/info/exclude

./mvnw -B -q -o -pl worker -am install -DskipTests
./mvnw -B -q -o -pl worker test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/gpu-classpath.txt -Dmdep.includeScope=test
./mvnw -B -q -o dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.4 \
  -DoutputDirectory="$root/worker/target/gpu-launcher"

rm -rf "$out"
mkdir -p "$out/lib"
cp -r worker/target/classes "$out/classes"
cp -r worker/target/test-classes "$out/test-classes"
cp worker/target/gpu-launcher/junit-platform-console-standalone-*.jar "$out/lib/"
# what the CUDA tests and CudaBench load: the model, ops, optimizer and trainer (worker), layouts and bf16
# (sharding), DeepSpeed configs (protocol, protobuf, Jackson), checkpoint types the Trainer names, JCuda, AssertJ,
# and Aeron for the ZeRO engine's ring (ZeroCudaTest)
tr ':' '\n' < worker/target/gpu-classpath.txt | while read -r jar; do
  case "$(basename "$jar")" in
    zeroshard-protocol-*|zeroshard-sharding-*|zeroshard-checkpoints-*|protobuf-java-[0-9]*|jackson-core-*|\
    jackson-databind-*|jackson-annotations-*|jcuda-[0-9]*|assertj-core-*|slf4j-api-*|aeron-client-*|\
    aeron-driver-*|agrona-*)
      cp "$jar" "$out/lib/" ;;
    jcuda-natives-*)
      cp "$jar" "$out/lib/"
      zip -q -d "$out/lib/$(basename "$jar")" 'lib/libJNvPTXCompiler*' 'lib/libJNvrtc*' 'lib/libJCudaRuntime*' ;;
  esac
done

jdk="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
"$jdk/bin/jlink" --add-modules java.base,java.logging,jdk.unsupported,jdk.incubator.vector \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre"
# Debian's libjvm.so keeps its symbol table: 3 MB of the carry
if command -v strip >/dev/null 2>&1; then
  strip --strip-unneeded "$out/jre/lib/server/libjvm.so"
fi

# the carried runtime and class path must load what the GPU tests load: try the CPU side here
flags="$(sed -n 's/^zeroshard\.jvm\.flags=//p' etc/jvm.properties)"
# shellcheck disable=SC2086
"$out/jre/bin/java" $flags -Xmx2g -jar "$out"/lib/junit-platform-console-standalone-*.jar execute \
  -cp "$out/classes:$out/test-classes:$(ls "$out"/lib/*.jar | grep -v console-standalone | tr '\n' ':')" \
  --select-class dev.zeroshard.worker.model.CpuGptTest --select-class dev.zeroshard.worker.train.TrainerTest \
  --select-class dev.zeroshard.worker.backend.cuda.CudaKernelsTest --select-class dev.zeroshard.worker.backend.cuda.CudaGptTest \
  --select-class dev.zeroshard.worker.zero.ZeroCudaTest --disable-banner --details=summary >/tmp/gpu-carry-check.log 2>&1 \
  || { tail -n 40 /tmp/gpu-carry-check.log; echo "gpu-carry: the carried runtime failed the CPU check" >&2; exit 1; }
grep -E "tests (successful|failed|skipped)" /tmp/gpu-carry-check.log | sed 's/^/gpu-carry: check: /'

tree="$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -n 1 | cut -f1)"
untracked="$(git ls-files -z --others --exclude-standard | xargs -0 -r du -cb 2>/dev/null | tail -n 1 | cut -f1)"
carry="$(du -sb "$out" | cut -f1)"
echo "gpu-carry: $out is $((carry / 1048576)) MiB; with the working tree ($(((tree + ${untracked:-0}) / 1048576)) MiB)" \
  "$(((carry + tree + ${untracked:-0}) / 1048576)) MiB of the 64 MiB a device call carries"
