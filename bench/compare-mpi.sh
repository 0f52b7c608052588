#!/usr/bin/env bash
# Compares zeroshard's ring collectives with OpenMPI's on the same sizes, in one run.
#
#   bench/compare-mpi.sh [--ranks 2,4] [--sizes 64MiB,256MiB]
#
# MPI side: bench/mpi_collectives.c, built with mpicc into bench/target/, timing MPI_Allreduce,
# MPI_Reduce_scatter_block and MPI_Allgather on float buffers (warm-up, then the median of the
# iterations, the slowest rank's time; nccl-tests busbw factors), run with
#   mpirun --allow-run-as-root --oversubscribe -np N --mca btl self,vader   (shared memory, "shm")
#   mpirun --allow-run-as-root --oversubscribe -np N --mca btl self,tcp     ("tcp", over loopback)
# Both with glibc's malloc kept from returning memory to the kernel (MALLOC_MMAP_MAX_=0,
# MALLOC_TRIM_THRESHOLD_ at its maximum, passed with -x): OpenMPI's reductions allocate a temporary
# buffer of the message's size on every call, and with glibc's defaults each one is a fresh mmap whose
# pages fault in again, which measured here cut MPI_Allreduce's busbw by 10x (0.12 vs 1.5 GB/s).
# zeroshard side: `bin/zeroshard bench collectives ... --transport ipc,udp --json` (ranks as threads of
# one JVM). The table puts ipc next to shm and udp next to tcp, with the ratio zeroshard / MPI, and
# each busbw as a fraction of the machine's memcpy bandwidth (measured here by the C program on one
# copy of the largest size, bytes / time).
#
# Environment: ZEROSHARD (default bin/zeroshard), ZEROSHARD_JAVA_OPTS (default -Xmx4g),
# ZEROSHARD_SKIP_BUILD (passed to the launcher), MPICC (default mpicc), MPIRUN (default mpirun).
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
zeroshard="${ZEROSHARD:-$root/bin/zeroshard}"
mpicc="${MPICC:-mpicc}"
mpirun="${MPIRUN:-mpirun}"
ranks="2,4"
sizes="64MiB,256MiB"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --ranks) ranks="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare-mpi: unknown argument $1 (expected --ranks or --sizes)" >&2; exit 2 ;;
  esac
done

if ! command -v "$mpicc" >/dev/null 2>&1 || ! command -v "$mpirun" >/dev/null 2>&1; then
  echo "compare-mpi: $mpicc or $mpirun not found; install OpenMPI with" >&2
  echo "  apt-get install -y libopenmpi-dev openmpi-bin" >&2
  exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "compare-mpi: python3 is needed to print the table" >&2
  exit 1
fi

# sizes such as 64MiB, 1GiB, 4096 -> bytes
to_bytes() {
  local s="$1" n
  case "$s" in
    *GiB) n="${s%GiB}"; echo $((n * 1024 * 1024 * 1024)) ;;
    *MiB) n="${s%MiB}"; echo $((n * 1024 * 1024)) ;;
    *KiB) n="${s%KiB}"; echo $((n * 1024)) ;;
    *) echo "$s" ;;
  esac
}
byte_sizes=""
largest=0
IFS=',' read -r -a size_list <<<"$sizes"
for s in "${size_list[@]}"; do
  b="$(to_bytes "$s")"
  byte_sizes="${byte_sizes:+$byte_sizes,}$b"
  (( b > largest )) && largest="$b"
done

out="$root/bench/target"
mkdir -p "$out"
binary="$out/mpi_collectives"
"$mpicc" -O2 -Wall -o "$binary" "$root/bench/mpi_collectives.c"

results="$(mktemp "${TMPDIR:-/tmp}/compare-mpi.XXXXXX.jsonl")"
trap 'rm -f "$results"' EXIT

echo "compare-mpi: memcpy bandwidth ($largest bytes)..." >&2
"$binary" memcpy "$largest" >>"$results"

IFS=',' read -r -a rank_list <<<"$ranks"
for n in "${rank_list[@]}"; do
  for pair in shm:self,vader tcp:self,tcp; do
    label="${pair%%:*}"
    btl="${pair#*:}"
    echo "compare-mpi: OpenMPI $label, $n ranks..." >&2
    "$mpirun" --allow-run-as-root --oversubscribe -np "$n" --mca btl "$btl" \
      -x MALLOC_MMAP_MAX_=0 -x MALLOC_TRIM_THRESHOLD_=18446744073709551615 \
      "$binary" "$label" "$byte_sizes" >>"$results"
  done
done

echo "compare-mpi: zeroshard, ranks $ranks..." >&2
ZEROSHARD_JAVA_OPTS="${ZEROSHARD_JAVA_OPTS:--Xmx4g}" ZEROSHARD_SKIP_BUILD="${ZEROSHARD_SKIP_BUILD:-0}" \
  "$zeroshard" bench collectives --ranks "$ranks" --sizes "$sizes" --op allreduce,reducescatter,allgather \
  --transport ipc,udp --json | grep '^{' >>"$results"

python3 - "$results" <<'PY'
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
memcpy = next(r["gbps"] for r in rows if r.get("impl") == "memcpy")
mpi = {(r["transport"], r["op"], r["ranks"], r["bytes"]): r for r in rows if r.get("impl") == "mpi"}
ours = {(r["transport"], r["op"], r["ranks"], r["bytes"]): r for r in rows if "impl" not in r}
pairs = [("ipc", "shm"), ("udp", "tcp")]

print(f"# busbw in GB/s (1e9 B/s), nccl-tests definitions; memcpy bandwidth {memcpy:.2f} GB/s; "
      "'/mem' = busbw / memcpy")
print(f"{'op':>13} {'ranks':>5} {'MiB':>5} | {'zs':>4} {'busbw':>6} {'/mem':>5} | {'mpi':>4} {'busbw':>6} "
      f"{'/mem':>5} | {'ratio':>5}")
for op in ("allreduce", "reducescatter", "allgather"):
    for n in sorted({k[2] for k in mpi}):
        for size in sorted({k[3] for k in mpi}):
            for z, m in pairs:
                a = ours.get((z, op, n, size))
                b = mpi.get((m, op, n, size))
                if a is None or b is None:
                    continue
                za, mb = a["busbw_gbps"], b["busbw_gbps"]
                ratio = za / mb if mb > 0 else float("nan")
                print(f"{op:>13} {n:>5} {size // (1024 * 1024):>5} | {z:>4} {za:6.3f} {za / memcpy:5.2f} | "
                      f"{m:>4} {mb:6.3f} {mb / memcpy:5.2f} | {ratio:5.2f}x")
PY
