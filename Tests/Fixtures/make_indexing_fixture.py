#!/usr/bin/env python3
"""Writes Tests/Fixtures/indexing.json: what PyTorch does with the subscripts of API.md
("Subscripts") and with cat, stack, indexSelect, gather, scatterAdd, maskedFill and where
("Joining, gathering, selecting").

Run from anywhere (`python3 Tests/Fixtures/make_indexing_fixture.py`); needs torch==2.11.0 (CPU
is enough). Deterministic. Cases are programs in the step language of part2_dsl.py (described in
Tests/Fixtures/README.md). Id groups: `subscript.*` (reading), `subscriptSet.*` (writing),
`cat.*`, `stack.*`, `indexSelect.*`, `gather.*`, `scatterAdd.*`, `maskedFill.*`, `where.*`; ids
containing `.error.` are programs where a step (or the backward) raises.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from part2_dsl import check_torch, run_all, tensor_spec, write  # noqa: E402


def op(name, **params):
    return {"op": name, **params}


def f64(shape, requires_grad=True, salt=0):
    return tensor_spec(shape, requires_grad=requires_grad, salt=salt)


def ints(shape, values):
    return tensor_spec(shape, dtype="int64", values=values)


def bools(shape, values):
    return tensor_spec(shape, dtype="bool", values=[bool(v) for v in values])


def case(cid, inputs, steps, loss=None, note=None):
    c = {"id": cid, "inputs": inputs, "steps": steps, "backward": None if loss is None else {"of": loss}}
    if note:
        c["note"] = note
    return c


def R(a, b):  # a..<b
    return {"range": [a, b]}


def CR(a, b):  # a...b
    return {"closedRange": [a, b]}


def subscript(cid, shape, items, extra_inputs=None, note=None):
    """y = x[items...] for x (float64, requires grad); loss over y."""
    inputs = {"x": f64(shape), **(extra_inputs or {})}
    return case(cid, inputs, [op("subscript", self="x", indices=items, out="y")], loss=["y"], note=note)


def subscript_cases():
    idx = {"i": ints([3], [2, 0, 2])}
    return [
        subscript("subscript.int", [4, 3], [1]),
        subscript("subscript.negativeInt", [4, 3], [-1]),
        subscript("subscript.int.1d", [4], [2]),
        subscript("subscript.range", [4, 3], [R(1, 3)]),
        subscript("subscript.closedRange", [4, 3], [CR(1, 2)]),
        subscript("subscript.partialFrom", [4, 3], [{"from": 1}]),
        subscript("subscript.partialUpTo", [4, 3], [{"upTo": 2}]),
        subscript("subscript.partialThrough", [4, 3], [{"through": 2}]),
        subscript("subscript.emptyRange", [4, 3], [R(2, 2)]),
        subscript("subscript.int.range", [4, 3], [0, R(1, 3)]),
        subscript("subscript.int.int", [4, 3], [1, -1]),
        subscript("subscript.all.int", [4, 3], ["all", 2]),
        subscript("subscript.all", [4, 3], ["all"]),
        subscript("subscript.ellipsis.int", [2, 3, 4], ["ellipsis", 0]),
        subscript("subscript.int.ellipsis.int", [2, 3, 4], [0, "ellipsis", 1]),
        subscript("subscript.ellipsis", [4, 3], ["ellipsis"], note="x[...] alone is AliasBackward0"),
        subscript("subscript.newAxis", [4, 3], ["newAxis"]),
        subscript("subscript.newAxis.0d", [], ["newAxis"]),
        subscript("subscript.all.newAxis.range", [4, 3], ["all", "newAxis", R(1, 3)]),
        subscript("subscript.newAxis.ellipsis.newAxis", [4, 3], ["newAxis", "ellipsis", "newAxis"]),
        subscript("subscript.stride", [8], [{"stride": [0, 8], "by": 2}]),
        subscript("subscript.stride.uneven", [8, 2], [{"stride": [1, 8], "by": 3}]),
        subscript("subscript.all.stride", [3, 5], ["all", {"stride": [0, 5], "by": 2}]),
        subscript("subscript.range.range", [4, 3], [R(1, 4), CR(0, 1)]),
        subscript("subscript.intTensor", [4, 3], [{"tensor": "i"}], idx,
                  note="repeated indices: their gradients add up"),
        subscript("subscript.intTensor.negative", [4], [{"tensor": "i"}], {"i": ints([2], [-1, 0])}),
        subscript("subscript.intTensor.2d", [4, 3], [{"tensor": "i"}], {"i": ints([2, 2], [0, 1, 3, 3])}),
        subscript("subscript.intTensor.empty", [4, 3], [{"tensor": "i"}], {"i": ints([0], [])}),
        subscript("subscript.boolMask.1d", [4], [{"tensor": "m"}], {"m": bools([4], [1, 0, 1, 1])}),
        subscript("subscript.boolMask.sameShape", [3, 4], [{"tensor": "m"}],
                  {"m": bools([3, 4], [1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1])}),
        subscript("subscript.boolMask.dim0", [3, 2], [{"tensor": "m"}], {"m": bools([3], [1, 0, 1])}),
        subscript("subscript.boolMask.none", [3, 2], [{"tensor": "m"}], {"m": bools([3], [0, 0, 0])}),
        # errors
        subscript("subscript.error.outOfRange", [4], [5]),
        subscript("subscript.error.negativeOutOfRange", [4], [-5]),
        subscript("subscript.error.outOfRange.dim1", [4, 3], [0, 5]),
        subscript("subscript.error.outOfRange.afterAll", [4, 3], ["all", 3]),
        subscript("subscript.error.tooManyIndices", [4, 3], [0, 0, 0]),
        subscript("subscript.error.intTensorOutOfRange", [4], [{"tensor": "i"}], {"i": ints([2], [0, 4])}),
        subscript("subscript.error.boolMaskShape", [4], [{"tensor": "m"}], {"m": bools([3], [1, 0, 1])}),
        subscript("subscript.error.strideZero", [8], [{"stride": [0, 8], "by": 0}]),
        subscript("subscript.error.0dInt", [], [0]),
    ]


BASE = op("*", self="x", scalar=1, out="base")


def setter(cid, shape, items, value=None, source=None, source_rg=False, leaf=False, no_grad=False, note=None):
    """base = x * 1 (x float64 requiring grad), base[items] = value (a scalar) or source (a
    tensor, requiring grad when source_rg); loss over base (and the source's gradient). With
    leaf the write goes to x itself; with no_grad, to a tensor that needs no grad."""
    inputs = {"x": f64(shape, requires_grad=not no_grad)}
    target = "x" if leaf or no_grad else "base"
    steps = [] if leaf or no_grad else [BASE]
    s = op("subscriptSet", self=target, indices=items)
    if source is None:
        s["scalar"] = value
    else:
        inputs["s"] = tensor_spec(source, requires_grad=source_rg, salt=4)
        s["source"] = "s"
    return case(cid, inputs, steps + [s], loss=[target], note=note)


def setter_cases():
    return [
        setter("subscriptSet.int.scalar", [4, 3], [1], value=5),
        setter("subscriptSet.negativeInt.scalar", [4, 3], [-1], value=-2.5),
        setter("subscriptSet.int.int.scalar", [4, 3], [2, 1], value=7),
        setter("subscriptSet.range.scalar", [4, 3], [R(1, 3)], value=0),
        setter("subscriptSet.all.int.tensor", [4, 3], ["all", 1], source=[4], source_rg=True),
        setter("subscriptSet.range.broadcastRow", [4, 3], [R(0, 2)], source=[3], source_rg=True),
        setter("subscriptSet.closedRange.broadcastColumn", [4, 3], [CR(1, 2)], source=[2, 1], source_rg=True),
        setter("subscriptSet.ellipsis.int.constant", [2, 3, 4], ["ellipsis", 0], source=[2, 3]),
        setter("subscriptSet.stride.scalar", [8], [{"stride": [1, 8], "by": 3}], value=1),
        setter("subscriptSet.0dTensor", [4, 3], [0, 0], source=[], source_rg=True),
        setter("subscriptSet.ellipsis.scalar", [4, 3], ["ellipsis"], value=2),
        setter("subscriptSet.noGrad.int.scalar", [4, 3], [1], value=5, no_grad=True),
        setter("subscriptSet.noGrad.takesHistory", [4, 3], ["all", 2], source=[4], source_rg=True, no_grad=True),
        case("subscriptSet.intTensor.scalar", {"x": f64([4, 3]), "i": ints([2], [3, 0])},
             [BASE, op("subscriptSet", self="base", indices=[{"tensor": "i"}], scalar=1)], loss=["base"],
             note="index_put_: base's grad_fn is IndexPutBackward0, not CopySlices"),
        case("subscriptSet.boolMask.scalar", {"x": f64([3, 4]), "m": bools([3, 4], [1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1])},
             [BASE, op("subscriptSet", self="base", indices=[{"tensor": "m"}], scalar=0)], loss=["base"],
             note="index_put_: base's grad_fn is IndexPutBackward0, not CopySlices"),
        # errors
        setter("subscriptSet.error.leaf", [4, 3], [1], value=5, leaf=True),
        setter("subscriptSet.error.shapeMismatch", [4, 3], [0], source=[2]),
        setter("subscriptSet.error.outOfRange", [4, 3], [5], value=1),
        setter("subscriptSet.error.outOfRange.dim1", [4, 3], [0, -4], value=1),
    ]


def joined(cid, op_name, shapes, dim, requires_grad=None, note=None):
    requires_grad = requires_grad or [True] * len(shapes)
    names = [f"t{k}" for k in range(len(shapes))]
    inputs = {n: f64(s, requires_grad=r, salt=k) for k, (n, s, r) in enumerate(zip(names, shapes, requires_grad))}
    return case(cid, inputs, [op(op_name, tensors=names, dim=dim, out="y")], loss=["y"], note=note)


def join_cases():
    return [
        joined("cat.dim0", "cat", [[2, 3], [4, 3]], 0),
        joined("cat.dim1.three", "cat", [[2, 3], [2, 1], [2, 2]], 1),
        joined("cat.dim-1", "cat", [[2, 3], [2, 2]], -1),
        joined("cat.dim-2", "cat", [[1, 3], [2, 3]], -2),
        joined("cat.1d", "cat", [[3], [2]], 0),
        joined("cat.3d.dim1", "cat", [[2, 1, 2], [2, 3, 2]], 1),
        joined("cat.one", "cat", [[2, 3]], 0),
        joined("cat.withEmpty", "cat", [[0, 3], [2, 3]], 0),
        joined("cat.oneNeedsNoGrad", "cat", [[2, 3], [1, 3]], 0, requires_grad=[False, True]),
        joined("cat.error.sizes", "cat", [[2, 3], [2, 2]], 0),
        joined("cat.error.rank", "cat", [[2, 3], [3]], 0),
        joined("cat.error.dim", "cat", [[2, 3], [2, 3]], 2),
        joined("cat.error.0d", "cat", [[], []], 0),
        joined("cat.error.empty", "cat", [], 0),
        joined("stack.1d.dim0", "stack", [[3], [3], [3]], 0),
        joined("stack.1d.dim1", "stack", [[3], [3]], 1),
        joined("stack.1d.dim-1", "stack", [[3], [3]], -1),
        joined("stack.2d.dim1", "stack", [[2, 3], [2, 3]], 1),
        joined("stack.2d.dim2", "stack", [[2, 3], [2, 3]], 2),
        joined("stack.0d", "stack", [[], [], []], 0),
        joined("stack.one", "stack", [[2]], 0),
        joined("stack.oneNeedsNoGrad", "stack", [[2], [2]], 0, requires_grad=[True, False]),
        joined("stack.error.sizes", "stack", [[3], [2]], 0),
        joined("stack.error.dim", "stack", [[2, 3], [2, 3]], 3),
        joined("stack.error.empty", "stack", [], 0),
    ]


def gathering(cid, self_shape, step, extra, loss=True, self_rg=True, note=None):
    inputs = {"x": f64(self_shape, requires_grad=self_rg), **extra}
    return case(cid, inputs, [{**step, "self": "x", "out": "y"}], loss=["y"] if loss else None, note=note)


def gather_cases():
    i = lambda shape, values: {"i": ints(shape, values)}  # noqa: E731
    m = lambda shape, values: {"m": bools(shape, values)}  # noqa: E731
    return [
        gathering("indexSelect.dim0", [4, 3], op("indexSelect", dim=0, index="i"), i([3], [2, 0, 2])),
        gathering("indexSelect.dim1", [4, 3], op("indexSelect", dim=1, index="i"), i([1], [1])),
        gathering("indexSelect.dim-1", [4, 3], op("indexSelect", dim=-1, index="i"), i([4], [2, 2, 0, 1])),
        gathering("indexSelect.1d", [5], op("indexSelect", dim=0, index="i"), i([2], [4, 1])),
        gathering("indexSelect.emptyIndex", [4, 3], op("indexSelect", dim=0, index="i"), i([0], [])),
        gathering("indexSelect.0dIndex", [4, 3], op("indexSelect", dim=0, index="i"), i([], [3])),
        gathering("indexSelect.error.dim0", [4, 3], op("indexSelect", dim=0, index="i"), i([2], [0, 4])),
        gathering("indexSelect.error.dim1", [4, 3], op("indexSelect", dim=1, index="i"), i([1], [3]),
                  note="another message than along dim 0 (a different CPU kernel)"),
        gathering("indexSelect.error.negative", [4, 3], op("indexSelect", dim=0, index="i"), i([1], [-1])),
        gathering("indexSelect.error.2dIndex", [4, 3], op("indexSelect", dim=0, index="i"), i([1, 1], [0])),
        gathering("gather.dim1", [3, 4], op("gather", dim=1, index="i"), i([3, 2], [0, 0, 1, 0, 3, 2])),
        gathering("gather.dim0", [3, 4], op("gather", dim=0, index="i"), i([2, 4], [0, 1, 2, 0, 2, 2, 1, 0])),
        gathering("gather.dim-1.smallerIndex", [3, 4], op("gather", dim=-1, index="i"), i([2, 3], [3, 3, 0, 1, 2, 1])),
        gathering("gather.1d", [5], op("gather", dim=0, index="i"), i([3], [4, 4, 0])),
        gathering("gather.3d", [2, 3, 2], op("gather", dim=1, index="i"), i([2, 1, 2], [2, 0, 1, 1])),
        gathering("gather.error.outOfRange", [3, 4], op("gather", dim=1, index="i"), i([3, 1], [0, 4, 1])),
        gathering("gather.error.negative", [3, 4], op("gather", dim=1, index="i"), i([3, 1], [0, -1, 1])),
        gathering("gather.error.rank", [3, 4], op("gather", dim=1, index="i"), i([2], [0, 1])),
        gathering("gather.error.size", [3, 4], op("gather", dim=1, index="i"), i([4, 1], [0, 0, 0, 0])),
        gathering("scatterAdd.dim1", [3, 4], op("scatterAdd", dim=1, index="i", source="s"),
                  {**i([3, 2], [0, 0, 1, 3, 2, 2]), "s": f64([3, 2], salt=6)}),
        gathering("scatterAdd.dim0", [3, 4], op("scatterAdd", dim=0, index="i", source="s"),
                  {**i([2, 4], [0, 1, 2, 0, 0, 1, 2, 2]), "s": f64([2, 4], salt=6)}),
        gathering("scatterAdd.error.sourceLargerBackward", [3, 4], op("scatterAdd", dim=1, index="i", source="s"),
                  {**i([2, 2], [3, 3, 0, 1]), "s": f64([3, 5], salt=6)},
                  note="the forward uses only the source elements the index covers; PyTorch's backward then "
                       "fails, because the source's gradient has the index's shape"),
        gathering("scatterAdd.selfNeedsNoGrad", [4], op("scatterAdd", dim=0, index="i", source="s"),
                  {**i([3], [1, 1, 3]), "s": f64([3], salt=6)}, self_rg=False),
        gathering("scatterAdd.sourceNeedsNoGrad", [4], op("scatterAdd", dim=0, index="i", source="s"),
                  {**i([3], [1, 1, 3]), "s": f64([3], requires_grad=False, salt=6)}),
        gathering("scatterAdd.error.outOfRange", [3, 4], op("scatterAdd", dim=1, index="i", source="s"),
                  {**i([3, 1], [0, 4, 1]), "s": f64([3, 1], salt=6)}),
        gathering("scatterAdd.error.size", [2, 3], op("scatterAdd", dim=1, index="i", source="s"),
                  {**i([1, 4], [0, 1, 2, 0]), "s": f64([1, 3], salt=6)}),
        gathering("maskedFill.sameShape", [2, 3], op("maskedFill", mask="m", value=-1), m([2, 3], [1, 0, 0, 0, 1, 1])),
        gathering("maskedFill.broadcastRow", [3, 4], op("maskedFill", mask="m", value=0.5), m([4], [0, 1, 1, 0])),
        gathering("maskedFill.broadcastColumn", [3, 4], op("maskedFill", mask="m", value=2), m([3, 1], [1, 0, 1])),
        gathering("maskedFill.0dMask", [2, 2], op("maskedFill", mask="m", value=9), m([], [1])),
        gathering("maskedFill.0d", [], op("maskedFill", mask="m", value=3), m([], [1])),
        gathering("maskedFill.maskLarger", [2, 3], op("maskedFill", mask="m", value=0), m([2, 2, 3], [1, 0] * 6),
                  note="the out-of-place masked_fill broadcasts self against the mask"),
        gathering("maskedFill.error.shape", [2, 3], op("maskedFill", mask="m", value=0), m([2], [1, 0])),
        case("where.sameShape", {"c": bools([2, 3], [1, 0, 1, 0, 0, 1]), "a": f64([2, 3], salt=1), "b": f64([2, 3], salt=2)},
             [op("where", condition="c", a="a", b="b", out="y")], loss=["y"]),
        case("where.broadcast", {"c": bools([3, 1], [1, 0, 1]), "a": f64([1, 4], salt=1), "b": f64([], salt=2)},
             [op("where", condition="c", a="a", b="b", out="y")], loss=["y"]),
        case("where.conditionBroadcast", {"c": bools([4], [0, 1, 1, 0]), "a": f64([2, 4], salt=1),
                                          "b": f64([2, 4], requires_grad=False, salt=2)},
             [op("where", condition="c", a="a", b="b", out="y")], loss=["y"]),
        case("where.error.shape", {"c": bools([2], [1, 0]), "a": f64([2, 3], salt=1), "b": f64([2, 3], salt=2)},
             [op("where", condition="c", a="a", b="b", out="y")], loss=["y"]),
    ]


def main():
    check_torch()
    write("indexing.json", run_all(subscript_cases() + setter_cases() + join_cases() + gather_cases()), HERE)


if __name__ == "__main__":
    main()
