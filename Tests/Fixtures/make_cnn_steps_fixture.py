#!/usr/bin/env python3
"""Writes Tests/Fixtures/cnn_init.safetensors and cnn_steps.json: `tensorbench train --model cnn`'s
network trained for 40 steps by torch 2.11, from initial weights the Swift test loads.

Run from anywhere (`python3 Tests/Fixtures/make_cnn_steps_fixture.py`); needs torch==2.11.0 and
safetensors (PyPI). Deterministic: the same versions write the same files.

The network is perf/train_torch.py's CNN (Unflatten, Conv2d(1, 16, 3, padding=1), ReLU,
MaxPool2d(2), Conv2d(16, 32, 3, padding=1), ReLU, MaxPool2d(2), Flatten, Linear(128, 10); its
state_dict keys "1.weight", "1.bias", "4.*", "8.*") initialized from torch.manual_seed(0), and
trained with Adam (lr 0.002) and F.cross_entropy on batches of 64 rows of the training split
(Data/digits.csv scaled by 1/16, the first 1437 rows of Data/digits-split.txt's order).

cnn_steps.json: `batches`, 40 lists of 64 positions in the training split (a torch.randperm per
pass); `losses`, the loss of each step before its update; `final`, each parameter after the 40
steps, flattened (float32 values written with repr, which parse back to the same float32).
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "perf"))
import train_torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
import torch.nn.functional as F  # noqa: E402

STEPS, BATCH = 40, 64


def main():
    assert torch.__version__.startswith("2.11.0"), torch.__version__
    torch.manual_seed(0)
    xtr, ytr, _, _ = train_torch.load_digits()
    model = train_torch.make_model("cnn", 128)
    save_file({k: v.detach().clone().contiguous() for k, v in model.state_dict().items()},
              os.path.join(HERE, "cnn_init.safetensors"))
    opt = torch.optim.Adam(model.parameters(), lr=0.002)
    batches, losses = [], []
    order = []
    for _ in range(STEPS):
        if len(order) < BATCH:
            order = torch.randperm(len(xtr)).tolist()
        idx, order = order[:BATCH], order[BATCH:]
        batches.append(idx)
        opt.zero_grad()
        loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
        losses.append(repr(loss.item()))
    final = {k: [repr(float(v)) for v in p.detach().flatten()] for k, p in model.named_parameters()}
    with open(os.path.join(HERE, "cnn_steps.json"), "w") as f:
        json.dump({"torch": torch.__version__, "batches": batches, "losses": losses, "final": final}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
