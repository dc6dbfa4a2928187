#!/usr/bin/env python3
"""Writes Tests/Fixtures/optim_trajectories.json: 100-step torch.optim trajectories on a small
regression, learning-rate schedules, and clip_grad_norm_ results.

Run from anywhere (`python3 Tests/Fixtures/make_optim_trajectories_fixture.py`); needs
torch==2.11.0 (CPU is enough). Deterministic: the same torch version writes the same file.

Trajectories. A linear regression in float32 with fixed data: inputs `x` [8, 3], targets `y`
[8, 2] (from torch.manual_seed(0): y = x @ w_true.T + b_true + noise, with w_true far from the
start so that gradients stay large for the 100 steps), parameters `w` [2, 3] and `b` [2] with
fixed starting values, and the loss `mse_loss(x @ w.T + b, y)`. Each step is
`zero_grad(); loss.backward(); optimizer.step()` and then, where the case has a schedule,
`scheduler.step()`. The gradients depend on the parameters, so a replay computes the loss and
its gradient itself. torch.optim runs with `foreach=False`, its single-tensor path. Each case
records `w` and `b` after steps 1, 10, 50 and 100, and with a schedule the learning rate after
each scheduler step.

Schedules. StepLR and CosineAnnealingLR on an SGD optimizer over a one-element parameter (no
optimizer steps matter: the rates are all that is recorded): `lrs[0]` is get_last_lr() after
construction, `lrs[k]` after k scheduler steps, for 3 periods or more.

Clipping. clip_grad_norm_(params, max_norm) with norm_type=2 and the defaults (foreach on the
CPU, error_if_nonfinite=False): the returned total norm and every gradient after the call
(`null` for a parameter without one), for gradients over the limit, under it, with a missing
gradient, with an infinite or a NaN entry, and with no gradient at all.

Every float is `repr(float(v))`: of a float32 value for tensors (it parses back to that float32
exactly), of a Python float for learning rates; "inf" and "nan" are written as strings.
"""
import json
import math
import os
import re

import torch

assert torch.__version__.split("+")[0] == "2.11.0", torch.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDED_STEPS = (1, 10, 50, 100)


def num(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(repr(v))


def f32_list(t):
    return [num(v) for v in t.detach().reshape(-1).tolist()]


def record(t):
    return {"shape": list(t.shape), "values": f32_list(t)}


def data():
    torch.manual_seed(0)
    x = torch.randn(8, 3, dtype=torch.float32)
    w_true = torch.tensor([[4.0, -3.0, 5.0], [-6.0, 2.0, 3.0]])
    b_true = torch.tensor([2.5, -4.0])
    y = x @ w_true.T + b_true + 0.1 * torch.randn(8, 2)
    w0 = 0.5 * torch.randn(2, 3)
    b0 = torch.randn(2)
    return x, y, w0, b0


TRAJECTORIES = [
    ("adamw_defaults", "AdamW", dict(), None),
    ("adamw_amsgrad", "AdamW", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, amsgrad=True), None),
    ("adam_amsgrad_weight_decay", "Adam", dict(lr=0.01, weight_decay=0.05, amsgrad=True), None),
    ("rmsprop_defaults", "RMSprop", dict(), None),
    ("rmsprop_momentum", "RMSprop", dict(lr=1e-3, momentum=0.9), None),
    ("rmsprop_centered", "RMSprop", dict(lr=1e-3, centered=True), None),
    ("rmsprop_weight_decay", "RMSprop", dict(lr=1e-2, weight_decay=0.1), None),
    ("rmsprop_all", "RMSprop",
     dict(lr=5e-3, alpha=0.98, eps=1e-6, weight_decay=0.01, momentum=0.5, centered=True), None),
    ("sgd_nesterov_weight_decay", "SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.01, nesterov=True), None),
    ("sgd_momentum_dampening_weight_decay", "SGD",
     dict(lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.001), None),
    ("sgd_steplr", "SGD", dict(lr=0.02, momentum=0.9), ("StepLR", dict(step_size=30, gamma=0.1))),
    ("adam_cosine", "Adam", dict(lr=0.05), ("CosineAnnealingLR", dict(T_max=40, eta_min=1e-3))),
    ("adamw_cosine", "AdamW", dict(lr=0.02, weight_decay=0.05),
     ("CosineAnnealingLR", dict(T_max=15, eta_min=0.0))),
]

OPTION_KEYS = {
    "SGD": ("lr", "momentum", "dampening", "weight_decay", "nesterov"),
    "Adam": ("lr", "betas", "eps", "weight_decay", "amsgrad"),
    "AdamW": ("lr", "betas", "eps", "weight_decay", "amsgrad"),
    "RMSprop": ("lr", "alpha", "eps", "weight_decay", "momentum", "centered"),
}


def schedule(optimizer, kind, options):
    return getattr(torch.optim.lr_scheduler, kind)(optimizer, **options)


def run(x, y, w0, b0, kind, options, sched, perturbation=0.0):
    """100 steps; with a perturbation, every gradient entry is multiplied by a random factor in
    1 ± perturbation/2 before each step (the conditioning check of main)."""
    w = w0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    opt = getattr(torch.optim, kind)([w, b], foreach=False, **options)
    scheduler = schedule(opt, *sched) if sched else None
    noise = torch.Generator().manual_seed(5)
    after, lrs, losses = {}, [], {}
    for step in range(1, 101):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(x @ w.T + b, y)
        loss.backward()
        if perturbation:
            for p in (w, b):
                p.grad.mul_(1 + perturbation * (torch.rand(p.grad.shape, generator=noise) - 0.5))
        opt.step()
        if scheduler is not None:
            scheduler.step()
            lrs.append(num(scheduler.get_last_lr()[0]))
        if step in RECORDED_STEPS:
            after[str(step)] = [f32_list(w), f32_list(b)]
            losses[str(step)] = num(loss.detach())
    return opt, scheduler, after, lrs, losses


def trajectories(x, y, w0, b0):
    out = []
    for case_id, kind, options, sched in TRAJECTORIES:
        opt, scheduler, after, lrs, losses = run(x, y, w0, b0, kind, options, sched)
        # Conditioning check: gradients off by about one float32 rounding (2.4e-7 relative) must
        # move no final parameter by more than 5e-7, or a replay whose gradients round
        # differently could not be held to 1e-6. (Centered RMSprop with alpha=0.9 fails it: its
        # variance estimate cancels, and torch against itself differs by 4e-5.)
        _, _, nudged, _, _ = run(x, y, w0, b0, kind, options, sched, perturbation=2.4e-7)
        drift = max(abs(a - c) for p, q in zip(after["100"], nudged["100"]) for a, c in zip(p, q))
        assert drift <= 5e-7, f"{case_id}: ill-conditioned, a 1-ulp gradient change moves a parameter by {drift}"
        group = opt.param_groups[0]
        opts = {k: (list(group[k]) if k == "betas" else group[k]) for k in OPTION_KEYS[kind]}
        if scheduler is not None:
            opts["lr"] = scheduler.base_lrs[0]
        case = {"id": case_id, "optimizer": kind, "options": opts, "after": after, "loss_before": losses,
                "drift_under_1ulp_gradients": drift}
        if sched:
            case["schedule"] = {"kind": sched[0], "options": sched[1]}
            case["lrs"] = lrs
        out.append(case)
    return out


SCHEDULES = [
    ("step_3_half", 0.1, "StepLR", dict(step_size=3, gamma=0.5), 20),
    ("step_1_default_gamma", 1.0, "StepLR", dict(step_size=1), 10),
    ("cosine_10", 0.1, "CosineAnnealingLR", dict(T_max=10, eta_min=0.001), 30),
    ("cosine_7_zero_min", 1.0, "CosineAnnealingLR", dict(T_max=7), 21),
    ("cosine_1", 0.05, "CosineAnnealingLR", dict(T_max=1, eta_min=0.01), 6),
    ("cosine_25", 0.3, "CosineAnnealingLR", dict(T_max=25, eta_min=1e-4), 100),
]


def schedules():
    out = []
    for case_id, lr, kind, options, steps in SCHEDULES:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=lr)
        s = schedule(opt, kind, options)
        lrs = [num(s.get_last_lr()[0])]
        for _ in range(steps):
            opt.step()
            s.step()
            lrs.append(num(s.get_last_lr()[0]))
        out.append({"id": case_id, "lr": lr, "kind": kind, "options": options, "lrs": lrs})
    return out


def clipping():
    torch.manual_seed(1)
    a = torch.randn(3, 4)
    c = torch.randn(5)
    d = torch.randn(2, 2)
    inf_grad = c.clone()
    inf_grad[2] = float("inf")
    nan_grad = c.clone()
    nan_grad[0] = float("nan")
    cases = [
        ("over", [a, c, d], 1.0),
        ("under", [a, c, d], 100.0),
        ("missing_grad", [a, None, d], 0.5),
        ("single", [c], 0.25),
        ("infinite", [a, inf_grad], 1.0),
        ("nan", [a, nan_grad], 1.0),
        ("no_grads", [None, None], 1.0),
    ]
    out = []
    for case_id, grads, max_norm in cases:
        shapes = [list(g.shape) if g is not None else [4] for g in grads]
        params = [torch.zeros(s, requires_grad=True) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = None if g is None else g.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        out.append({
            "id": case_id, "max_norm": max_norm, "shapes": shapes,
            "grads": [None if g is None else f32_list(g) for g in grads],
            "total_norm": num(total),
            "clipped": [None if p.grad is None else f32_list(p.grad) for p in params],
        })
    return out


def main():
    x, y, w0, b0 = data()
    fixture = {
        "generator": "Tests/Fixtures/make_optim_trajectories_fixture.py",
        "torch": torch.__version__,
        "description": "100-step torch.optim trajectories (foreach=False) on mse_loss(x @ w.T + b, y); "
                       "'after' maps a step count to [w, b]; learning-rate schedules; clip_grad_norm_.",
        "x": record(x), "y": record(y), "w": record(w0), "b": record(b0),
        "trajectories": trajectories(x, y, w0, b0),
        "schedules": schedules(),
        "clipping": clipping(),
    }
    path = os.path.join(HERE, "optim_trajectories.json")
    text = json.dumps(fixture, indent=1)
    # Lists of numbers (and nulls, "nan", "inf") on one line each.
    text = re.sub(r'\[[-0-9.e,\s"naif]*\]', lambda m: "[" + ", ".join(m.group(0)[1:-1].split()).replace(",,", ",") + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
