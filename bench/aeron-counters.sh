#!/usr/bin/env bash
# Prints the system counters of the Aeron media drivers running now under a base directory (by default
# /dev/shm, where embedded drivers live): bytes, NAKs, retransmits, loss gap fills, flow-control limits.
# Run it while a benchmark or a job runs, e.g. during
#   bin/zeroshard bench collectives --ranks 4 --sizes 256MiB --op allgather --transport udp --iters 150
#
#   bench/aeron-counters.sh [base directory]
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
base="${1:-/dev/shm}"
lib="$root/deploy/target/lib"
classpath="$(ls "$lib"/aeron-client-*.jar "$lib"/agrona-*.jar | tr '\n' ':')"
shopt -s nullglob
directories=("$base"/zeroshard-aeron-*)
if [ ${#directories[@]} -eq 0 ]; then
    echo "no zeroshard Aeron directory under $base" >&2
    exit 1
fi
exec java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp "$classpath" \
    "$root/bench/AeronCounters.java" "${directories[@]}"
