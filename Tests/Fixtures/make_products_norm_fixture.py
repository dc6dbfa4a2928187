"""Writes products_norm.json: the products, normalizations and embedding of API.md Part two
("More operations", issue 18) run by PyTorch 2.11.0 on the CPU, in float32 and float64.

Each case applies one op (the names of Tests/_TestSupport/ProductsNormOps.swift, with the same
params) to its inputs, then backpropagates a random `gradOutput`: the output, its grad_fn name,
the names of its next_functions (so the matmul cases show the nodes PyTorch reduces them to),
and the gradients of the inputs that require grad. A batch norm with running statistics also
holds them after the call (`runningMeanAfter`, `runningVarAfter`: PyTorch's in-place update with
the unbiased variance). `errors` holds the message PyTorch raises for shapes that don't fit.

Values are `repr(float(v))` strings, exact for both dtypes. Deterministic:
`python3 Tests/Fixtures/make_products_norm_fixture.py` writes the same file again.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from part2_dsl import check_torch

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def draw(shape, gen):
    v = torch.randn(math.prod(shape), generator=gen, dtype=torch.float64) * 1.5
    return v.to(torch.float32).to(torch.float64).reshape(shape)


def encode(t):
    t = t.detach()
    return {"shape": list(t.shape), "values": [repr(float(v)) for v in t.contiguous().reshape(-1).tolist()]}


def affine(xs, params):
    a = params.get("affine")
    if a == "weight":
        return xs[1], None
    if a == "bias":
        return None, xs[1]
    if a == "both":
        return xs[1], xs[2]
    return None, None


def apply(op, xs, params, dtype):
    """The op as the Swift `applyProductsNormOp` applies it; returns (output, running stats)."""
    if op == "matmulND":
        right = xs[1].transpose(-1, -2) if params.get("transposedRight") else xs[1]
        return torch.matmul(xs[0], right), None
    if op == "bmm":
        return torch.bmm(xs[0], xs[1]), None
    if op == "dot":
        return torch.dot(xs[0], xs[1]), None
    if op == "embedding":
        idx = torch.tensor(params["indices"], dtype=torch.int64).reshape(params["indexShape"])
        return F.embedding(idx, xs[0], padding_idx=params.get("paddingIdx")), None
    eps = params.get("eps", 1e-5)
    w, b = affine(xs, params)
    if op == "layerNorm":
        return F.layer_norm(xs[0], params["normalizedShape"], w, b, eps), None
    if op == "batchNorm":
        rm = torch.tensor(params["runningMean"], dtype=dtype) if "runningMean" in params else None
        rv = torch.tensor(params["runningVar"], dtype=dtype) if "runningVar" in params else None
        y = F.batch_norm(xs[0], rm, rv, w, b, params["training"], params.get("momentum", 0.1), eps)
        return y, (rm, rv)
    raise ValueError(op)


def run(case_id, op, shapes, params, requires, dtype, gen):
    values = [draw(s, gen) for s in shapes]
    if op == "layerNorm" or op == "batchNorm":
        # Positive-ish weights, so a weight near 0 doesn't hide the input's gradient.
        for i in range(1, len(values)):
            values[i] = values[i] * 0.5 + (1.0 if i == 1 and params.get("affine") in ("weight", "both") else 0.0)
    inputs = [v.to(DTYPES[dtype]).requires_grad_(r) for v, r in zip(values, requires)]
    y, stats = apply(op, inputs, params, DTYPES[dtype])
    grad_output = draw(list(y.shape), gen).to(DTYPES[dtype])
    wanted = [x for x, r in zip(inputs, requires) if r]
    grads = torch.autograd.grad(y, wanted, grad_output, allow_unused=True)
    grads = iter(grads)
    case = {
        "id": case_id, "op": op, "dtype": dtype, "params": params, "requiresGrad": requires,
        "inputs": [encode(v) for v in values],
        "output": encode(y), "gradFn": y.grad_fn.name(),
        "nextFunctions": [f.name() if f is not None else None for f, _ in y.grad_fn.next_functions],
        "gradOutput": encode(grad_output),
        "grads": [encode(next(grads)) if r else None for r in requires],
    }
    if stats is not None and stats[0] is not None:
        case["runningMeanAfter"] = encode(stats[0])
        case["runningVarAfter"] = encode(stats[1])
    return case


T, F_ = True, False
MATMUL = [
    ([3], [3], [T, T]), ([3], [3, 4], [T, T]), ([2, 3], [3], [T, T]), ([2, 3], [3, 4], [T, T]),
    ([2, 2, 3], [2, 3, 4], [T, T]), ([2, 2, 3], [3, 4], [T, T]), ([2, 2, 3], [3, 4], [T, F_]),
    ([2, 3], [5, 3, 4], [T, T]), ([2, 3], [5, 3, 4], [F_, T]), ([3], [2, 3, 4], [T, T]), ([3], [2, 3, 4], [F_, T]),
    ([2, 2, 3], [3], [T, T]), ([3, 2, 4], [4], [T, F_]), ([2, 1, 2, 3], [5, 3, 4], [T, T]),
    ([1, 2, 3], [4, 3, 5], [T, T]), ([1, 2, 3], [4, 3, 5], [F_, T]), ([4, 2, 3], [1, 3, 5], [T, T]),
    ([2, 3, 2, 3], [2, 3, 3, 4], [T, T]), ([3], [2, 2, 3, 4], [T, F_]), ([0, 2, 3], [3, 2], [T, T]),
]
STATS = {"runningMean": [0.1, -0.2, 0.3], "runningVar": [0.5, 1.5, 2.0]}
CASES = (
    [("matmulND", [a, b], {}, r) for a, b, r in MATMUL]
    + [("matmulND", [[2, 2, 3], [2, 4, 3]], {"transposedRight": True}, [T, T])]
    + [("bmm", [[3, 2, 4], [3, 4, 5]], {}, [T, T]), ("bmm", [[2, 1, 3], [2, 3, 2]], {}, [F_, T])]
    + [("dot", [[5], [5]], {}, [T, T])]
    + [
        ("embedding", [[5, 3]], {"indices": [1, 4, 1, 0], "indexShape": [2, 2]}, [T]),
        ("embedding", [[5, 3]], {"indices": [1, 2, 1, 2, 3], "indexShape": [5], "paddingIdx": 2}, [T]),
        ("embedding", [[4, 2]], {"indices": [3, 0, 3], "indexShape": [3, 1], "paddingIdx": -1}, [T]),
    ]
    + [
        ("layerNorm", [[3, 4]], {"normalizedShape": [4]}, [T]),
        ("layerNorm", [[2, 3, 4], [3, 4], [3, 4]], {"normalizedShape": [3, 4], "affine": "both"}, [T, T, T]),
        ("layerNorm", [[2, 5], [5]], {"normalizedShape": [5], "affine": "weight", "eps": 0.1}, [T, T]),
        ("layerNorm", [[2, 5], [5]], {"normalizedShape": [5], "affine": "bias"}, [T, T]),
        ("layerNorm", [[3, 4], [4], [4]], {"normalizedShape": [4], "affine": "both"}, [F_, T, T]),
    ]
    + [
        ("batchNorm", [[4, 3]], {"training": True}, [T]),
        ("batchNorm", [[2, 3, 4], [3], [3]], {"training": True, "affine": "both", **STATS}, [T, T, T]),
        ("batchNorm", [[2, 3, 2, 2], [3]], {"training": True, "affine": "weight", "momentum": 0.3, **STATS}, [T, T]),
        ("batchNorm", [[4, 3], [3], [3]], {"training": False, "affine": "both", **STATS}, [T, T, T]),
        ("batchNorm", [[2, 3, 2], [3]], {"training": False, "affine": "bias", "eps": 0.01, **STATS}, [T, T]),
        ("batchNorm", [[4, 3], [3], [3]], {"training": True, "affine": "both"}, [F_, T, T]),
    ]
)

# (op, shapes, params): each raises; its message is recorded.
ERRORS = [
    ("matmulND", [[3], [4]], {}), ("matmulND", [[3], [4, 2]], {}), ("matmulND", [[2, 3], [4]], {}),
    ("matmulND", [[2, 3], [4, 2]], {}), ("matmulND", [[2, 2, 3], [2, 4, 5]], {}), ("matmulND", [[2, 2, 3], [3, 3, 5]], {}),
    ("matmulND", [[2, 2, 3], [4, 5]], {}), ("matmulND", [[2, 2, 3], [4]], {}), ("matmulND", [[], [2]], {}),
    ("bmm", [[2, 2, 3], [2, 4, 5]], {}), ("bmm", [[2, 3], [3, 3, 5]], {}), ("bmm", [[2, 2, 3], [3, 5]], {}),
    ("dot", [[3], [4]], {}),
    ("layerNorm", [[2, 3]], {"normalizedShape": [4]}),
    ("layerNorm", [[2, 3], [4]], {"normalizedShape": [3], "affine": "weight"}),
    ("layerNorm", [[2, 3], [4]], {"normalizedShape": [3], "affine": "bias"}),
    ("batchNorm", [[2, 3]], {"training": False, "runningMean": [0.0] * 4, "runningVar": [1.0] * 4}),
    ("batchNorm", [[1, 3]], {"training": True}),
    ("batchNorm", [[2, 3], [4]], {"training": True, "affine": "weight"}),
    ("batchNorm", [[2, 3]], {"training": False}), ("batchNorm", [[3]], {"training": True}),
    ("embedding", [[5, 2]], {"indices": [5], "indexShape": [1]}),
    ("embedding", [[5, 2]], {"indices": [-1], "indexShape": [1]}),
    ("embedding", [[5, 2]], {"indices": [1], "indexShape": [1], "paddingIdx": 5}),
]


def main():
    check_torch()
    gen = torch.Generator().manual_seed(1818)
    cases = []
    for k, (op, shapes, params, requires) in enumerate(CASES):
        for dtype in DTYPES:
            cases.append(run(f"{op}.{k}.{dtype}", op, shapes, params, requires, dtype, gen))
    errors = []
    for op, shapes, params in ERRORS:
        xs = [torch.ones(s) for s in shapes]
        try:
            apply(op, xs, params, torch.float32)
            raise AssertionError(f"{op} {shapes} did not raise")
        except (RuntimeError, IndexError, ValueError, AssertionError) as e:
            if "did not raise" in str(e):
                raise
            errors.append({"op": op, "shapes": shapes, "params": params, "message": str(e).split("\n")[0]})
    out = {"torch": torch.__version__.split("+")[0], "cases": cases, "errors": errors}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "products_norm.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases and {len(errors)} errors to {path}")


if __name__ == "__main__":
    main()
