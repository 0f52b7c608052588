#!/usr/bin/env bash
# Compiles the CUDA kernels (zeroshard_kernels.cu and what it includes) into one fatbin with machine code for
# sm_80 (A100) and sm_90 (H100/H200) plus compute_80 PTX for newer GPUs (PTX 9.0 from nvcc 13 needs a CUDA 13
# driver). Run by Maven (worker/pom.xml, generate-resources) as: build-kernels.sh SRC_DIR OUT_FATBIN.
# Without nvcc the build goes on and the CUDA backend reports "kernels not built (no nvcc at build time)".
# Environment: NVCC (the compiler; default: nvcc on PATH, else $CUDA_HOME/bin/nvcc, CUDA_HOME=/usr/local/cuda),
# ZEROSHARD_NVCC_FLAGS (extra flags, e.g. -lineinfo).
set -euo pipefail

src="${1:?usage: build-kernels.sh SRC_DIR OUT_FATBIN}"
out="${2:?usage: build-kernels.sh SRC_DIR OUT_FATBIN}"
script="$(readlink -f "${BASH_SOURCE[0]}")"

nvcc="${NVCC:-}"
if [[ -z "$nvcc" ]]; then
  nvcc="$(command -v nvcc || true)"
fi
if [[ -z "$nvcc" && -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ]]; then
  nvcc="${CUDA_HOME:-/usr/local/cuda}/bin/nvcc"
fi

stale() {
  [[ ! -f "$out" ]] && return 0
  [[ -n "$(find "$src" -maxdepth 1 \( -name '*.cu' -o -name '*.cuh' \) -newer "$out" -print -quit)" ]] && return 0
  [[ "$script" -nt "$out" ]]
}

if [[ -z "$nvcc" ]]; then
  if [[ -f "$out" ]] && ! stale; then
    echo "[zeroshard] no nvcc; keeping the CUDA kernels built earlier ($out is newer than every source)"
  else
    rm -f "$out"
    echo "[zeroshard] no nvcc on PATH: CUDA kernels not built (the cuda backend will say so; auto picks cpu)"
  fi
  exit 0
fi

if ! stale; then
  echo "[zeroshard] CUDA kernels up to date: $out"
  exit 0
fi

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
start="$(date +%s)"
# shellcheck disable=SC2086 # ZEROSHARD_NVCC_FLAGS is a space-separated list by design
"$nvcc" -fatbin -O3 -std=c++17 --threads 2 \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_80,code=compute_80 \
  ${ZEROSHARD_NVCC_FLAGS:-} \
  -o "$tmp" "$src/zeroshard_kernels.cu"
mv "$tmp" "$out"
echo "[zeroshard] CUDA kernels built with $("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p' | head -n 1) in $(( $(date +%s) - start )) s: $out ($(stat -c %s "$out") bytes)"
