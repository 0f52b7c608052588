#!/usr/bin/env bash
# Compares zeroshard's CPU training step with PyTorch's on the same GPT-2 configs, in one run.
#
#   bench/compare-torch.sh [--configs tiny,small,gpt2s] [--precisions fp32,bf16] [--threads 2]
#                          [--steps N] [--no-memory] [--torch-only]
#
# PyTorch side: bench/torch_train_step.py under /usr/bin/python3 (Debian's python3-torch), pinned to
# OpenBLAS: this script puts the openblas-openmp directory first on LD_LIBRARY_PATH and then checks
# that the libblas.so.3 PyTorch has mapped is OpenBLAS and runs at OpenBLAS speed; if not, it stops.
# zeroshard side: `bin/zeroshard bench train --config C --precision P --threads N --json` with the
# warm-up and timed steps PyTorch ran (one JSON line each, same shape as PyTorch's with
# "impl":"zeroshard"); if that command is missing the script says so and prints the PyTorch side alone.
# GFLOP/s in the table are computed for both sides with one formula, tools/reference/tiny_gpt2.py
# flops_per_step: 6 * N * tokens + 12 * L * T * C * tokens per step (N = parameters that take part in
# a matmul; attention counted over the full T x T), divided by the step time.
#
# Environment: PYTHON (default /usr/bin/python3), ZEROSHARD (default bin/zeroshard), OPENBLAS_DIR
# (default /usr/lib/<multiarch>/openblas-openmp), ZEROSHARD_SKIP_BUILD (passed to the launcher).
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
zeroshard="${ZEROSHARD:-$root/bin/zeroshard}"
configs="tiny,small,gpt2s"
precisions="fp32,bf16"
threads=2
steps=""
torch_only=0
no_memory=0

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --configs) configs="$2"; shift 2 ;;
    --precisions) precisions="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --torch-only) torch_only=1; shift ;;
    --no-memory) no_memory=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare-torch: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

source "$root/bench/torch-openblas.sh"
require_torch compare-torch torch
pin_openblas
export OMP_NUM_THREADS="$threads"

echo "== checking that PyTorch uses OpenBLAS" >&2
if ! "$python" - "$root/tools/reference" "$threads" >&2 <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import torch_env
torch_env.configure(int(sys.argv[2]), deterministic=False)
r = torch_env.require_openblas()
print(f"libblas.so.3 -> {', '.join(r['libblas'])}; 1024^3 sgemm {r['sgemm_1024_gflops']} GFLOP/s on {r['threads']} threads")
PY
then
  echo "compare-torch: PyTorch is not running on OpenBLAS (see above); refusing to report figures." >&2
  exit 1
fi

results="$(mktemp -d "${TMPDIR:-/tmp}/compare-torch.XXXXXX")"
trap 'rm -rf "$results"' EXIT
touch "$results/zeroshard.jsonl" "$results/pytorch.jsonl"

zs_note=""
if [[ "$torch_only" == 1 ]]; then
  zs_note="zeroshard side skipped (--torch-only)"
elif [[ ! -x "$zeroshard" ]]; then
  zs_note="zeroshard side not run: $zeroshard is not executable"
elif ! "$zeroshard" bench train --help >"$results/zs-help.txt" 2>&1; then
  # First, before anything is timed: the launcher may build here.
  zs_note="zeroshard side not run: '$zeroshard bench train' is not available yet ($(tail -n 1 "$results/zs-help.txt"))"
fi

echo "== PyTorch side" >&2
torch_args=(--configs "$configs" --precisions "$precisions" --threads "$threads")
[[ -n "$steps" ]] && torch_args+=(--steps "$steps")
[[ "$no_memory" == 1 ]] && torch_args+=(--no-memory)
"$python" "$root/bench/torch_train_step.py" "${torch_args[@]}" | tee "$results/pytorch.jsonl" >&2

if [[ -z "$zs_note" ]]; then
  echo "== zeroshard side" >&2
  IFS=, read -r -a config_list <<<"$configs"
  IFS=, read -r -a precision_list <<<"$precisions"
  for c in "${config_list[@]}"; do
    for p in "${precision_list[@]}"; do
      # the warm-up and timed steps PyTorch ran for this config (its per-config defaults, or --steps)
      read -r warmup timed < <("$python" - "$results/pytorch.jsonl" "$c" "$p" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("config") == sys.argv[2] and r.get("precision") == sys.argv[3] and "warmup" in r:
        print(r["warmup"], r["steps"])
        break
else:
    print(2, 5)
PY
)
      if "$zeroshard" bench train --config "$c" --precision "$p" --threads "$threads" --json \
          --warmup "$warmup" --steps "$timed" >"$results/zs-out.txt" 2>"$results/zs-err.txt"; then
        grep '^{' "$results/zs-out.txt" | tee -a "$results/zeroshard.jsonl" >&2 || true
      else
        echo "compare-torch: zeroshard bench train --config $c --precision $p failed:" >&2
        tail -n 5 "$results/zs-err.txt" >&2
      fi
    done
  done
fi

"$python" - "$root" "$results" "$zs_note" <<'PY'
import os, sys
root, results, zs_note = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(root, "bench"))
sys.path.insert(0, os.path.join(root, "tools", "reference"))
from torch_train_step import CONFIGS
from tiny_gpt2 import flops_per_step
from bench_results import fmt, read_jsonl

torch_rows = read_jsonl(results, "pytorch.jsonl", "compare-torch")
zs_rows = read_jsonl(results, "zeroshard.jsonl", "compare-torch")
steps = {}
for r in torch_rows + zs_rows:
    if "config" in r and "precision" in r and "tokens_per_s" in r and r.get("kind") is None:
        steps[(r["impl"], r["config"], r["precision"])] = r
peak = next((r for r in torch_rows if r.get("kind") == "gemm_peak"), None)
memory = next((r for r in torch_rows if r.get("kind") == "peak_memory"), None)
env = next((r for r in torch_rows if r.get("kind") == "environment"), None)

def gflops(config, tokens_per_s):
    cfg, batch, seq_len = CONFIGS[config][:3]
    return flops_per_step(cfg, batch, seq_len) / (batch * seq_len) * tokens_per_s / 1e9

keys = []
for r in torch_rows + zs_rows:
    k = (r.get("config"), r.get("precision"))
    if r.get("kind") is None and k[0] in CONFIGS and k not in keys:
        keys.append(k)
head = ["config", "precision", "zeroshard tok/s", "pytorch tok/s", "zs/pt", "zeroshard GFLOP/s",
        "pytorch GFLOP/s", "GEMM peak", "zs %peak", "pt %peak"]
table = [head]
for config, precision in keys:
    zs = steps.get(("zeroshard", config, precision))
    pt = steps.get(("pytorch", config, precision))
    zs_tps = zs["tokens_per_s"] if zs else None
    pt_tps = pt["tokens_per_s"] if pt else None
    zs_gf = gflops(config, zs_tps) if zs_tps else None
    pt_gf = gflops(config, pt_tps) if pt_tps else None
    pk = peak.get(f"{precision}_gflops") if peak else None
    table.append([config, precision, fmt(zs_tps, ",.0f"), fmt(pt_tps, ",.0f"),
                  fmt(zs_tps / pt_tps if zs_tps and pt_tps else None, ".2f"),
                  fmt(zs_gf, ".1f"), fmt(pt_gf, ".1f"), fmt(pk, ".0f"),
                  fmt(100 * zs_gf / pk if zs_gf and pk else None, ".0f"),
                  fmt(100 * pt_gf / pk if pt_gf and pk else None, ".0f")])
widths = [max(len(row[i]) for row in table) for i in range(len(head))]
print()
for i, row in enumerate(table):
    print("  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))))
    if i == 0:
        print("  ".join("-" * w for w in widths))
print()
if peak:
    print(f"GEMM peak (PyTorch, {peak['n']}^3, {peak['threads']} threads): fp32 {peak['fp32_gflops']} GFLOP/s "
          f"(OpenBLAS), bf16 {peak['bf16_gflops']} GFLOP/s (oneDNN)")
if memory:
    print(f"PyTorch peak memory, gpt2s fp32 B=1 T=1024: ru_maxrss {memory['max_rss_mib']:.0f} MiB "
          f"(interpreter + torch alone {memory['baseline_rss_mib']:.0f} MiB; params+grads+AdamW "
          f"{memory['model_state_mib']:.0f} MiB)")
if env:
    print(f"PyTorch {env['torch']}, {env['threads']} threads, libblas.so.3 = {', '.join(env['libblas'])}")
for r in zs_rows:
    if r.get("kind") is None and r.get("gflops") and r.get("config") in CONFIGS:
        ours = gflops(r["config"], r["tokens_per_s"])
        if abs(r["gflops"] - ours) > 0.01 * ours:
            print(f"note: zeroshard reported {r['gflops']} GFLOP/s for {r['config']}/{r['precision']}; the table "
                  f"uses the shared formula ({ours:.1f})")
print("GFLOP/s = (6*N + 12*L*T*C) * tokens/s, N = parameters in matmuls (all but wpe); zs/pt = zeroshard/pytorch "
      "tokens/s; step time = median of timed steps after warm-up")
if zs_note:
    print(zs_note)
PY
