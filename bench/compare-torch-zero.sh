#!/usr/bin/env bash
# Compares zeroshard's ZeRO stages with PyTorch's data-parallel peers at N local ranks, in one run.
#
#   bench/compare-torch-zero.sh [--configs small[,gpt2s]] [--ranks 2[,4]] [--warmup 1] [--steps 3]
#                               [--torch-only]
#
# For each config C and rank count N, one after the other (never concurrently: they share the cores):
#   zeroshard: `bin/zeroshard bench zero --config C --ranks N --warmup W --steps S --json`
#              (stages 0, 1, 2, 3; N JVMs with cores/N compute threads each);
#   PyTorch:   bench/torch_ddp_step.py --configs C --ranks N --modes ddp,zero1 (DDP = stage 0,
#              DDP + ZeroRedundancyOptimizer = stage 1; no FSDP peer for stages 2/3 with Debian's
#              torch 1.13 on CPU, see that script's docstring), same threads per rank.
# Then prints one table: per config and N, step_s and tokens/s of zeroshard stages 0..3 and of
# PyTorch ddp and zero1. Step time = median over the timed steps of the slowest rank's step, on both
# sides; tokens/s = micro-batch * seq_len * N / step time. Both sides run bf16 mixed precision with
# fp32 master weights and AdamW, gradient buckets of 5e5 elements.
#
# PyTorch is /usr/bin/python3 (Debian's python3-torch) pinned to OpenBLAS as in bench/compare-torch.sh.
# Environment: PYTHON (default /usr/bin/python3), ZEROSHARD (default bin/zeroshard), OPENBLAS_DIR
# (default /usr/lib/<multiarch>/openblas-openmp), ZEROSHARD_SKIP_BUILD (passed to the launcher, which
# otherwise rebuilds when sources are newer than deploy/target/lib/.built).
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
zeroshard="${ZEROSHARD:-$root/bin/zeroshard}"
configs="small"
ranks="2"
warmup=1
steps=3
torch_only=0

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --configs) configs="$2"; shift 2 ;;
    --ranks) ranks="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --torch-only) torch_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare-torch-zero: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
for list in "$configs" "$ranks"; do
  if [[ ! "$list" =~ ^[a-z0-9]+(,[a-z0-9]+)*$ ]]; then
    echo "compare-torch-zero: bad list '$list' (comma-separated, no spaces)" >&2
    exit 2
  fi
done
if [[ ! "$ranks" =~ ^[0-9,]+$ || ! "$warmup" =~ ^[0-9]+$ || ! "$steps" =~ ^[1-9][0-9]*$ ]]; then
  echo "compare-torch-zero: --ranks, --warmup and --steps take numbers (steps >= 1)" >&2
  exit 2
fi

source "$root/bench/torch-openblas.sh"
require_torch compare-torch-zero torch.distributed
# bench/torch_ddp_step.py checks OpenBLAS again, in the parent and in every rank, and refuses otherwise.
pin_openblas

results="$(mktemp -d "${TMPDIR:-/tmp}/compare-torch-zero.XXXXXX")"
trap 'rm -rf "$results"' EXIT
touch "$results/zeroshard.jsonl" "$results/pytorch.jsonl"

zs_note=""
if [[ "$torch_only" == 1 ]]; then
  zs_note="zeroshard side skipped (--torch-only)"
elif [[ ! -x "$zeroshard" ]]; then
  zs_note="zeroshard side not run: $zeroshard is not executable"
elif ! "$zeroshard" bench zero --help >"$results/zs-help.txt" 2>&1; then
  # First, before anything is timed: the launcher may build here.
  zs_note="zeroshard side not run: '$zeroshard bench zero' is not available ($(tail -n 1 "$results/zs-help.txt"))"
fi

IFS=, read -r -a config_list <<<"$configs"
IFS=, read -r -a rank_list <<<"$ranks"
for c in "${config_list[@]}"; do
  for n in "${rank_list[@]}"; do
    if [[ -z "$zs_note" ]]; then
      echo "== zeroshard bench zero --config $c --ranks $n --warmup $warmup --steps $steps" >&2
      if "$zeroshard" bench zero --config "$c" --ranks "$n" --warmup "$warmup" --steps "$steps" --json \
          >"$results/zs-out.txt" 2>"$results/zs-err.txt"; then
        grep '^{' "$results/zs-out.txt" | tee -a "$results/zeroshard.jsonl" >&2 || true
      else
        echo "compare-torch-zero: zeroshard bench zero --config $c --ranks $n failed:" >&2
        tail -n 5 "$results/zs-err.txt" >&2
      fi
    fi
    echo "== PyTorch torch_ddp_step.py --configs $c --ranks $n" >&2
    if ! "$python" "$root/bench/torch_ddp_step.py" --configs "$c" --ranks "$n" --modes ddp,zero1 \
        --warmup "$warmup" --steps "$steps" >"$results/pt-out.txt" 2>"$results/pt-err.txt"; then
      echo "compare-torch-zero: torch_ddp_step.py --configs $c --ranks $n failed:" >&2
      tail -n 5 "$results/pt-err.txt" >&2
    fi
    grep '^{' "$results/pt-out.txt" | tee -a "$results/pytorch.jsonl" >&2 || true
  done
done

"$python" - "$root" "$results" "$zs_note" <<'PY'
import os, sys
root, results, zs_note = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(root, "bench"))
from bench_results import fmt, read_jsonl

zs_rows = read_jsonl(results, "zeroshard.jsonl", "compare-torch-zero")
pt_rows = read_jsonl(results, "pytorch.jsonl", "compare-torch-zero")
cells, keys, threads = {}, [], {}
for r in zs_rows:
    if "stage" in r:
        key = (r["config"], r["ranks"])
        cells[key + (f"zs{r['stage']}",)] = r
        keys.append(key)
for r in pt_rows:
    if "mode" in r:
        key = (r["config"], r["ranks"])
        cells[key + (r["mode"],)] = r
        threads[key] = r.get("threads_per_rank")
        keys.append(key)
keys = list(dict.fromkeys(keys))
columns = ["zs0", "zs1", "zs2", "zs3", "ddp", "zero1"]
labels = {"zs0": "zs stage0", "zs1": "zs stage1", "zs2": "zs stage2", "zs3": "zs stage3",
          "ddp": "pt ddp", "zero1": "pt zero1"}

head = ["config", "N"]
for c in columns:
    head += [f"{labels[c]} s", f"{labels[c]} tok/s"]
head += ["zs0/ddp"]
table = [head]
for key in keys:
    row = [key[0], str(key[1])]
    for c in columns:
        r = cells.get(key + (c,))
        row += [fmt(r and r["step_s"], ".3f"), fmt(r and r["tokens_per_s"], ",.0f")]
    zs0, ddp = cells.get(key + ("zs0",)), cells.get(key + ("ddp",))
    row.append(fmt(zs0["tokens_per_s"] / ddp["tokens_per_s"] if zs0 and ddp else None, ".2f"))
    table.append(row)
widths = [max(len(row[i]) for row in table) for i in range(len(head))]
print()
for i, row in enumerate(table):
    print("  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))))
    if i == 0:
        print("  ".join("-" * w for w in widths))
print()
env = next((r for r in pt_rows if r.get("kind") == "environment"), None)
if env:
    print(f"PyTorch {env['torch']} (gloo, {env['cores']} cores), libblas.so.3 = {', '.join(env['libblas'])}, "
          f"1024^3 sgemm {env['sgemm_1024_gflops']} GFLOP/s on {env['sgemm_threads']} threads")
for key, t in threads.items():
    print(f"{key[0]} N={key[1]}: PyTorch {t} thread(s) per rank")
print("step time = median over timed steps of the slowest rank's step; tok/s = batch*seq_len*N / step time; "
      "zs0/ddp = zeroshard stage 0 tokens/s over PyTorch DDP's; PyTorch has no stage 2/3 peer here (no FSDP on "
      "CPU in torch 1.13)")
if zs_note:
    print(zs_note)
PY
