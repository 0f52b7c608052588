#!/usr/bin/env python3
"""Writes the tiny GPT-2 reference fixtures the Java tests compare against.

  /usr/bin/python3 tools/reference/make_gpt2_fixture.py [--out worker/src/test/resources/reference]

Outputs (see tools/reference/README.md): tiny-gpt2.safetensors (initial weights),
tiny-gpt2-config.json (HF config), tiny-gpt2-expected.safetensors (tokens, logits, loss, every
gradient, 10 AdamW losses in fp32 and under bf16 autocast). Same bytes on every run with the same
PyTorch and BLAS build.
"""
import argparse
import copy
import hashlib
import json
import math
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_min  # noqa: E402
import torch_env  # noqa: E402
from tiny_gpt2 import GptConfig, Gpt2, decay_groups, init_weights, param_count  # noqa: E402

CONFIG = GptConfig(vocab_size=256, n_positions=64, n_embd=64, n_layer=2, n_head=4)
B, T = 4, 64
INIT_SEED = 1337
PERTURB_SEED = 4242
TOKEN_SEED = 2024
STEPS = 10
ADAMW = {"lr": 1e-3, "betas": (0.9, 0.95), "eps": 1e-8, "weight_decay": 0.1}
THREADS = 2
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "worker", "src", "test", "resources", "reference")


def splitmix64(state):
    """One step of SplitMix64: (new state, 64-bit output). Ours, so the tokens do not depend on
    any library's random number generator."""
    state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return state, z ^ (z >> 31)


def make_tokens(batch, length, vocab, seed):
    """(batch, length) tokens with learnable structure: each row follows its own affine rule
    t[i+1] = (a * t[i] + c) mod V three times in four, and jumps to a random token otherwise."""
    state = seed
    rows = []
    for b in range(batch):
        a, c = 2 * b + 3, 7 * b + 1
        state, r = splitmix64(state)
        tok = r % vocab
        row = [tok]
        for _ in range(length - 1):
            state, r = splitmix64(state)
            if r % 4 == 0:
                state, r = splitmix64(state)
                tok = r % vocab
            else:
                tok = (a * tok + c) % vocab
            row.append(tok)
        rows.append(row)
    return torch.tensor(rows, dtype=torch.int64)


def perturb(model, seed):
    """Moves LayerNorm parameters and biases off their 1/0 init so that their gradients are
    exercised with non-trivial values: LN weight 1 + 0.1 N(0,1), LN bias and linear biases 0.02 N(0,1)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                continue
            noise = torch.randn(p.shape, generator=gen)
            is_ln = ".ln_" in name or name.startswith("ln_")
            if is_ln and name.endswith(".weight"):
                p.add_(0.1 * noise)
            else:
                p.add_(0.02 * noise)


def train_losses(model, inputs, targets, bf16):
    """Loss before each of STEPS AdamW steps on the same batch; fp32 master weights throughout."""
    model = copy.deepcopy(model)
    opt = torch.optim.AdamW(decay_groups(model, ADAMW["weight_decay"]), lr=ADAMW["lr"], betas=ADAMW["betas"],
                            eps=ADAMW["eps"], foreach=False)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            _, loss = model(inputs, targets)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return torch.tensor(losses, dtype=torch.float32)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    torch_env.configure(THREADS)
    blas = torch_env.blas_report()
    torch.manual_seed(0)  # nothing below draws from the global generator; pinned anyway

    model = Gpt2(CONFIG)
    init_weights(model, INIT_SEED)
    perturb(model, PERTURB_SEED)
    params = {name: p.detach().clone() for name, p in model.named_parameters()}

    tokens = make_tokens(B, T + 1, CONFIG.vocab_size, TOKEN_SEED)
    inputs, targets = tokens[:, :T], tokens[:, 1:]

    # Check our GELU against the formula the brief and the Java side use.
    x = torch.linspace(-6, 6, 1001)
    formula = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    gelu_err = (torch.nn.functional.gelu(x, approximate="tanh") - formula).abs().max().item()
    assert gelu_err < 1e-6, gelu_err

    model.zero_grad(set_to_none=True)
    logits, loss = model(inputs, targets)
    loss.backward()
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()}

    losses_fp32 = train_losses(model, inputs, targets, bf16=False)
    losses_bf16 = train_losses(model, inputs, targets, bf16=True)
    assert losses_fp32[0].item() == loss.item()

    weights_path = os.path.join(args.out, "tiny-gpt2.safetensors")
    config_path = os.path.join(args.out, "tiny-gpt2-config.json")
    expected_path = os.path.join(args.out, "tiny-gpt2-expected.safetensors")

    safetensors_min.save(params, weights_path, metadata={"format": "pt"})
    with open(config_path, "w") as f:
        json.dump(CONFIG.hf_config(), f, indent=2)
        f.write("\n")

    expected = {"tokens": tokens.to(torch.int32), "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    expected.update({"grad." + name: g for name, g in grads.items()})
    expected["losses_fp32"] = losses_fp32
    expected["losses_bf16"] = losses_bf16
    metadata = {
        "generator": "tools/reference/make_gpt2_fixture.py",
        "torch_version": torch.__version__,
        "blas": ",".join(blas["libblas"]) or "unknown",
        "threads": str(THREADS),
        "batch_size": str(B),
        "seq_len": str(T),
        "inputs": "tokens[:, :T]",
        "targets": "tokens[:, 1:]",
        "loss": "mean cross-entropy over B*T positions",
        "tied_lm_head": "logits = ln_f(x) @ wte.weight^T; grad.wte.weight holds the embedding and LM-head parts",
        "optimizer": "torch.optim.AdamW (PyTorch 1.13, foreach=False)",
        "lr": repr(ADAMW["lr"]),
        "beta1": repr(ADAMW["betas"][0]),
        "beta2": repr(ADAMW["betas"][1]),
        "eps": repr(ADAMW["eps"]),
        "weight_decay": repr(ADAMW["weight_decay"]),
        "weight_decay_applies_to": "tensors with dim >= 2 (wte, wpe, every Conv1D weight); 0 for biases and LayerNorm",
        "grad_clip": "none",
        "lr_schedule": "constant",
        "steps": str(STEPS),
        "adamw_update": ("t += 1; p -= lr*wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g; "
                         "p -= (lr/(1-b1^t)) * m / (sqrt(v)/sqrt(1-b2^t) + eps)"),
        "losses": "losses_*[i] is the loss of the forward pass before step i+1 on the same batch; "
                  "losses_fp32[0] == loss",
        "losses_bf16": "torch.autocast('cpu', dtype=torch.bfloat16) around the forward (matmuls in bf16), "
                       "fp32 master weights and AdamW state, loss taken in fp32",
    }
    safetensors_min.save(expected, expected_path, metadata=metadata)

    # Read back what we wrote: the writer and the reader must agree bit for bit.
    for path, tensors in ((weights_path, params), (expected_path, expected)):
        loaded, _ = safetensors_min.load(path)
        assert list(loaded) == list(tensors), path
        for name, t in tensors.items():
            assert torch.equal(loaded[name], t.to(loaded[name].dtype)), (path, name)

    print(f"torch {torch.__version__}, threads {THREADS}, BLAS {blas['libblas']}")
    print(f"config L={CONFIG.n_layer} C={CONFIG.n_embd} NH={CONFIG.n_head} V={CONFIG.vocab_size} "
          f"n_positions={CONFIG.n_positions}; batch B={B} T={T}; parameters {param_count(model)}")
    print(f"loss {loss.item():.6f} (ln V = {math.log(CONFIG.vocab_size):.6f})")
    print("losses_fp32 " + " ".join(f"{v:.6f}" for v in losses_fp32.tolist()))
    print("losses_bf16 " + " ".join(f"{v:.6f}" for v in losses_bf16.tolist()))
    print("grad norms: " + ", ".join(f"{n} {g.norm().item():.3e}" for n, g in list(grads.items())[:6]) + ", ...")
    total = 0
    for path in (weights_path, config_path, expected_path):
        size = os.path.getsize(path)
        total += size
        print(f"{os.path.relpath(path, REPO)}  {size} bytes  sha256 {sha256(path)}")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
