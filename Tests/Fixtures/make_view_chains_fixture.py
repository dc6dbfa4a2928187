#!/usr/bin/env python3
"""Writes Tests/Fixtures/view_chains.json: random chains of the view ops of API.md ("Views share
storage") and of contiguous()/cloned(), as PyTorch runs them.

Run from anywhere (`python3 Tests/Fixtures/make_view_chains_fixture.py`); needs torch==2.11.0 (CPU
is enough). Deterministic (a fixed seed). Where views.json has one hand-picked case per behaviour,
these chains mix the ops on inputs with sizes 0 and 1 and negative dims and indices, so that the
layout corner cases meet: the strides of size-1 and empty dimensions, reshapes of strided views,
clones of non-dense tensors (PyTorch keeps the order of their strides). Each case is in the step
language of part2_dsl.py (Tests/Fixtures/README.md): x (float64, requires grad) through 1 to 5 ops
with parameters drawn at random among the valid ones (a drawn step that raises is not kept); the
intermediate results are a, b, c, ...; the loss is the weighted sum over the last.
"""
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from part2_dsl import ERRORS, check_torch, execute, make_input, run_all, tensor_spec, write  # noqa: E402

SEED = 20_260_101
CASES = 160
OPS = ["transposed", "permuted", "expanded", "unsqueezed", "squeezed", "reshaped", "flattened", "select",
       "narrow", "contiguous", "cloned"]


def random_step(rng, t):
    """One op with parameters for tensor `t` (not always valid: the caller drops a step that raises)."""
    rank = t.dim()

    def dim(n):
        return rng.randrange(-max(n, 1), max(n, 1))

    op = rng.choice(OPS)
    if op == "transposed":
        return {"op": op} if rank <= 2 and rng.random() < 0.4 else {"op": op, "dims": [dim(rank), dim(rank)]}
    if op == "permuted":
        dims = list(range(rank))
        rng.shuffle(dims)
        return {"op": op, "dims": [d - rank if rng.random() < 0.3 else d for d in dims]}
    if op == "expanded":
        sizes = [rng.randrange(0, 4) if s == 1 and rng.random() < 0.6 else (-1 if rng.random() < 0.2 else s)
                 for s in t.shape]
        return {"op": op, "shape": [rng.randrange(1, 3) for _ in range(rng.randrange(0, 2))] + sizes}
    if op == "unsqueezed":
        return {"op": op, "dim": rng.randrange(-(rank + 1), rank + 1)}
    if op == "squeezed":
        return {"op": op} if rng.random() < 0.4 else {"op": op, "dim": dim(rank)}
    if op == "reshaped":
        n = t.numel()
        if n == 0:
            return {"op": op, "shape": list(t.shape)}
        factors, m = [], n
        for p in [2, 3, 5, 7]:
            while m % p == 0:
                factors.append(p)
                m //= p
        if m > 1:
            factors.append(m)
        rng.shuffle(factors)
        shape = []
        for f in factors:
            if shape and rng.random() < 0.5:
                shape[-1] *= f
            else:
                shape.append(f)
        if rng.random() < 0.3:
            shape.insert(rng.randrange(len(shape) + 1), 1)
        if shape and rng.random() < 0.4:
            shape[rng.randrange(len(shape))] = -1
        return {"op": op, "shape": shape}
    if op == "flattened":
        start, end = sorted([dim(rank), dim(rank)], key=lambda d: d % max(rank, 1))
        return {"op": op, "startDim": start, "endDim": end}
    if op in ("select", "narrow") and rank > 0:
        d = dim(rank)
        n = t.shape[d]
        if op == "select":
            return {"op": op, "dim": d, "index": rng.randrange(-n, n)} if n > 0 else {"op": "cloned"}
        start = rng.randrange(0, n + 1)
        length = rng.randrange(0, n - start + 1)
        if start > 0 and rng.random() < 0.3:
            start -= n
        return {"op": op, "dim": d, "start": start, "length": length}
    return {"op": rng.choice(["contiguous", "cloned"])}


def chain_cases():
    rng = random.Random(SEED)
    cases = []
    while len(cases) < CASES:
        rank = rng.randrange(0, 5)
        shape = [rng.choice([0, 1, 2, 3]) if rng.random() < 0.12 else rng.choice([1, 2, 3, 4]) for _ in range(rank)]
        spec = tensor_spec(shape, requires_grad=True)
        env = {"x": make_input(spec)}
        steps, prev = [], "x"
        for k in range(rng.randrange(1, 6)):
            step = {**random_step(rng, env[prev]), "self": prev, "out": "abcde"[k]}
            try:
                env[step["out"]] = execute(step, env)
            except ERRORS:
                continue  # an invalid draw: drop it, draw the next
            steps.append(step)
            prev = step["out"]
        if steps:
            cases.append({"id": f"chain.{len(cases)}", "inputs": {"x": spec}, "steps": steps, "backward": {"of": [prev]}})
    return cases


def main():
    check_torch()
    write("view_chains.json", run_all(chain_cases()), HERE)


if __name__ == "__main__":
    main()
