"""Writes conv_pool.json: convolutions and pooling of API.md Part two ("More operations",
issue 18) run by PyTorch 2.11.0 on the CPU, in float32 and float64: values, grad_fn names and
gradients, and the messages of the shapes and parameters PyTorch refuses.

Each case applies one op (Swift names: `conv1d`, `conv2d`, `maxPool2d`, `avgPool2d`; params
as the Swift labels name them, `stride`/`padding`/`dilation` a list where the case uses the
list overload) to its inputs (`input`, `weight`, `bias` for the convolutions), then
backpropagates `gradOutput` (random, not ones, so that a gradient scaled wrongly shows).
Inputs are multiples of 1/8 (exact in both dtypes); the max pooling `ties` cases use small
integers, so that windows hold several equal maxima (PyTorch's gradient goes to the first).

`errors`: the op on inputs of the given shapes (zeros) with the params, and PyTorch's message.
Deterministic: `python3 Tests/Fixtures/make_conv_pool_fixture.py` writes the same file again.
"""
import json
import os

import torch
import torch.nn.functional as F

from part2_dsl import check_torch

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def values(shape, gen, ties=False):
    n = 1
    for s in shape:
        n *= s
    if ties:
        return torch.randint(-2, 3, (n,), generator=gen).double().tolist()
    return (torch.randint(-24, 25, (n,), generator=gen).double() / 8).tolist()


def apply(op, xs, p):
    def arg(name, default):
        return p.get(name, default)
    if op == "conv2d":
        return F.conv2d(xs[0], xs[1], xs[2] if len(xs) > 2 else None, arg("stride", 1), arg("padding", 0),
                        arg("dilation", 1), arg("groups", 1))
    if op == "conv1d":
        return F.conv1d(xs[0], xs[1], xs[2] if len(xs) > 2 else None, arg("stride", 1), arg("padding", 0),
                        arg("dilation", 1), arg("groups", 1))
    if op == "maxPool2d":
        return F.max_pool2d(xs[0], p["kernelSize"], p.get("stride"), p.get("padding", 0))
    if op == "avgPool2d":
        return F.avg_pool2d(xs[0], p["kernelSize"], p.get("stride"), p.get("padding", 0))
    raise ValueError(op)


# (op, shapes, params, requiresGrad or None for all, ties)
CASES = [
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3], [4]], {}, None, False),
    ("conv2d", [[2, 3, 6, 5], [4, 3, 3, 3]], {"stride": 2, "padding": 1}, None, False),
    ("conv2d", [[1, 2, 7, 6], [3, 2, 3, 2], [3]], {"dilation": 2, "padding": 2}, None, False),
    ("conv2d", [[2, 4, 6, 5], [6, 2, 3, 2], [6]], {"stride": [2, 1], "padding": [1, 0], "dilation": [1, 2], "groups": 2}, None, False),
    ("conv2d", [[1, 3, 4, 4], [3, 1, 2, 2]], {"groups": 3}, None, False),
    ("conv2d", [[2, 3, 4, 4], [5, 3, 1, 1], [5]], {}, None, False),
    ("conv2d", [[2, 3, 5, 5], [2, 3, 1, 1]], {"stride": 2}, None, False),
    ("conv2d", [[2, 3, 4, 4], [2, 3, 1, 1]], {"padding": 1}, None, False),
    ("conv2d", [[3, 5, 5], [2, 3, 3, 3], [2]], {"padding": 1}, None, False),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3], [4]], {"padding": 1}, [True, False, False], False),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3], [4]], {"stride": 2}, [False, True, True], False),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3], [4]], {}, [False, False, True], False),
    ("conv2d", [[2, 2, 4, 4], [3, 2, 4, 4], [3]], {}, None, False),
    ("conv1d", [[2, 3, 7], [4, 3, 3], [4]], {}, None, False),
    ("conv1d", [[2, 3, 9], [2, 3, 3]], {"stride": 2, "padding": 1, "dilation": 2}, None, False),
    ("conv1d", [[2, 4, 9], [4, 2, 3], [4]], {"groups": 2, "padding": [1]}, None, False),
    ("conv1d", [[3, 6], [2, 3, 2]], {}, None, False),
    ("conv1d", [[2, 3, 5], [4, 3, 1], [4]], {}, None, False),
    ("maxPool2d", [[2, 3, 6, 6]], {"kernelSize": 2}, None, False),
    ("maxPool2d", [[1, 2, 7, 7]], {"kernelSize": 3, "stride": 2, "padding": 1}, None, False),
    ("maxPool2d", [[1, 1, 5, 5]], {"kernelSize": 2, "stride": 1}, None, True),
    ("maxPool2d", [[2, 2, 4, 5]], {"kernelSize": 3, "stride": 1, "padding": 1}, None, True),
    ("maxPool2d", [[2, 5, 5]], {"kernelSize": 2, "stride": 2, "padding": 1}, None, False),
    ("avgPool2d", [[2, 3, 6, 6]], {"kernelSize": 2}, None, False),
    ("avgPool2d", [[1, 2, 7, 7]], {"kernelSize": 3, "stride": 2, "padding": 1}, None, False),
    ("avgPool2d", [[2, 5, 5]], {"kernelSize": 2, "stride": 1, "padding": 1}, None, False),
    ("avgPool2d", [[1, 2, 4, 5]], {"kernelSize": 3, "stride": 1, "padding": 1}, None, False),
]

# (op, shapes, params)
ERRORS = [
    ("conv2d", [[2, 3], [4, 3, 3, 3]], {}),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3]], {}),
    ("conv2d", [[2, 3, 5, 5], [4, 2, 3, 3]], {}),
    ("conv2d", [[2, 3, 5, 5], [4, 1, 3, 3]], {"groups": 3}),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3]], {"groups": 2}),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 6, 6]], {}),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3], [3]], {}),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3]], {"stride": 0}),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3]], {"padding": -1}),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3]], {"dilation": 0}),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3]], {"groups": 0}),
    ("conv2d", [[2, 3, 5, 5], [4, 3, 3, 3]], {"stride": [1, 2, 3]}),
    ("conv1d", [[2, 3, 5], [4, 3, 6]], {}),
    ("conv1d", [[2, 3, 5], [4, 2, 3]], {}),
    ("conv1d", [[2, 3, 5, 5], [4, 3, 3]], {}),
    ("maxPool2d", [[2, 3, 5, 5]], {"kernelSize": 2, "padding": 2}),
    ("maxPool2d", [[2, 3, 5, 5]], {"kernelSize": 6}),
    ("maxPool2d", [[2, 3, 5, 5]], {"kernelSize": 2, "stride": 0}),
    ("maxPool2d", [[5, 5]], {"kernelSize": 2}),
    ("avgPool2d", [[2, 3, 5, 5]], {"kernelSize": 2, "padding": 2}),
    ("avgPool2d", [[2, 3, 5, 5]], {"kernelSize": 6}),
    ("avgPool2d", [[2, 3, 5, 5]], {"kernelSize": 2, "stride": 0}),
]


def main():
    check_torch()
    gen = torch.Generator().manual_seed(18)
    cases = []
    for op, shapes, params, requires, ties in CASES:
        raw = [values(s, gen, ties) for s in shapes]
        requires = requires or [True] * len(shapes)
        for dname, dtype in DTYPES.items():
            xs = [torch.tensor(v, dtype=dtype).reshape(s).requires_grad_(r) for v, s, r in zip(raw, shapes, requires)]
            out = apply(op, xs, params)
            grad_out_values = values(list(out.shape), torch.Generator().manual_seed(len(cases)))
            grad_out = torch.tensor(grad_out_values, dtype=dtype).reshape(out.shape)
            out.backward(grad_out)
            cases.append({
                "op": op, "dtype": dname, "params": params, "shapes": shapes, "requiresGrad": requires,
                "inputs": raw, "output": out.detach().reshape(-1).tolist(), "outputShape": list(out.shape),
                "gradFn": type(out.grad_fn).__name__, "gradOutput": grad_out_values,
                "grads": [x.grad.reshape(-1).tolist() if r else None for x, r in zip(xs, requires)],
            })
    errors = []
    for op, shapes, params in ERRORS:
        xs = [torch.zeros(s) for s in shapes]
        try:
            apply(op, xs, params)
        except (RuntimeError, IndexError) as e:
            errors.append({"op": op, "shapes": shapes, "params": params, "message": str(e)})
        else:
            raise AssertionError(f"{op} {shapes} {params} did not fail")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv_pool.json")
    with open(path, "w") as f:
        json.dump({"torch": "2.11.0", "cases": cases, "errors": errors}, f, indent=0)
        f.write("\n")
    print(f"{path}: {len(cases)} cases, {len(errors)} errors")


if __name__ == "__main__":
    main()
