#!/usr/bin/env python3
"""PyTorch's run of `tensorbench train`: the same data, split, model, optimizer and schedule
(batch size, epochs, learning rate), so accuracy and training time stand side by side.

    python3 perf/train_torch.py --model cnn --seed 0 --threads 1

Prints one line per epoch and a final line in tensorbench's format. The initial weights and the
shuffling come from torch's generator seeded with --seed, so they differ from the Swift run's;
what is compared is accuracy over several seeds and the training time.
"""
import argparse
import os
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_digits(train_count=1437):
    data = np.loadtxt(os.path.join(ROOT, "Data", "digits.csv"), delimiter=",", skiprows=1, dtype=np.float32)
    labels = data[:, 0].astype(np.int64)
    features = data[:, 1:] / 16
    with open(os.path.join(ROOT, "Data", "digits-split.txt")) as f:
        order = [int(v) for line in f if not line.startswith("#") for v in line.split()]
    train, test = order[:train_count], order[train_count:]
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    return t(features[train]), t(labels[train]), t(features[test]), t(labels[test])


def make_model(kind, hidden):
    if kind == "mlp":
        return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    # tensorbench's DigitsCNN: 1×8×8 → 16×8×8 → 16×4×4 → 32×4×4 → 32×2×2 → 10.
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128, 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float)
    p.add_argument("--optimizer", choices=["sgd", "adam"])
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args()
    # tensorbench train's defaults for each model.
    defaults = {"mlp": (20, "sgd"), "cnn": (30, "adam")}[a.model]
    epochs = a.epochs if a.epochs is not None else defaults[0]
    optimizer = a.optimizer or defaults[1]
    lr = a.lr if a.lr is not None else 0.002 if (a.model, optimizer) == ("cnn", "adam") else {"sgd": 0.1, "adam": 0.001}[optimizer]
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr, ytr, xte, yte = load_digits()
    model = make_model(a.model, a.hidden)
    opt = torch.optim.SGD(model.parameters(), lr=lr) if optimizer == "sgd" else torch.optim.Adam(model.parameters(), lr=lr)

    def accuracy(x, y):
        model.eval()
        with torch.no_grad():
            r = (model(x).argmax(1) == y).float().mean().item()
        model.train()
        return r

    training = 0.0
    steps = 0
    last = float("nan")
    n = len(xtr)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        perm = torch.randperm(n)
        total = 0.0
        for i in range(0, n, a.batch_size):
            idx = perm[i:i + a.batch_size]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            steps += 1
        elapsed = time.perf_counter() - start
        training += elapsed
        last = total / n
        if not a.quiet:
            print(f"epoch {epoch:3d}/{epochs}  loss {last:.4f}  train {accuracy(xtr, ytr) * 100:6.2f}%  "
                  f"test {accuracy(xte, yte) * 100:6.2f}%  {elapsed * 1e3:7.2f} ms")
    acc = accuracy(xte, yte)
    ms = training * 1e3
    print(f"test accuracy {acc * 100:.2f}% ({round(acc * len(yte))}/{len(yte)}), final train loss {last:.4f}, "
          f"training {ms:.1f} ms ({ms * 1000 / steps:.1f} µs/step, {steps} steps) [torch {torch.__version__}, "
          f"{a.threads} thread{'s' if a.threads != 1 else ''}]")


if __name__ == "__main__":
    main()
