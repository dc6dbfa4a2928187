#!/usr/bin/env python3
"""PyTorch's run of `tensorbench train --model transformer`: a character-level transformer
language model on Data/words.txt, with the same data, batches, model, optimizer and schedule.

    python3 perf/train_transformer_torch.py --threads 1 --save-init /tmp/init.safetensors \\
        --save /tmp/torch-final.safetensors

Model (nanoGPT's layout, pre-norm): token and position embeddings of width 64, 2 blocks of
(LayerNorm, causal self-attention with 4 heads through F.scaled_dot_product_attention,
LayerNorm, Linear 64→256, GELU, Linear 256→64), a final LayerNorm and a Linear head; context 32.
AdamW (lr 3e-3, PyTorch's defaults otherwise: weight decay 0.01 on every parameter), cosine
annealing to lr/10 over the run, gradient norm clipped at 1.

Batches: 32 windows of 33 characters of the training stream, at offsets drawn from xoshiro256**
seeded by --seed (offset = next() % (len(train) − 33 + 1)): the generator of the Swift library's
RandomGenerator, reimplemented below, so that both runs see the same batches. The initial weights
come from torch.manual_seed(--seed); --save-init writes them for `tensorbench train --model
transformer --init-from`, which then runs step for step with this script.

Validation loss: the mean cross-entropy over every non-overlapping window of the validation
stream (the same windows on both sides).
"""
import argparse
import json
import math
import os
import time

import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MASK = (1 << 64) - 1


class Xoshiro256:
    """The Swift library's RandomGenerator: SplitMix64 seeding, then xoshiro256**."""

    def __init__(self, seed):
        x, state = seed, []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            state.append(z ^ (z >> 31))
        self.s = state

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (self.rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self.rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result


def load_words():
    """(vocabulary, training stream, validation stream): every tenth word validates."""
    with open(os.path.join(ROOT, "Data", "words.txt"), encoding="utf-8") as f:
        text = f.read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    words = text.split("\n")
    if words and words[-1] == "":
        words.pop()
    train = "".join(w + "\n" for i, w in enumerate(words) if i % 10 != 0)
    val = "".join(w + "\n" for i, w in enumerate(words) if i % 10 == 0)
    encode = lambda s: torch.tensor([index[c] for c in s], dtype=torch.int64)
    return vocab, encode(train), encode(val)


class SelfAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads)
        self.ln2 = nn.LayerNorm(width)
        self.fc = nn.Linear(width, 4 * width)
        self.out = nn.Linear(4 * width, width)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class CharTransformer(nn.Module):
    def __init__(self, vocab, width=64, heads=4, layers=2, context=32):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def batch(stream, rng, size, context):
    span = len(stream) - (context + 1) + 1
    offsets = [rng.next() % span for _ in range(size)]
    windows = torch.stack([stream[o:o + context + 1] for o in offsets])
    return windows[:, :-1], windows[:, 1:]


def validation_loss(model, stream, context, chunk=512):
    n = (len(stream) - 1) // context
    x = stream[:n * context].view(n, context)
    y = stream[1:n * context + 1].view(n, context)
    total = 0.0
    with torch.no_grad():
        for i in range(0, n, chunk):
            logits = model(x[i:i + chunk])
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[i:i + chunk].reshape(-1),
                                     reduction="sum").item()
    return total / (n * context)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--save-init", help="write the initial weights (safetensors) here")
    p.add_argument("--save", help="write the trained weights (safetensors) here")
    p.add_argument("--losses", help="write every step's loss (JSON) here")
    p.add_argument("--stop-after", type=int, help="stop after this many steps (the schedule stays --steps long)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    context = 32
    vocab, train, val = load_words()
    model = CharTransformer(len(vocab), context=context)
    if a.save_init:
        from safetensors.torch import save_file
        save_file({k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}, a.save_init)
    step_model = torch.compile(model) if a.compile else model
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.steps, eta_min=a.lr / 10)
    rng = Xoshiro256(a.seed)
    print(f"words: {len(train)} training / {len(val)} validation characters, vocabulary {len(vocab)}; "
          f"{sum(p.numel() for p in model.parameters())} parameters; torch {torch.__version__}, "
          f"{a.threads} thread{'s' if a.threads != 1 else ''}{', compiled' if a.compile else ''}")
    losses = []
    times = []
    training = 0.0
    run = a.steps if a.stop_after is None else min(a.stop_after, a.steps)
    for step in range(1, run + 1):
        x, y = batch(train, rng, a.batch_size, context)
        start = time.perf_counter()
        opt.zero_grad()
        logits = step_model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        value = loss.item()
        times.append(time.perf_counter() - start)
        training += times[-1]
        losses.append(value)
        if step % a.log_every == 0 or step == 1:
            print(f"step {step:5d}/{a.steps}  loss {value:.4f}  lr {schedule.get_last_lr()[0]:.2e}")
    v = validation_loss(model, val, context)
    ms = training * 1e3
    median = sorted(times)[len(times) // 2] * 1e6
    print(f"validation loss {v:.4f}, training {ms:.1f} ms ({ms * 1000 / run:.1f} µs/step, {run} steps; "
          f"median step {median:.1f} µs)")
    if a.save:
        from safetensors.torch import save_file
        save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, a.save)
    if a.losses:
        with open(a.losses, "w") as f:
            json.dump({"losses": [repr(l) for l in losses], "validation": repr(v)}, f)


if __name__ == "__main__":
    main()
