#!/usr/bin/env python3
"""Writes Tests/Fixtures/optim.json: parameter values after torch.optim.SGD / Adam steps.

Run from anywhere (`python3 Tests/Fixtures/make_optim_fixture.py`); needs torch (written with
torch 2.11, CPU). Deterministic: the same torch version writes the same file.

The example: two float32 parameters, `w` of shape [3, 4] and `b` of shape [4], with fixed values,
and fixed gradients `gw`, `gb` (drawn once from torch.manual_seed(0), stored in the file). Every
step uses the same gradients: before each step the gradient of each parameter is set to the
stored value (`p.grad = g.clone()`), then `optimizer.step()` runs. The gradients do not depend on
the parameters, so a replay needs nothing but the optimizer: no loss, no autograd.

torch.optim is run with `foreach=False`, its single-tensor code path (the default on the CPU),
which is the path Sources/TensorCore/Kernels/UpdateKernels.swift follows operation by operation.

For each case the file records the parameters after 1 step and after 3 steps. Every float is
`repr(float(v))` of a float32 value, so it parses back to that float32 exactly.
"""
import json
import os
import re

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def f32_list(t):
    return [float(repr(float(v))) for v in t.detach().reshape(-1).tolist()]


def record(t):
    return {"shape": list(t.shape), "values": f32_list(t)}


def main():
    torch.manual_seed(0)
    w0 = torch.randn(3, 4, dtype=torch.float32)
    b0 = torch.randn(4, dtype=torch.float32)
    gw = torch.randn(3, 4, dtype=torch.float32)
    gb = torch.randn(4, dtype=torch.float32)

    cases = [
        ("sgd_plain", "SGD", dict(lr=0.1)),
        ("sgd_momentum", "SGD", dict(lr=0.1, momentum=0.9)),
        ("sgd_momentum_dampening_weight_decay", "SGD",
         dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
        ("sgd_nesterov", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
        ("sgd_nesterov_weight_decay", "SGD", dict(lr=0.1, momentum=0.8, weight_decay=0.05, nesterov=True)),
        ("adam_defaults", "Adam", dict()),
        ("adam_weight_decay", "Adam", dict(weight_decay=0.1)),
        ("adam_custom", "Adam", dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6)),
        ("adam_custom_weight_decay", "Adam", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-4, weight_decay=0.2)),
    ]

    out_cases = []
    for case_id, kind, options in cases:
        w = w0.clone().requires_grad_(True)
        b = b0.clone().requires_grad_(True)
        cls = torch.optim.SGD if kind == "SGD" else torch.optim.Adam
        opt = cls([w, b], foreach=False, **options)
        after = {}
        for step in range(1, 4):
            w.grad = gw.clone()
            b.grad = gb.clone()
            opt.step()
            if step in (1, 3):
                after[str(step)] = [f32_list(w), f32_list(b)]
        # Every option torch used, defaults included, so the replay sets each one explicitly.
        group = opt.param_groups[0]
        if kind == "SGD":
            opts = {k: group[k] for k in ("lr", "momentum", "dampening", "weight_decay", "nesterov")}
        else:
            opts = {k: group[k] for k in ("lr", "betas", "eps", "weight_decay", "amsgrad")}
            opts["betas"] = list(opts["betas"])
        out_cases.append({"id": case_id, "optimizer": kind, "options": opts, "after": after})

    fixture = {
        "generator": "Tests/Fixtures/make_optim_fixture.py",
        "torch": torch.__version__,
        "description": "Parameters after torch.optim steps (foreach=False) with the same fixed "
                       "gradients at every step; 'after' maps a step count to [w, b] values.",
        "params": {"w": record(w0), "b": record(b0)},
        "grads": {"w": record(gw), "b": record(gb)},
        "cases": out_cases,
    }
    path = os.path.join(HERE, "optim.json")
    text = json.dumps(fixture, indent=1)
    # Lists of numbers on one line each.
    text = re.sub(r"\[[-0-9.e,\s]*\]", lambda m: "[" + ", ".join(m.group(0)[1:-1].split()).replace(",,", ",") + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")
    print(f"wrote {path}: {len(out_cases)} cases")


if __name__ == "__main__":
    main()
