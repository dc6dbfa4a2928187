#!/usr/bin/env python3
"""Loads a checkpoint written by `tensorbench train --model transformer --save FILE` into
perf/train_transformer_torch.py's PyTorch model (load_state_dict, strict) and compares its
next-character probabilities with the ones `tensorbench sample FILE --probabilities-after TEXT`
prints, after several prefixes. Exits 1 when any probability differs by more than --tolerance.

    python3 perf/check_transformer_checkpoint.py /tmp/swift-transformer.safetensors \\
        --tensorbench .build/release/tensorbench
"""
import argparse
import json
import os
import subprocess
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_transformer_torch as t  # noqa: E402

PREFIXES = ["", "a", "th", "quick", "Ångstr", "zebra's", "un", "ing", "qu", "abcdefghijklmnopqrstuvwxyzabcdefghij"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("--tensorbench", default=os.path.join(t.ROOT, ".build", "release", "tensorbench"))
    p.add_argument("--tolerance", type=float, default=1e-4)
    a = p.parse_args()
    vocab, _, _ = t.load_words()
    model = t.CharTransformer(len(vocab))
    model.load_state_dict(load_file(a.checkpoint), strict=True)
    model.eval()
    index = {c: i for i, c in enumerate(vocab)}
    worst = 0.0
    for prefix in PREFIXES:
        codes = [index["\n"]] + [index[c] for c in prefix]
        window = codes[-32:]
        with torch.no_grad():
            probs = model(torch.tensor([window]))[0, -1].softmax(-1)
        out = subprocess.run([a.tensorbench, "sample", a.checkpoint, "--probabilities-after", prefix],
                             check=True, capture_output=True, text=True, cwd=t.ROOT).stdout
        swift = json.loads(out)
        diff = max(abs(swift[c] - probs[i].item()) for i, c in enumerate(vocab))
        worst = max(worst, diff)
        top = sorted(range(len(vocab)), key=lambda i: -probs[i].item())[:3]
        print(f"after {prefix!r:40} max |Δp| {diff:.2e}; top: "
              + ", ".join(f"{vocab[i]!r} {probs[i].item():.4f}/{swift[vocab[i]]:.4f}" for i in top))
    print(f"worst difference {worst:.2e} (tolerance {a.tolerance:g}) over {len(PREFIXES)} prefixes")
    sys.exit(0 if worst <= a.tolerance else 1)


if __name__ == "__main__":
    main()
