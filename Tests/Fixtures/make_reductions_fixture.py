"""Writes reductions.json: the reductions and the losses of API.md "More operations", run in
PyTorch 2.11.0 (CPU), for ReductionsGoldenTests.swift and LossesGoldenTests.swift.

Schema (Tests/Fixtures/README.md, "reductions.json"): `cases`, each with
  id, op, dtype ("float32" | "float64"), params (op arguments),
  inputs: [{shape, values, dtype, requiresGrad, permute?}]  (`permute`: the input is the leaf of
      the given shape permuted by these dims, a strided view; the gradient is the leaf's),
  and either error (PyTorch's message) or
  output {shape, values, dtype}, gradFn (name or null), gradOutput {shape, values} (the
  `gradient:` of backward, null when no input requires grad) and grads (per input, null when
  none).
Values: numbers, or "nan" / "inf" / "-inf"; float32 values are float() of the float32 value, so
they parse back exactly.

Deterministic: seeded with torch.manual_seed; run `python3 Tests/Fixtures/make_reductions_fixture.py`.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from part2_dsl import DTYPE_NAMES, check_torch, encode_scalar, encode_values

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}
ERRORS = (RuntimeError, IndexError, ValueError)


def enc(v):
    """A number of the params as part2_dsl encodes a float64 value."""
    return encode_scalar(v, "float64")


def record(t):
    return {"shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype], "values": encode_values(t)}


class Case:
    def __init__(self, id, op, dtype, inputs, params=None):
        self.id, self.op, self.dtype, self.params = id, op, dtype, params or {}
        self.inputs = inputs  # list of (tensor values as torch tensor of dtype, requiresGrad, permute)


def inp(t, requires_grad=True, permute=None):
    return (t, requires_grad, permute)


def apply(op, xs, p):
    x = xs[0]
    if op == "min": return x.min()
    if op == "max": return x.max()
    if op == "minDim": return x.min(dim=p["dim"], keepdim=p["keepDim"])[0]
    if op == "maxDim": return x.max(dim=p["dim"], keepdim=p["keepDim"])[0]
    if op == "argmax": return x.argmax()
    if op == "argmin": return x.argmin()
    if op == "argmaxDim": return x.argmax(dim=p["dim"], keepdim=p["keepDim"])
    if op == "argminDim": return x.argmin(dim=p["dim"], keepdim=p["keepDim"])
    if op == "prod": return x.prod()
    if op == "sumDims": return x.sum(dim=p["dims"], keepdim=p["keepDim"])
    if op == "meanDims": return x.mean(dim=p["dims"], keepdim=p["keepDim"])
    if op == "variance": return x.var(dim=p.get("dims"), correction=p["correction"], keepdim=p["keepDim"])
    if op == "std": return x.std(dim=p.get("dims"), correction=p["correction"], keepdim=p["keepDim"])
    if op == "norm": return torch.linalg.vector_norm(x, ord=p["p"])
    if op == "logSumExp": return x.logsumexp(dim=p["dim"], keepdim=p["keepDim"])
    if op == "cumsum": return x.cumsum(dim=p["dim"])
    if op == "nllLoss": return F.nll_loss(x, xs[1])
    if op == "crossEntropy": return F.cross_entropy(x, xs[1])
    if op == "binaryCrossEntropy": return F.binary_cross_entropy(x, xs[1])
    if op == "binaryCrossEntropyWithLogits": return F.binary_cross_entropy_with_logits(x, xs[1])
    if op == "l1Loss": return F.l1_loss(x, xs[1])
    if op == "huberLoss": return F.huber_loss(x, xs[1], delta=p.get("delta", 1.0))
    if op == "smoothL1Loss": return F.smooth_l1_loss(x, xs[1], beta=p.get("beta", 1.0))
    raise ValueError(op)


def run(case):
    leaves, xs, in_records = [], [], []
    for (t, rg, perm) in case.inputs:
        leaf = t.clone().requires_grad_(rg and t.is_floating_point())
        leaves.append(leaf)
        xs.append(leaf.permute(*perm) if perm else leaf)
        r = record(t)
        r["requiresGrad"] = bool(leaf.requires_grad)
        if perm:
            r["permute"] = perm
        in_records.append(r)
    params = {k: enc(v) if isinstance(v, float) else v for k, v in case.params.items()}
    out = {"id": case.id, "op": case.op, "dtype": case.dtype, "params": params, "inputs": in_records}
    try:
        y = apply(case.op, xs, case.params)
    except ERRORS as e:
        out["error"] = str(e)
        return out
    out["output"] = record(y)
    out["gradFn"] = type(y.grad_fn).__name__ if y.grad_fn is not None else None
    if y.requires_grad:
        g = torch.randn(y.shape, dtype=torch.float64).to(y.dtype)
        y.backward(g)
        out["gradOutput"] = record(g)
        out["grads"] = [record(l.grad) if l.grad is not None else None for l in leaves]
    else:
        out["gradOutput"] = None
        out["grads"] = [None for _ in leaves]
    return out


def randn(shape, dtype):
    return torch.randn(shape, dtype=torch.float64).to(DTYPES[dtype])


def tensor(values, dtype, shape=None):
    t = torch.tensor(values, dtype=DTYPES[dtype])
    return t.reshape(shape) if shape is not None else t


def random_shape(rank):
    return [int(torch.randint(1, 5, ()).item()) for _ in range(rank)]


def adder(cases, D):
    """`add(id, op, inputs, params)`: appends the case `op.id.D`."""
    def add(id, op, inputs, params=None):
        cases.append(Case(f"{op}.{id}.{D}", op, D, inputs, params))
    return add


def reduction_cases():
    cases = []
    for D in ["float32", "float64"]:
        add = adder(cases, D)
        # random shapes, every dim both ways, negative dims
        for rank in [1, 2, 3]:
            shape = random_shape(rank)
            for op in ["min", "max", "argmax", "argmin", "prod", "logSumExp"]:
                if op == "logSumExp":
                    for d in range(-rank, rank):
                        add(f"r{rank}d{d}", op, [inp(randn(shape, D))], {"dim": d, "keepDim": d % 2 == 0})
                else:
                    add(f"r{rank}", op, [inp(randn(shape, D))])
            for d in range(-rank, rank):
                for keep in [False, True]:
                    for op in ["minDim", "maxDim", "argmaxDim", "argminDim"]:
                        add(f"r{rank}d{d}k{int(keep)}", op, [inp(randn(shape, D))], {"dim": d, "keepDim": keep})
                add(f"r{rank}d{d}", "cumsum", [inp(randn(shape, D))], {"dim": d})
            dim_lists = [[0], [-1], list(range(rank)), []] + ([[0, -1], [-1, 0]] if rank > 1 else []) + ([[0, 2]] if rank > 2 else [])
            for dims in dim_lists:
                for keep in [False, True]:
                    tag = "_".join(str(d) for d in dims) or "none"
                    for op in ["sumDims", "meanDims"]:
                        add(f"r{rank}[{tag}]k{int(keep)}", op, [inp(randn(shape, D))], {"dims": dims, "keepDim": keep})
                    for corr in [0, 1]:
                        for op in ["variance", "std"]:
                            add(f"r{rank}[{tag}]k{int(keep)}c{corr}", op, [inp(randn(shape, D))],
                                {"dims": dims, "correction": corr, "keepDim": keep})
            for op in ["variance", "std"]:
                add(f"r{rank}all", op, [inp(randn(shape, D))], {"correction": 1, "keepDim": False})
                add(f"r{rank}allKeep", op, [inp(randn(shape, D))], {"correction": 0, "keepDim": True})
            for p in [2.0, 1.0, 3.0, 1.5, 0.5, -1.0, 0.0, math.inf, -math.inf]:
                add(f"r{rank}p{p}", "norm", [inp(randn(shape, D))], {"p": p})
        # strided inputs (a transposed view)
        add("strided", "min", [inp(randn([3, 4], D), permute=[1, 0])])
        add("strided", "minDim", [inp(randn([3, 4], D), permute=[1, 0])], {"dim": 1, "keepDim": False})
        add("strided", "argmaxDim", [inp(randn([3, 4], D), permute=[1, 0])], {"dim": 0, "keepDim": False})
        add("strided", "prod", [inp(randn([2, 3], D), permute=[1, 0])])
        add("strided", "sumDims", [inp(randn([2, 3, 4], D), permute=[2, 0, 1])], {"dims": [0, 2], "keepDim": False})
        add("strided", "variance", [inp(randn([2, 3, 4], D), permute=[2, 0, 1])], {"dims": [1], "correction": 1, "keepDim": True})
        add("strided", "std", [inp(randn([3, 4], D), permute=[1, 0])], {"dims": [0], "correction": 1, "keepDim": False})
        add("strided", "norm", [inp(randn([3, 4], D), permute=[1, 0])], {"p": 2.0})
        add("strided", "logSumExp", [inp(randn([3, 4], D), permute=[1, 0])], {"dim": 1, "keepDim": False})
        add("strided", "cumsum", [inp(randn([3, 4], D), permute=[1, 0])], {"dim": 1})
        # 0-d inputs
        for op, params in [("min", {}), ("minDim", {"dim": 0, "keepDim": False}), ("argmax", {}),
                           ("argminDim", {"dim": -1, "keepDim": True}), ("prod", {}), ("cumsum", {"dim": 0}),
                           ("logSumExp", {"dim": 0, "keepDim": False}), ("norm", {"p": 2.0}),
                           ("sumDims", {"dims": [0], "keepDim": False}), ("variance", {"correction": 0, "keepDim": False})]:
            add("zeroDim", op, [inp(randn([], D))], params)
        # ties: the first index, the gradient shared evenly
        ties = tensor([1.0, -2.0, 3.0, -2.0, 3.0, -2.0], D, [2, 3])
        for op in ["min", "max", "argmax", "argmin"]:
            add("ties", op, [inp(ties)])
        for op in ["minDim", "maxDim", "argmaxDim", "argminDim"]:
            add("ties", op, [inp(tensor([[1.0, 1.0, 0.0], [2.0, -1.0, -1.0]], D))], {"dim": 1, "keepDim": False})
            add("tiesDim0", op, [inp(tensor([[1.0, 1.0, 0.0], [1.0, -1.0, 0.0]], D))], {"dim": 0, "keepDim": True})
        # NaN
        nan = tensor([1.0, math.nan, -3.0, math.nan], D)
        for op in ["min", "max", "argmax", "argmin"]:
            add("nan", op, [inp(nan)])
        for op in ["minDim", "argminDim", "argmaxDim"]:
            add("nan", op, [inp(tensor([[1.0, math.nan, -3.0], [2.0, 0.0, math.nan]], D))], {"dim": 1, "keepDim": False})
        # prod with zeros
        add("oneZero", "prod", [inp(tensor([2.0, 0.0, -3.0, 0.5], D))])
        add("twoZeros", "prod", [inp(tensor([[2.0, 0.0], [0.0, 1.5]], D))])
        add("threeZeros", "prod", [inp(tensor([0.0, 0.0, 4.0, 0.0], D))])
        add("empty", "prod", [inp(randn([0, 3], D))])
        # variance and std at the edges
        x = randn([3, 4], D)
        for corr in [3, 4, 5]:
            for op in ["variance", "std"]:
                add(f"correction{corr}", op, [inp(x)], {"dims": [0], "correction": corr, "keepDim": False})
        for corr in [12, 13]:
            for op in ["variance", "std"]:
                add(f"allCorrection{corr}", op, [inp(x)], {"correction": corr, "keepDim": False})
        const = tensor([[2.0, 2.0, 2.0], [1.0, -1.0, 0.5]], D)
        for op in ["variance", "std"]:
            add("constantRow", op, [inp(const)], {"dims": [1], "correction": 1, "keepDim": False})
            add("constantAllOneOff", op, [inp(tensor([2.0], D))], {"correction": 1, "keepDim": False})
            add("constantAll", op, [inp(tensor([1.5, 1.5, 1.5], D))], {"correction": 1, "keepDim": False})
        # norm at the edges
        zero = tensor([0.0, 0.0, 0.0], D)
        for p in [2.0, 1.0, 3.0, math.inf]:
            add(f"zeroVector{p}", "norm", [inp(zero)], {"p": p})
        add("infTies", "norm", [inp(tensor([1.0, -3.0, 3.0, 2.0], D))], {"p": math.inf})
        add("minusInfTies", "norm", [inp(tensor([1.0, -0.5, 0.5, 2.0], D))], {"p": -math.inf})
        add("withZeros1", "norm", [inp(tensor([1.0, 0.0, -2.0], D))], {"p": 1.0})
        add("empty2", "norm", [inp(randn([0], D))], {"p": 2.0})
        # logsumexp: large values, ±inf rows
        add("large", "logSumExp", [inp(tensor([[1000.0, 1000.5, 999.0], [-1000.0, -1001.0, -999.5]], D))], {"dim": 1, "keepDim": False})
        add("minusInfRow", "logSumExp", [inp(tensor([[-math.inf, -math.inf], [0.0, -math.inf]], D))], {"dim": 1, "keepDim": False})
        add("plusInfRow", "logSumExp", [inp(tensor([[math.inf, 1.0], [-math.inf, math.inf]], D))], {"dim": -1, "keepDim": True})
        add("empty", "logSumExp", [inp(randn([2, 0], D))], {"dim": 1, "keepDim": False})
        # errors
        add("empty", "min", [inp(randn([0], D))])
        add("emptyDim", "minDim", [inp(randn([2, 0], D))], {"dim": 1, "keepDim": False})
        add("empty", "argmax", [inp(randn([0], D))])
        add("emptyDim", "argminDim", [inp(randn([2, 0], D))], {"dim": 1, "keepDim": False})
        add("dimOutOfRange", "minDim", [inp(randn([3], D))], {"dim": 1, "keepDim": False})
        add("dimOutOfRange", "cumsum", [inp(randn([3], D))], {"dim": -2})
        add("dimOutOfRange", "logSumExp", [inp(randn([2, 3], D))], {"dim": 2, "keepDim": False})
        add("repeatedDim", "sumDims", [inp(randn([2, 3], D))], {"dims": [1, -1], "keepDim": False})
        add("repeatedDim", "variance", [inp(randn([2, 3], D))], {"dims": [0, 0], "correction": 1, "keepDim": False})
    return cases


def loss_cases():
    cases = []
    for D in ["float32", "float64"]:
        add = adder(cases, D)
        def targets(values, shape=None):
            return inp(tensor(values, "int64", shape), requires_grad=False)
        for n, c in [(4, 3), (1, 5), (6, 2)]:
            t = torch.randint(0, c, (n,)).tolist()
            add(f"n{n}c{c}", "nllLoss", [inp(randn([n, c], D).log_softmax(1)), targets(t)])
            add(f"n{n}c{c}", "crossEntropy", [inp(randn([n, c], D)), targets(t)])
        add("oneSample", "nllLoss", [inp(randn([4], D).log_softmax(0)), targets(2, [])])
        add("oneSample", "crossEntropy", [inp(randn([4], D)), targets(3, [])])
        add("ignoreIndex", "nllLoss", [inp(randn([3, 4], D).log_softmax(1)), targets([1, -100, 3])])
        add("allIgnored", "nllLoss", [inp(randn([2, 4], D).log_softmax(1)), targets([-100, -100])])
        add("strided", "crossEntropy", [inp(randn([4, 3], D), permute=[1, 0]), targets([0, 3, 1])])
        add("targetTooLarge", "nllLoss", [inp(randn([3, 4], D)), targets([1, 4, 0])])
        add("targetNegative", "nllLoss", [inp(randn([3, 4], D)), targets([1, -1, 0])])
        add("batchMismatch", "nllLoss", [inp(randn([3, 4], D)), targets([1, 2])])
        add("targetTooLarge", "crossEntropy", [inp(randn([2, 4], D)), targets([7, 0])])
        add("batchMismatch", "crossEntropy", [inp(randn([3, 4], D)), targets([1])])
        # binary cross-entropy: probabilities in (0, 1), and exactly 0 and 1 (log clamped to -100)
        for shape in [[5], [2, 3], [2, 2, 2]]:
            p = torch.rand(shape, dtype=torch.float64).to(DTYPES[D]) * 0.98 + 0.01
            add(f"r{len(shape)}", "binaryCrossEntropy", [inp(p), inp(torch.rand(shape, dtype=torch.float64).to(DTYPES[D]))])
            add(f"r{len(shape)}", "binaryCrossEntropyWithLogits", [inp(randn(shape, D) * 3), inp(torch.rand(shape, dtype=torch.float64).to(DTYPES[D]))])
        add("edges", "binaryCrossEntropy", [inp(tensor([0.0, 1.0, 0.0, 1.0, 0.5], D)), inp(tensor([0.0, 1.0, 1.0, 0.0, 0.25], D))])
        add("targetNoGrad", "binaryCrossEntropy", [inp(tensor([0.2, 0.7], D)), inp(tensor([1.0, 0.0], D), requires_grad=False)])
        add("outOfRange", "binaryCrossEntropy", [inp(tensor([0.2, 1.5], D)), inp(tensor([1.0, 0.0], D))])
        add("sizeMismatch", "binaryCrossEntropy", [inp(tensor([0.2, 0.5], D)), inp(tensor([1.0, 0.0, 1.0], D))])
        add("large", "binaryCrossEntropyWithLogits", [inp(tensor([100.0, -100.0, 40.0, -40.0, 0.0], D)), inp(tensor([0.0, 1.0, 1.0, 0.0, 0.5], D))])
        add("sizeMismatch", "binaryCrossEntropyWithLogits", [inp(tensor([0.2, 0.5], D)), inp(tensor([1.0, 0.0, 1.0], D))])
        # l1, huber, smooth L1
        for shape in [[5], [2, 3]]:
            for op in ["l1Loss", "huberLoss", "smoothL1Loss"]:
                add(f"r{len(shape)}", op, [inp(randn(shape, D) * 2), inp(randn(shape, D))])
        a = tensor([0.0, 1.0, -1.0, 0.5, 2.0, -0.25], D)
        b = tensor([0.0, 0.0, 0.0, 1.0, 0.0, 0.25], D)
        add("edges", "l1Loss", [inp(a), inp(b)])
        for delta in [1.0, 0.5, 2.0]:
            add(f"edgesDelta{delta}", "huberLoss", [inp(a), inp(b)], {"delta": delta})
        for beta in [1.0, 0.5, 2.0, 0.0]:
            add(f"edgesBeta{beta}", "smoothL1Loss", [inp(a), inp(b)], {"beta": beta})
        add("targetNoGrad", "huberLoss", [inp(randn([3], D)), inp(randn([3], D), requires_grad=False)], {"delta": 0.7})
        add("broadcast", "l1Loss", [inp(randn([2, 3], D)), inp(randn([3], D))])
        add("broadcast", "huberLoss", [inp(randn([2, 3], D)), inp(randn([1, 3], D))])
        add("broadcast", "smoothL1Loss", [inp(randn([3], D)), inp(randn([2, 3], D))])
        for op in ["l1Loss", "huberLoss", "smoothL1Loss"]:
            add("sizeMismatch", op, [inp(randn([3, 2], D)), inp(randn([2, 2], D))])
        add("deltaZero", "huberLoss", [inp(randn([2], D)), inp(randn([2], D))], {"delta": 0.0})
        add("deltaNegative", "huberLoss", [inp(randn([2], D)), inp(randn([2], D))], {"delta": -1.0})
        add("betaNegative", "smoothL1Loss", [inp(randn([2], D)), inp(randn([2], D))], {"beta": -0.5})
        # target shapes: an empty batch, and the errors
        add("emptyBatch", "nllLoss", [inp(randn([0, 4], D)), targets([], [0])])
        add("emptyBatch", "crossEntropy", [inp(randn([0, 4], D)), targets([], [0])])
        add("ignoreIndex", "crossEntropy", [inp(randn([3, 4], D)), targets([-100, 2, 0])])
        add("targets2d", "nllLoss", [inp(randn([3, 4], D)), targets([[1, 2, 3]])])
        add("targets2dSameBatch", "nllLoss", [inp(randn([1, 4], D)), targets([[1, 2, 3]])])
        add("zeroDimTargetOfBatch", "crossEntropy", [inp(randn([3, 4], D)), targets(1, [])])
    return cases


def main():
    check_torch()
    torch.manual_seed(20261204)
    import warnings
    warnings.simplefilter("ignore")
    out = {"torch": torch.__version__.split("+")[0],
           "reductions": [run(c) for c in reduction_cases()],
           "losses": [run(c) for c in loss_cases()]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reductions.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {path}: {len(out['reductions'])} reduction cases, {len(out['losses'])} loss cases")


if __name__ == "__main__":
    main()
