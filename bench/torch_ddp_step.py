#!/usr/bin/env python3
"""The PyTorch peer of `bin/zeroshard bench zero`: data-parallel GPT-2 training steps on N local
CPU processes, for comparison with zeroshard's ZeRO stages.

  /usr/bin/python3 bench/torch_ddp_step.py [--configs small,gpt2s] [--ranks 2,4] [--modes ddp,zero1]
                                           [--warmup 2] [--steps 5] [--threads-per-rank K]

For each (config, N, mode) this starts N processes (torch.multiprocessing, spawn) that join one gloo
process group over TCP on 127.0.0.1. Every rank builds the same model (tools/reference/tiny_gpt2.py,
presets from bench/torch_train_step.py's CONFIGS), draws its own random tokens and trains one
micro-batch per step: forward under torch.autocast('cpu', dtype=torch.bfloat16) with fp32 parameters
(the master weights), fp32 gradients, backward, AdamW (lr 1e-4, betas (0.9, 0.999), eps 1e-8, weight
decay 0.1 on tensors of dim >= 2 via tiny_gpt2.decay_groups, none on biases and LayerNorm).

Modes:
  ddp    ZeRO stage 0: DistributedDataParallel all-reduces the fp32 gradients in buckets of about
         5e5 fp32 elements (--bucket-elements; bucket_cap_mb = elements * 4 / 2^20) while backward
         still runs; every rank then runs the whole AdamW step. The only buffers, the constant bool
         causal masks, are kept out of DDP (gloo cannot broadcast bool; broadcast_buffers is off).
  zero1  ZeRO stage 1: the same DDP gradient all-reduce, then
         torch.distributed.optim.ZeroRedundancyOptimizer(optimizer_class=torch.optim.AdamW): each rank
         keeps AdamW state for, and updates, only its partition of the parameters (whole tensors,
         assigned greedily by size, so one rank may hold more than 1/N: gpt2s's wte alone is 31% of
         the model), and the updated partitions are broadcast back, one flat bucket per rank
         (parameters_as_bucket_view=True), after the step, not overlapped with compute
         (overlap_with_ddp needs a functional optimizer and a DDP comm hook; not used). 1.13's
         ZeroRedundancyOptimizer accepts parameter groups, so weight decay is as in ddp.
  fsdp   (ZeRO stages 2/3) not available with Debian's torch 1.13 on CPU: torch.distributed.fsdp does
         not even import under Python 3.11 (a dataclass with a mutable default in
         torch.distributed._shard raises ValueError), and 1.13's FullyShardedDataParallel always
         computes on a CUDA device (_get_compute_device). Asking for it prints the reason and stops.

Measured: each rank times each step (perf_counter around zero_grad + forward + backward + optimizer
step, so collective waits are included); after --warmup untimed steps and --steps timed ones, the
step time is the slowest rank's per step and the reported step_s is the median of those (the upper
median, sorted[steps // 2], as `zeroshard bench zero` reports); tokens_per_s = batch * seq_len * N /
step_s. Threads per rank default to cores / N (at least 1), as zeroshard's ranks get.

Prints JSON lines: first {"impl":"pytorch","kind":"environment",..} (torch version, libblas.so.3,
sgemm speed), then one per (config, mode, N):
  {"impl":"pytorch","config":..,"mode":"ddp"|"zero1","ranks":N,"step_s":..,"tokens_per_s":..,
   "batch":..,"seq_len":..,"threads_per_rank":..,...}
Refuses to run unless PyTorch calls OpenBLAS (tools/reference/torch_env.py); every rank checks that
the libblas.so.3 it mapped is OpenBLAS too.
"""
import argparse
import json
import os
import resource
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.distributed.optim import ZeroRedundancyOptimizer
from torch.nn.parallel import DistributedDataParallel

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.join(BENCH, "..", "tools", "reference"))
import torch_env  # noqa: E402
from tiny_gpt2 import Gpt2, decay_groups, init_weights, param_count  # noqa: E402
from torch_train_step import CONFIGS  # noqa: E402

MODES = ("ddp", "zero1")
ADAMW = {"lr": 1e-4, "betas": (0.9, 0.999), "eps": 1e-8}
WEIGHT_DECAY = 0.1
MODEL_SEED = 1
MIB = 1024.0


def emit(record):
    print(json.dumps(record), flush=True)


def fsdp_unavailable_reason():
    """Why FSDP cannot be the stage 2/3 peer here, found by trying rather than assumed."""
    try:
        import torch.distributed.fsdp  # noqa: F401
    except Exception as e:  # noqa: BLE001 - any import failure is the answer
        return f"torch.distributed.fsdp does not import in torch {torch.__version__}: {type(e).__name__}: {e}"
    if not torch.cuda.is_available():
        return f"FullyShardedDataParallel in torch {torch.__version__} computes on CUDA only, and there is no GPU"
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(name, mode, rank, bucket_elements):
    cfg, batch, seq_len = CONFIGS[name][:3]
    model = Gpt2(cfg)
    init_weights(model, MODEL_SEED)  # same on every rank; DDP broadcasts rank 0's anyway
    # gloo cannot broadcast bool tensors, and the causal masks are constant: keep DDP off them
    masks = [name for name, b in model.named_buffers() if b.dtype == torch.bool]
    DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(model, masks)
    ddp = DistributedDataParallel(model, bucket_cap_mb=bucket_elements * 4 / 2 ** 20, broadcast_buffers=False)
    groups = decay_groups(model, WEIGHT_DECAY)
    if mode == "ddp":
        opt = torch.optim.AdamW(groups, **ADAMW)
    else:
        opt = ZeroRedundancyOptimizer(
            groups, optimizer_class=torch.optim.AdamW, parameters_as_bucket_view=True, **ADAMW)
    gen = torch.Generator().manual_seed(1000 + rank)  # each rank its own micro-batch
    tokens = torch.randint(0, cfg.vocab_size, (batch, seq_len + 1), generator=gen)
    return ddp, opt, tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()


def train_step(ddp, opt, inputs, targets):
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        _, loss = ddp(inputs, targets)
    loss.backward()
    opt.step()
    return loss


def time_steps(ddp, opt, inputs, targets, warmup, steps):
    for _ in range(warmup):
        train_step(ddp, opt, inputs, targets)
    dist.barrier()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = train_step(ddp, opt, inputs, targets)
        times.append(time.perf_counter() - start)
    if not torch.isfinite(loss):
        raise RuntimeError(f"loss is {loss.item()}: the benchmark model diverged")
    return times


def gather(values):
    """All ranks' lists of floats, as a (ranks, len) tensor."""
    mine = torch.tensor(values, dtype=torch.float64)
    parts = [torch.zeros_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, mine)
    return torch.stack(parts)


def check_rank_blas():
    libblas = [p for p in torch_env.mapped_libraries() if os.path.basename(p).startswith("libblas.so")]
    if not libblas or not all("openblas" in p for p in libblas):
        raise RuntimeError(f"rank's libblas.so.3 is {libblas or 'not mapped'}, not OpenBLAS")


def rank_main(rank, world, port, name, mode, threads, warmup, steps, bucket_elements):
    """One rank (the target of mp.spawn). Rank 0 prints the result line."""
    torch_env.configure(threads, deterministic=False)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        check_rank_blas()
        ddp, opt, inputs, targets = build(name, mode, rank, bucket_elements)
        times = time_steps(ddp, opt, inputs, targets, warmup, steps)
        per_step = gather(times).max(dim=0).values.tolist()  # slowest rank, per step
        rss_mib = gather([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB]).max().item()
        if rank == 0:
            report(name, mode, world, threads, warmup, per_step, rss_mib, param_count(ddp.module))
    finally:
        dist.destroy_process_group()


def report(name, mode, world, threads, warmup, per_step, rss_mib, params):
    _, batch, seq_len = CONFIGS[name][:3]
    step_s = sorted(per_step)[len(per_step) // 2]
    emit({"impl": "pytorch", "config": name, "precision": "bf16", "mode": mode, "ranks": world,
          "step_s": round(step_s, 4), "tokens_per_s": round(batch * seq_len * world / step_s, 1),
          "batch": batch, "seq_len": seq_len, "threads_per_rank": threads,
          "warmup": warmup, "steps": len(per_step), "step_s_min": round(min(per_step), 4),
          "step_s_max": round(max(per_step), 4), "max_rss_mib_per_rank": round(rss_mib, 1), "params": params})


def run(name, mode, world, threads, warmup, steps, bucket_elements):
    os.environ["OMP_NUM_THREADS"] = str(threads)  # sizes the children's OpenMP pools when they load
    mp.spawn(rank_main, args=(world, free_port(), name, mode, threads, warmup, steps, bucket_elements),
             nprocs=world, join=True)


def parse_list(parser, text, known, what, convert=str):
    items = [convert(x) for x in text.split(",") if x]
    for x in items:
        if known is not None and x not in known:
            parser.error(f"unknown {what} {x!r}; known: {', '.join(map(str, known))}")
    return items


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="small")
    parser.add_argument("--ranks", default="2", help="comma-separated rank counts")
    parser.add_argument("--modes", default="ddp,zero1", help="ddp, zero1 (fsdp: see above)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps (default 2)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps (default 5)")
    parser.add_argument("--threads-per-rank", type=int, default=None, help="default: cores / N, at least 1")
    parser.add_argument("--bucket-elements", type=float, default=5e5, help="DDP bucket, fp32 elements")
    args = parser.parse_args()

    configs = parse_list(parser, args.configs, CONFIGS, "config")
    ranks = parse_list(parser, args.ranks, None, "rank count", int)
    modes = [m for m in args.modes.split(",") if m]
    if "fsdp" in modes:
        reason = fsdp_unavailable_reason()
        if reason:
            parser.error(f"fsdp: {reason}")
        parser.error("fsdp imports here but this script does not implement it")
    parse_list(parser, args.modes, MODES, "mode")
    if any(n < 1 for n in ranks) or args.steps < 1 or args.warmup < 0:
        parser.error("--ranks and --steps must be >= 1, --warmup >= 0")
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # all ranks are local

    cores = os.cpu_count() or 1
    torch_env.configure(max(1, cores // max(ranks)), deterministic=False)
    blas = torch_env.require_openblas()
    emit({"impl": "pytorch", "kind": "environment", "torch": torch.__version__, "cores": cores,
          "libblas": blas["libblas"], "sgemm_1024_gflops": blas["sgemm_1024_gflops"],
          "sgemm_threads": blas["threads"]})
    for name in configs:
        for world in ranks:
            threads = args.threads_per_rank or max(1, cores // world)
            for mode in modes:
                run(name, mode, world, threads, args.warmup, args.steps, int(args.bucket_elements))


if __name__ == "__main__":
    main()
