"""A GPT-2 in plain PyTorch: the reference the Java model is checked against.

Parameter names and layouts are Hugging Face GPT-2's without the `transformer.` prefix, and the
linear layers keep HF's Conv1D layout, weight (in, out), y = x @ W + b, so a tensor written from
here can be read by the Java side without transposing anything. The LM head is tied to `wte`.

Only PyTorch is needed (1.13 or newer); no transformers.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class GptConfig:
    vocab_size: int
    n_positions: int
    n_embd: int
    n_layer: int
    n_head: int
    layer_norm_epsilon: float = 1e-5
    initializer_range: float = 0.02

    def hf_config(self):
        """The config.json Hugging Face writes for a GPT2LMHeadModel of these dimensions."""
        return {
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "vocab_size": self.vocab_size,
            "n_positions": self.n_positions,
            "n_embd": self.n_embd,
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "n_inner": None,
            "activation_function": "gelu_new",
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "initializer_range": self.initializer_range,
            "resid_pdrop": 0.0,
            "embd_pdrop": 0.0,
            "attn_pdrop": 0.0,
            "scale_attn_weights": True,
            "tie_word_embeddings": True,
            "torch_dtype": "float32",
        }


class Conv1D(nn.Module):
    """HF's Conv1D: a linear layer whose weight is stored (in, out)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        # x is (..., in) -> (..., out)
        y = torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight)
        return y.view(*x.shape[:-1], y.shape[-1])


def gelu_tanh(x):
    """GELU, tanh approximation ("gelu_new"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return F.gelu(x, approximate="tanh")


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)
        causal = torch.tril(torch.ones(cfg.n_positions, cfg.n_positions, dtype=torch.bool))
        self.register_buffer("causal", causal, persistent=False)

    def forward(self, x):
        # x is (B,T,C); qkv is (B,T,3C) laid out [q | k | v], each split into NH heads of size hs
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)  # (B,NH,T,hs)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B,NH,T,T)
        att = att.masked_fill(~self.causal[:T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = Conv1D(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x):
        return self.c_proj(gelu_tanh(self.c_fc(x)))


class Block(nn.Module):
    """Pre-norm block: x + attn(ln_1(x)), then + mlp(ln_2(.))."""

    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.mlp = Mlp(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt2(nn.Module):
    """named_parameters() yields HF's names in HF's order: wte, wpe, h.{l}.*, ln_f."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.n_embd)
        self.h = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)

    def forward(self, idx, targets=None):
        # idx, targets are (B,T) int64; logits (B,T,V); loss is the mean cross-entropy over B*T
        B, T = idx.shape
        pos = torch.arange(T, dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)  # tied LM head: x @ wte^T
        if targets is None:
            return logits, None
        # The loss is taken in fp32 even when autocast made the logits bf16.
        loss = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.reshape(-1))
        return logits, loss


def init_weights(model, seed):
    """GPT-2 init: N(0, 0.02) for embeddings and matrices, N(0, 0.02/sqrt(2L)) for the residual
    projections (attn.c_proj, mlp.c_proj), zero biases, LayerNorm weight 1 and bias 0.

    Draws from one generator in named_parameters() order, so the result depends only on the seed
    (and the PyTorch version's normal sampler)."""
    cfg = model.cfg
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".ln_" in name or name.startswith("ln_"):
                p.fill_(1.0 if name.endswith(".weight") else 0.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                std = cfg.initializer_range
                if name.endswith("c_proj.weight"):
                    std = cfg.initializer_range / math.sqrt(2 * cfg.n_layer)
                p.normal_(0.0, std, generator=gen)


def decay_groups(model, weight_decay):
    """AdamW groups as GPT-2 training does: decay tensors with dim >= 2 (matrices, embeddings),
    not biases or LayerNorm parameters."""
    decay = [p for _, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for _, p in model.named_parameters() if p.dim() < 2]
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def flops_per_step(cfg, batch, seq_len):
    """Model FLOPs of one training step (forward + backward), as PaLM (appendix B) and nanoGPT count:
    6 * N * tokens for the matrix products against the weights, where N counts every parameter that
    takes part in a matmul (all of them except wpe, a lookup; wte counted once, as the tied LM head),
    plus 12 * L * T * C per token for attention scores and the weighted sum (QK^T and AV: 2*T*C
    multiply-adds each per token per layer forward = 4*T*C FLOPs, times 3 for forward+backward),
    counting the full T x T square (the causal half is not subtracted). LayerNorm, GELU, softmax,
    cross-entropy and the optimizer are not counted."""
    C, L, V = cfg.n_embd, cfg.n_layer, cfg.vocab_size
    per_layer = 12 * C * C + 13 * C  # c_attn 3C^2+3C, attn.c_proj C^2+C, c_fc 4C^2+4C, mlp.c_proj 4C^2+C, 2 LN 4C
    n = V * C + L * per_layer + 2 * C  # + ln_f
    tokens = batch * seq_len
    return 6 * n * tokens + 12 * L * seq_len * C * tokens
