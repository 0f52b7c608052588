#!/usr/bin/env python3
"""The PyTorch side of the training benchmark: one GPT-2 training step (forward, backward,
AdamW) timed on the CPU, for comparison with `bin/zeroshard bench train`.

  /usr/bin/python3 bench/torch_train_step.py [--configs tiny,small,gpt2s] [--precisions fp32,bf16]

The model is tools/reference/tiny_gpt2.py (the one the Java fixtures come from). Prints JSON lines:
  {"impl":"pytorch","config":..,"precision":..,"tokens_per_s":..,"step_s":..,"gflops":..,...}
      one per (config, precision): median of --steps timed steps after warm-up steps;
  {"impl":"pytorch","kind":"gemm_peak",..}     fp32 and bf16 matmul GFLOP/s at 2048^3;
  {"impl":"pytorch","kind":"peak_memory",..}   ru_maxrss of a fresh process training gpt2s fp32 at B=1, T=1024.
GFLOP/s = tiny_gpt2.flops_per_step (6 * N * tokens + 12 * L * T * C * tokens, see there) / step_s.
bf16 is torch.autocast('cpu', dtype=torch.bfloat16) over the forward with fp32 master weights and
fp32 AdamW state. Refuses to run unless PyTorch calls OpenBLAS (tools/reference/torch_env.py).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import torch_env  # noqa: E402
from tiny_gpt2 import GptConfig, Gpt2, decay_groups, flops_per_step, init_weights, param_count  # noqa: E402

# name: (model config, batch size, sequence length, default warm-up steps, default timed steps); compare-torch.sh
# gives zeroshard the same warm-up and timed steps that PyTorch ran
CONFIGS = {
    "tiny": (GptConfig(vocab_size=256, n_positions=64, n_embd=64, n_layer=2, n_head=4), 8, 64, 5, 30),
    "small": (GptConfig(vocab_size=256, n_positions=256, n_embd=256, n_layer=4, n_head=8), 8, 256, 5, 15),
    "gpt2s": (GptConfig(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12), 4, 256, 2, 5),
}
ADAMW = {"lr": 1e-3, "betas": (0.9, 0.95), "eps": 1e-8, "weight_decay": 0.1}
MIB = 1024.0


def emit(record):
    print(json.dumps(record), flush=True)


def build(cfg, batch, seq_len, seed=1337):
    model = Gpt2(cfg)
    init_weights(model, seed)
    opt = torch.optim.AdamW(decay_groups(model, ADAMW["weight_decay"]), lr=ADAMW["lr"], betas=ADAMW["betas"],
                            eps=ADAMW["eps"])
    gen = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, cfg.vocab_size, (batch, seq_len + 1), generator=gen)
    return model, opt, tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()


def train_step(model, opt, inputs, targets, bf16):
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        _, loss = model(inputs, targets)
    loss.backward()
    opt.step()
    return loss


def time_steps(model, opt, inputs, targets, bf16, warmup, steps):
    for _ in range(warmup):
        train_step(model, opt, inputs, targets, bf16)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = train_step(model, opt, inputs, targets, bf16)
        times.append(time.perf_counter() - start)
    if not torch.isfinite(loss):
        raise SystemExit(f"loss is {loss.item()}: the benchmark model diverged")
    return statistics.median(times), times


def bench_config(name, precision, warmup, steps):
    cfg, batch, seq_len, default_warmup, default_steps = CONFIGS[name]
    warmup = default_warmup if warmup is None else warmup
    steps = default_steps if steps is None else steps
    torch.manual_seed(0)
    model, opt, inputs, targets = build(cfg, batch, seq_len)
    step_s, times = time_steps(model, opt, inputs, targets, precision == "bf16", warmup, steps)
    flops = flops_per_step(cfg, batch, seq_len)
    emit({"impl": "pytorch", "config": name, "precision": precision,
          "tokens_per_s": round(batch * seq_len / step_s, 1), "step_s": round(step_s, 6),
          "gflops": round(flops / step_s / 1e9, 2),
          "batch": batch, "seq_len": seq_len, "params": param_count(model), "flops_per_step": flops,
          "threads": torch.get_num_threads(), "warmup": warmup, "steps": steps,
          "step_s_min": round(min(times), 6), "step_s_max": round(max(times), 6)})


def gemm_gflops(n, dtype, repeats):
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen).to(dtype)
    b = torch.randn(n, n, generator=gen).to(dtype)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2.0 * n ** 3 / statistics.median(times) / 1e9


def bench_gemm(n=2048, repeats=5):
    emit({"impl": "pytorch", "kind": "gemm_peak", "n": n, "threads": torch.get_num_threads(),
          "fp32_gflops": round(gemm_gflops(n, torch.float32, repeats), 1),
          "bf16_gflops": round(gemm_gflops(n, torch.bfloat16, repeats), 1)})


def proc_status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def memory_child(threads):
    """Runs in a fresh process so that the peak is this workload's alone. ru_maxrss survives
    execve (Linux keeps the larger of the old and new image's peak), so the parent starts this
    child before it allocates anything large; VmHWM, the new image's own peak, is reported beside it."""
    torch_env.configure(threads, deterministic=False)
    baseline_kib = proc_status_kib("VmRSS")
    cfg = CONFIGS["gpt2s"][0]
    model, opt, inputs, targets = build(cfg, 1, 1024)
    step_s, _ = time_steps(model, opt, inputs, targets, False, 1, 1)
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB
    n = param_count(model)
    emit({"impl": "pytorch", "kind": "peak_memory", "config": "gpt2s", "precision": "fp32", "batch": 1,
          "seq_len": 1024, "max_rss_mib": round(maxrss_kib / MIB, 1),
          "vm_hwm_mib": round(proc_status_kib("VmHWM") / MIB, 1),
          "baseline_rss_mib": round(baseline_kib / MIB, 1),
          "model_state_mib": round(16 * n / MIB / MIB, 1),  # fp32 params + grads + Adam m, v
          "params": n, "step_s": round(step_s, 3)})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="tiny,small,gpt2s")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=None, help="warm-up steps (default: per config)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: per config)")
    parser.add_argument("--no-gemm", action="store_true", help="skip the 2048^3 GEMM peak line")
    parser.add_argument("--no-memory", action="store_true", help="skip the gpt2s T=1024 peak-memory line")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.memory_child:
        memory_child(args.threads)
        return
    configs = [c for c in args.configs.split(",") if c]
    precisions = [p for p in args.precisions.split(",") if p]
    for c in configs:
        if c not in CONFIGS:
            parser.error(f"unknown config {c!r}; known: {', '.join(CONFIGS)}")
    for p in precisions:
        if p not in ("fp32", "bf16"):
            parser.error(f"unknown precision {p!r}; known: fp32, bf16")

    torch_env.configure(args.threads, deterministic=False)
    blas = torch_env.require_openblas()
    emit({"impl": "pytorch", "kind": "environment", "torch": torch.__version__, "threads": args.threads,
          "libblas": blas["libblas"], "sgemm_1024_gflops": blas["sgemm_1024_gflops"],
          "mkldnn": torch.backends.mkldnn.is_available()})
    if not args.no_memory:
        # First, while this process is still small (see memory_child).
        subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-child", "--threads", str(args.threads)],
                       check=True)
    if not args.no_gemm:
        bench_gemm()
    for c in configs:
        for p in precisions:
            bench_config(c, p, args.warmup, args.steps)


if __name__ == "__main__":
    main()
