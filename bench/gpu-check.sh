#!/usr/bin/env bash
# The CUDA backend's checks on a GPU machine, in one call of at most 8 minutes: build the kernels there if the
# carried ones are missing or stale, run the GPU tests (every kernel against its CPU reference, the whole model
# against the CPU backend, ten training steps), measure flash attention, the GEMM, gpt2s training and AdamW (host
# step against the device kernel with its transfers) with CudaBench, measure the device's own ceilings through
# PyTorch (a large bf16 matmul, a device-to-device copy), and print a summary with ratios. Logs and the summary go
# to $OUT (the device tool brings them back).
#
# Prepare on a machine with a JDK 17 and Maven (the GPU machine may have neither):  bench/gpu-carry.sh
# Then, with the device tool:  run(command="bash bench/gpu-check.sh", carry=[".gpu-carry"], timeout_s=540)
# Where the GPU machine has Java 17+ on the PATH it is used; else the carried runtime (.gpu-carry/jre).
# Environment: GPU_CHECK_QUICK=1 (fewer timed iterations), GPU_CHECK_SKIP_TESTS=1, GPU_CHECK_SKIP_BENCH=1,
# GPU_CHECK_SANITIZE=1 (also run the kernel tests under compute-sanitizer memcheck: slow; works on Firecracker
# machines, not on gVisor ones).
set -uo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
carry="$root/.gpu-carry"
out="${OUT:-/tmp/gpu-check}"
mkdir -p "$out"
cd "$root"
started="$(date +%s)"
stage() { echo; echo "=== $* ($(( $(date +%s) - started )) s)"; }

stage "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee "$out/machine.txt"
(command -v nvcc >/dev/null && nvcc --version | tail -n 2) 2>&1 | tee -a "$out/machine.txt"
nproc | sed 's/^/cores: /' | tee -a "$out/machine.txt"

if [[ ! -d "$carry/classes" || ! -d "$carry/lib" ]]; then
  echo "gpu-check: $carry is missing: run bench/gpu-carry.sh on a machine with a JDK and Maven, then carry it" >&2
  exit 1
fi
java=""
if command -v java >/dev/null 2>&1; then
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  if [[ -n "$major" && "${major%%.*}" -ge 17 ]]; then
    java="$(command -v java)"
  fi
fi
if [[ -z "$java" ]]; then
  java="$carry/jre/bin/java"
fi
"$java" -version 2>&1 | head -n 1 | sed 's/^/java: /' | tee -a "$out/machine.txt"
# the driver's library, wherever this image keeps it
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/nvidia/lib64:/usr/lib/x86_64-linux-gnu"
ldconfig -p 2>/dev/null | grep -m 2 'libcuda.so' | tee -a "$out/machine.txt"

stage "kernels"
# build-kernels.sh recompiles only when the fatbin is older than a source (copies may touch the sources)
bash worker/src/main/cuda/build-kernels.sh worker/src/main/cuda \
  "$carry/classes/dev/zeroshard/worker/backend/cuda/zeroshard_kernels.fatbin" 2>&1 | tee "$out/kernels.log"
if command -v cuobjdump >/dev/null 2>&1; then
  cuobjdump --list-elf --list-ptx "$carry/classes/dev/zeroshard/worker/backend/cuda/zeroshard_kernels.fatbin" 2>&1 \
    | tee -a "$out/kernels.log"
fi

flags="$(sed -n 's/^zeroshard\.jvm\.flags=//p' etc/jvm.properties)"
classpath="$carry/classes:$carry/test-classes:$(ls "$carry"/lib/*.jar | grep -v console-standalone | tr '\n' ':')"
status=0

if [[ "${GPU_CHECK_SKIP_TESTS:-0}" != 1 ]]; then
  stage "GPU tests"
  # shellcheck disable=SC2086 # the flags are a space-separated list by design
  timeout 150 "$java" $flags -Xmx8g -jar "$carry"/lib/junit-platform-console-standalone-*.jar execute -cp "$classpath" \
    --select-class dev.zeroshard.worker.backend.cuda.CudaDeviceTest \
    --select-class dev.zeroshard.worker.backend.cuda.KernelBinaryTest \
    --select-class dev.zeroshard.worker.backend.cuda.CachingAllocatorTest \
    --select-class dev.zeroshard.worker.backend.cuda.CudaKernelsTest \
    --select-class dev.zeroshard.worker.backend.cuda.CudaGptTest \
    --select-class dev.zeroshard.worker.zero.ZeroCudaTest \
    --select-method dev.zeroshard.worker.backend.BackendSelectorTest#shouldPickCudaForABf16ModelAndCpuForAnFp32OneWhenAGpuIsThere \
    --disable-banner --details=tree > "$out/tests.log" 2>&1
  status=$?
  tail -n 60 "$out/tests.log"
  echo "gpu-check: GPU tests exited with $status"
fi

if [[ "${GPU_CHECK_SANITIZE:-0}" == 1 ]] && command -v compute-sanitizer >/dev/null 2>&1; then
  stage "compute-sanitizer memcheck (kernel tests)"
  # shellcheck disable=SC2086
  timeout 240 compute-sanitizer --tool memcheck --print-limit 20 "$java" $flags -Xmx8g \
    -jar "$carry"/lib/junit-platform-console-standalone-*.jar execute -cp "$classpath" \
    --select-class dev.zeroshard.worker.backend.cuda.CudaKernelsTest --disable-banner --details=summary \
    > "$out/sanitizer.log" 2>&1
  echo "gpu-check: compute-sanitizer exited with $?"
  grep -E "ERROR SUMMARY|Invalid|out of bounds|tests (successful|failed)" "$out/sanitizer.log" | head -n 30
fi

stage "device ceilings (PyTorch)"
timeout 60 python3 - <<'PY' 2>&1 | tee "$out/ceilings.log"
import torch
dev = torch.device("cuda")
print("torch", torch.__version__, torch.cuda.get_device_name(0))
def timed(fn, warm=3, iters=10):
    for _ in range(warm):
        fn()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(iters):
        fn()
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) / iters / 1e3
n = 8192
a = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
b = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
s = timed(lambda: a @ b)
print(f"CEILING torch_bf16_matmul_8192 {2 * n**3 / s / 1e12:.2f} TFLOP/s")
for (m, nn, k) in [(4096, 4096, 4096), (16384, 2304, 768), (16384, 50257, 768)]:
    x = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
    y = torch.randn(k, nn, device=dev, dtype=torch.bfloat16)
    s = timed(lambda: x @ y)
    print(f"CEILING torch_bf16_matmul_{m}x{nn}x{k} {2 * m * nn * k / s / 1e12:.2f} TFLOP/s")
src = torch.empty(1 << 30, device=dev, dtype=torch.float32)
dst = torch.empty_like(src)
s = timed(lambda: dst.copy_(src))
print(f"CEILING d2d_copy {2 * src.numel() * 4 / s / 1e9:.1f} GB/s (bytes read + written)")
try:
    import torch.nn.functional as F
    for hd in (64, 128):
        q = torch.randn(4, 2048 // hd, 4096, hd, device=dev, dtype=torch.bfloat16, requires_grad=True)
        k_ = torch.randn_like(q, requires_grad=True)
        v = torch.randn_like(q, requires_grad=True)
        flops = 4 * 4 * (2048 // hd) * 4096 * 4096 * hd / 2
        s = timed(lambda: F.scaled_dot_product_attention(q, k_, v, is_causal=True))
        print(f"CEILING torch_sdpa_hd{hd}_T4096_fwd {flops / s / 1e12:.2f} TFLOP/s")
        o = F.scaled_dot_product_attention(q, k_, v, is_causal=True)
        g = torch.randn_like(o)
        s = timed(lambda: torch.autograd.grad(o, (q, k_, v), g, retain_graph=True))
        print(f"CEILING torch_sdpa_hd{hd}_T4096_bwd {2.5 * flops / s / 1e12:.2f} TFLOP/s")
except Exception as e:
    print("torch sdpa not measured:", e)
PY

if [[ "${GPU_CHECK_SKIP_BENCH:-0}" != 1 ]]; then
  stage "CudaBench"
  quick=()
  [[ "${GPU_CHECK_QUICK:-0}" == 1 ]] && quick=(--quick)
  # shellcheck disable=SC2086
  timeout 210 "$java" $flags -Xmx24g -cp "$classpath" dev.zeroshard.worker.backend.cuda.bench.CudaBench \
    attention gemm train optimizer "${quick[@]}" 2>&1 | tee "$out/bench.log"
fi

stage "summary"
python3 - "$out" <<'PY' | tee "$out/summary.txt"
import re, sys, pathlib
out = pathlib.Path(sys.argv[1])
def read(name, tag):
    values = {}
    path = out / name
    if path.exists():
        for line in path.read_text().splitlines():
            m = re.match(rf"{tag} (\S+) ([0-9.]+) (\S+)", line)
            if m:
                values[m.group(1)] = (float(m.group(2)), m.group(3))
    return values
res, ceil = read("bench.log", "RESULT"), read("ceilings.log", "CEILING")
matmul = ceil.get("torch_bf16_matmul_8192", (None,))[0]
print("measured on", (out / "machine.txt").read_text().splitlines()[1] if (out / "machine.txt").exists() else "?")
if matmul:
    print(f"ceiling: torch bf16 matmul 8192^3 {matmul:.1f} TFLOP/s; copy {ceil.get('d2d_copy', ('?',))[0]} GB/s")
print("\nflash attention (causal, bf16, B*T = 16k, 2048 channels): TFLOP/s, and against the issue's targets")
for hd in (64, 128):
    for t in (1024, 4096, 16384):
        f = res.get(f"attention_hd{hd}_T{t}_fwd", (float('nan'),))[0]
        b = res.get(f"attention_hd{hd}_T{t}_bwd", (float('nan'),))[0]
        line = f"  hd {hd:3d} T {t:5d}: fwd {f:7.1f}  bwd {b:7.1f}"
        if hd == 128 and t == 4096:
            line += f"   (targets fwd >= 350: {f / 350:.2f}x, bwd >= 250: {b / 250:.2f}x)"
        sd = ceil.get(f"torch_sdpa_hd{hd}_T4096_fwd")
        if t == 4096 and sd:
            sb = ceil.get(f"torch_sdpa_hd{hd}_T4096_bwd", (float('nan'),))[0]
            line += f"   torch sdpa fwd {sd[0]:.1f} bwd {sb:.1f}"
        print(line)
print("\nGEMM (bf16, fp32 accumulation): TFLOP/s and the ratio to the torch bf16 matmul (target >= 0.70)")
for name, (v, unit) in res.items():
    if name.startswith("gemm_"):
        print(f"  {name:28s} {v:7.1f}" + (f"   {v / matmul:.2f} of torch" if matmul else ""))
print("\ngpt2s training, B x T = 16 x 1024, bf16")
for name in ("gpt2s_fwdbwd_tokens_per_s", "gpt2s_train_tokens_per_s"):
    if name in res:
        print(f"  {name:28s} {res[name][0]:12.0f} tokens/s")
for name in ("gpt2s_fwdbwd_model_tflops", "gpt2s_train_model_tflops"):
    if name in res:
        v = res[name][0]
        line = f"  {name:28s} {v:7.1f} TFLOP/s: MFU {v / 989:.3f} of the 989 TFLOP/s datasheet bf16 peak"
        if matmul:
            line += f", {v / matmul:.3f} of the measured torch matmul"
        print(line)
print("\nAdamW over gpt2s's parameters: host step against the device kernel plus its pinned transfers")
for name in ("adamw_host_ms", "adamw_device_kernel_ms", "adamw_device_transfers_ms", "adamw_device_over_host"):
    if name in res:
        print(f"  {name:28s} {res[name][0]:9.2f} {res[name][1]}")
PY
echo "gpu-check: done in $(( $(date +%s) - started )) s; GPU tests status $status; logs in $out"
exit "$status"
