"""Writes elementwise.json: the elementwise ops of API.md Part two ("More operations", issue 18)
run by PyTorch 2.11.0 on the CPU, in float32 and float64: values, grad_fn names and gradients.

Each case applies one op (Swift names, see Tests/_TestSupport/ElementwiseOps.swift) to its
inputs (the first one transposed first when `transposed`, a strided view), then backpropagates
`gradOutput` (random, not ones, so that a gradient scaled wrongly shows). Three kinds of cases:

- `random`: random shapes (0-d, empty and transposed views among them) and values from a domain
  where the op is smooth;
- `edge`: one vector of edge values (0, -0, ±1, kink points, large values, ±inf, NaN) for a
  unary op; for the binary ones, ties, NaN, 0 and negative bases, infinite exponents;
- `broadcast`: the binary ops on shapes that broadcast.

Values are `repr(float(v))` strings ("nan", "inf", "-0.0" included), exact for both dtypes.
Deterministic: `python3 Tests/Fixtures/make_elementwise_fixture.py` writes the same file again.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from part2_dsl import check_torch

DTYPES = {"float32": torch.float32, "float64": torch.float64}

# name -> (function of the inputs, params, domain of random values)
UNARY = {
    "log1p": (lambda x, p: torch.log1p(x), "log1p"),
    "expm1": (lambda x, p: torch.expm1(x), "any"),
    "sin": (lambda x, p: torch.sin(x), "any"),
    "cos": (lambda x, p: torch.cos(x), "any"),
    "sign": (lambda x, p: torch.sign(x), "any"),
    "rsqrt": (lambda x, p: torch.rsqrt(x), "positive"),
    "reciprocal": (lambda x, p: torch.reciprocal(x), "nonzero"),
    "square": (lambda x, p: torch.square(x), "any"),
    "erf": (lambda x, p: torch.erf(x), "any"),
    "clamped": (lambda x, p: torch.clamp(x, p.get("min"), p.get("max")), "any"),
    "leakyRelu": (lambda x, p: F.leaky_relu(x, p["negativeSlope"]) if "negativeSlope" in p else F.leaky_relu(x), "any"),
    "gelu": (lambda x, p: F.gelu(x, approximate="tanh" if p.get("approximate") else "none"), "any"),
    "silu": (lambda x, p: F.silu(x), "any"),
    "softplus": (lambda x, p: F.softplus(x, p.get("beta", 1.0), p.get("threshold", 20.0)), "any"),
    "elu": (lambda x, p: F.elu(x, p.get("alpha", 1.0)), "any"),
}

BINARY = {
    "powTensor": (lambda a, b: torch.pow(a, b), ("positive", "any")),
    "maximum": (lambda a, b: torch.maximum(a, b), ("any", "any")),
    "minimum": (lambda a, b: torch.minimum(a, b), ("any", "any")),
}

# Parameter sets per op (the first is the defaults).
PARAMS = {
    "clamped": [{"min": -0.5, "max": 0.8}, {"min": 0.25}, {"max": -0.25}, {"min": 1.0, "max": -1.0}],
    "leakyRelu": [{}, {"negativeSlope": 0.2}],
    "gelu": [{}, {"approximate": True}],
    "softplus": [{}, {"beta": 2.0, "threshold": 1.0}],
    "elu": [{}, {"alpha": 0.5}],
}

EDGE = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 0.25, -0.25, 0.8, 2.0, -2.0, 1e-7, -1e-7, 3.0, -3.0, 10.0, -10.0,
        20.0, 20.5, -20.0, 50.0, -50.0, 100.0, -100.0, math.inf, -math.inf, math.nan]

EDGE_PAIRS = {
    "powTensor": ([0, 0, 0, 0, 0, -0.0, -2, -2, -8, 2, 1, math.nan, 1, 2, 0.5, math.inf, 3],
                  [0, 1, -1, 0.5, 2, 2, 2, 3, 1 / 3, 0, math.nan, 0, math.inf, -1.5, -math.inf, -1, 0.5]),
    "maximum": ([1, 2, math.nan, 3, 0, -0.0, math.inf, -math.inf, math.nan, 5, -1],
                [1, 3, 1, math.nan, -0.0, 0, math.inf, -math.inf, math.nan, -5, -1]),
}
EDGE_PAIRS["minimum"] = EDGE_PAIRS["maximum"]

BROADCAST_SHAPES = [([3, 1], [1, 4]), ([2, 3], [3]), ([], [2, 2]), ([4], [2, 3, 4]), ([2, 1, 3], [4, 1])]


def draw(shape, domain, gen):
    n = math.prod(shape)
    if domain == "positive":
        v = torch.rand(n, generator=gen, dtype=torch.float64) * 2.9 + 0.1
    elif domain == "log1p":
        v = torch.rand(n, generator=gen, dtype=torch.float64) * 3.9 - 0.9
    elif domain == "nonzero":
        v = torch.randn(n, generator=gen, dtype=torch.float64)
        v = v + 0.2 * torch.sign(v)
    else:
        v = torch.randn(n, generator=gen, dtype=torch.float64) * 2
    # Rounded to float32 once, so that both dtypes start from the same values.
    return v.to(torch.float32).to(torch.float64).reshape(shape)


def encode(t):
    t = t.detach()
    return {"shape": list(t.shape), "values": [repr(float(v)) for v in t.contiguous().reshape(-1).tolist()]}


def run(case_id, op, params, values, dtype, transposed, gen):
    """Runs `op` on `values` (float64 tensors) in `dtype`, backpropagating a random gradient."""
    inputs = [v.to(DTYPES[dtype]).requires_grad_(True) for v in values]
    xs = list(inputs)
    if transposed:
        xs[0] = xs[0].t()
    if op in BINARY:
        y = BINARY[op][0](xs[0], xs[1])
    else:
        y = UNARY[op][0](xs[0], params)
    grad_output = draw(list(y.shape), "any", gen).to(DTYPES[dtype])
    grads = torch.autograd.grad(y, inputs, grad_output, allow_unused=True)
    return {
        "id": case_id, "op": op, "dtype": dtype, "params": params, "transposed": transposed,
        "inputs": [encode(v) for v in values],
        "output": encode(y), "gradFn": y.grad_fn.name(), "gradOutput": encode(grad_output),
        "grads": [encode(g) if g is not None else None for g in grads],
    }


def main():
    check_torch()
    gen = torch.Generator().manual_seed(18)
    cases = []
    for op, (_, domain) in UNARY.items():
        for k, params in enumerate(PARAMS.get(op, [{}])):
            shapes = [[], [0], [5], [2, 3, 4], [3, 2]]
            for dtype in DTYPES:
                for i, shape in enumerate(shapes):
                    values = [draw(shape, domain, gen)]
                    cases.append(run(f"{op}.{k}.random{i}.{dtype}", op, params, values, dtype, False, gen))
                values = [draw([4, 3], domain, gen)]
                cases.append(run(f"{op}.{k}.transposed.{dtype}", op, params, values, dtype, True, gen))
                edge = EDGE
                if op == "gelu" and not params.get("approximate") and dtype == "float32":
                    # PyTorch's vectorized float32 erf gives gelu(+inf) = NaN, its scalar path (a
                    # strided or 0-d input) and float64 inf; ours is inf everywhere.
                    edge = [v for v in EDGE if v != math.inf]
                values = [torch.tensor(edge, dtype=torch.float64)]
                cases.append(run(f"{op}.{k}.edge.{dtype}", op, params, values, dtype, False, gen))
    for op, (_, domains) in BINARY.items():
        for dtype in DTYPES:
            for i, (sa, sb) in enumerate(BROADCAST_SHAPES):
                values = [draw(sa, domains[0], gen), draw(sb, domains[1], gen)]
                cases.append(run(f"{op}.broadcast{i}.{dtype}", op, {}, values, dtype, False, gen))
            values = [draw([3, 2], domains[0], gen), draw([3], domains[1], gen)]
            cases.append(run(f"{op}.transposed.{dtype}", op, {}, values, dtype, True, gen))
            a, b = EDGE_PAIRS[op]
            values = [torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)]
            cases.append(run(f"{op}.edge.{dtype}", op, {}, values, dtype, False, gen))
    out = {"torch": torch.__version__.split("+")[0], "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "elementwise.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
