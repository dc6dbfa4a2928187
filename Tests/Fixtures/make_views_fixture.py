#!/usr/bin/env python3
"""Writes Tests/Fixtures/views.json: what PyTorch does with the view ops of API.md ("Views share
storage") and with in-place ops through views.

Run from anywhere (`python3 Tests/Fixtures/make_views_fixture.py`); needs torch==2.11.0 (CPU is
enough). Deterministic. Each case is a small program in the step language of part2_dsl.py
(described in Tests/Fixtures/README.md): inputs, steps named after the Swift API, and what PyTorch
read afterwards (shape, strides, storage offset, `_is_view()`, `is_contiguous()`, values,
`grad_fn`, `_version`), the error a step raised, and the gradients of a weighted-sum loss.

Two groups of ids:
- `<op>.<what>`: x (float64, requires grad) through one or a few view ops; the loss is the
  weighted sum over the last step's outputs.
- `inplace.<what>`: in-place writes through views of a base with history (`base = x * 1`), of a
  tensor without grad, of a leaf, through expanded views, on outputs of split/chunked/unbind, and
  through `detached()`; the loss is named in each case.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from part2_dsl import check_torch, execute, make_input, run_all, tensor_spec, write  # noqa: E402


def op(name, **params):
    return {"op": name, **params}


def output_count(shape, ops):
    """How many tensors the last op returns (split/chunked/unbind), found by running the chain."""
    env = {"x": make_input(tensor_spec(shape))}
    for o in ops:
        env["x"] = execute({**o, "self": "x"}, env)
    return len(env["x"]) if isinstance(env["x"], list) else None


def chain(cid, shape, *ops, note=None, salt=0):
    """x (float64, requires grad, shape `shape`) through `ops` in order. Intermediate results are
    a, b, c, ...; the last op's result is y, or y0, y1, ... when it returns several tensors. The
    loss is the weighted sum over the last op's outputs."""
    steps = []
    prev = "x"
    for i, o in enumerate(ops):
        last = i == len(ops) - 1
        step = {**o, "self": prev}
        if last:
            n = output_count(shape, ops)
            if n is None:
                step["out"] = "y"
                outs = ["y"]
            else:
                outs = [f"y{k}" for k in range(n)]
                step["outs"] = outs
        else:
            step["out"] = prev = "abcdefgh"[i]
        steps.append(step)
    case = {"id": cid, "inputs": {"x": tensor_spec(shape, requires_grad=True, salt=salt)}, "steps": steps,
            "backward": {"of": outs}}
    if note:
        case["note"] = note
    return case


def view_cases():
    t = lambda **p: op("transposed", **p)  # noqa: E731
    return [
        # transposed() / transposed(_:_:)
        chain("transposed.2x3", [2, 3], t()),
        chain("transposed.1x4", [1, 4], t()),
        chain("transposed.1d", [3], t()),
        chain("transposed.0d", [], t()),
        chain("transposed.2x3x4(0,2)", [2, 3, 4], t(dims=[0, 2])),
        chain("transposed.2x3x4(-1,0)", [2, 3, 4], t(dims=[-1, 0])),
        chain("transposed.2x3x4(1,1)", [2, 3, 4], t(dims=[1, 1])),
        chain("transposed.2x1x3(0,1)", [2, 1, 3], t(dims=[0, 1])),
        chain("transposed.1d(0,-1)", [3], t(dims=[0, -1])),
        chain("transposed.0d(0,-1)", [], t(dims=[0, -1])),
        # permuted
        chain("permuted.2x3x4[2,0,1]", [2, 3, 4], op("permuted", dims=[2, 0, 1])),
        chain("permuted.2x3x4[-1,0,1]", [2, 3, 4], op("permuted", dims=[-1, 0, 1])),
        chain("permuted.2x3[0,1]", [2, 3], op("permuted", dims=[0, 1])),
        chain("permuted.2x3[1,0]", [2, 3], op("permuted", dims=[1, 0])),
        chain("permuted.1x3x1[2,1,0]", [1, 3, 1], op("permuted", dims=[2, 1, 0])),
        chain("permuted.0d[]", [], op("permuted", dims=[])),
        # expanded(to:)
        chain("expanded.3x1->3x4", [3, 1], op("expanded", shape=[3, 4])),
        chain("expanded.3->2x3", [3], op("expanded", shape=[2, 3])),
        chain("expanded.1x3->2x4x3", [1, 3], op("expanded", shape=[2, 4, 3])),
        chain("expanded.0d->2x3", [], op("expanded", shape=[2, 3])),
        chain("expanded.2x3->2x3", [2, 3], op("expanded", shape=[2, 3])),
        chain("expanded.2x1x3->2x4x3", [2, 1, 3], op("expanded", shape=[2, 4, 3])),
        # unsqueezed(dim:)
        *[chain(f"unsqueezed.2x3(dim={d})", [2, 3], op("unsqueezed", dim=d)) for d in [0, 1, 2, -1, -3]],
        chain("unsqueezed.3(dim=1)", [3], op("unsqueezed", dim=1)),
        chain("unsqueezed.0d(dim=0)", [], op("unsqueezed", dim=0)),
        chain("unsqueezed.0d(dim=-1)", [], op("unsqueezed", dim=-1)),
        # squeezed() / squeezed(dim:)
        chain("squeezed.1x3x1x2", [1, 3, 1, 2], op("squeezed")),
        chain("squeezed.2x3", [2, 3], op("squeezed")),
        chain("squeezed.1", [1], op("squeezed")),
        chain("squeezed.1x1", [1, 1], op("squeezed")),
        chain("squeezed.0d", [], op("squeezed")),
        chain("squeezed.1x3x1(dim=0)", [1, 3, 1], op("squeezed", dim=0)),
        chain("squeezed.1x3x1(dim=-1)", [1, 3, 1], op("squeezed", dim=-1)),
        chain("squeezed.1x3x1(dim=1)", [1, 3, 1], op("squeezed", dim=1)),
        chain("squeezed.3x1x2(dim=-2)", [3, 1, 2], op("squeezed", dim=-2)),
        chain("squeezed.0d(dim=0)", [], op("squeezed", dim=0)),
        chain("squeezed.0d(dim=-1)", [], op("squeezed", dim=-1)),
        # reshaped: a view when the strides allow one, else a copy
        chain("reshaped.2x3->3x2", [2, 3], op("reshaped", shape=[3, 2])),
        chain("reshaped.6->2x-1", [6], op("reshaped", shape=[2, -1])),
        chain("reshaped.2x3->6", [2, 3], op("reshaped", shape=[6])),
        chain("reshaped.2x3->-1", [2, 3], op("reshaped", shape=[-1])),
        chain("reshaped.2x3x4->4x-1x3", [2, 3, 4], op("reshaped", shape=[4, -1, 3])),
        chain("reshaped.2x3->1x6x1", [2, 3], op("reshaped", shape=[1, 6, 1])),
        chain("reshaped.2x3->2x3", [2, 3], op("reshaped", shape=[2, 3])),
        chain("reshaped.0d->1", [], op("reshaped", shape=[1])),
        chain("reshaped.1->0d", [1], op("reshaped", shape=[])),
        chain("reshaped.transposed2x3->6(copy)", [2, 3], t(), op("reshaped", shape=[6])),
        chain("reshaped.transposed2x3->3x2(alias)", [2, 3], t(), op("reshaped", shape=[3, 2])),
        chain("reshaped.transposed1x4->4", [1, 4], t(), op("reshaped", shape=[4])),
        chain("reshaped.narrowRows3x4->8", [3, 4], op("narrow", dim=0, start=1, length=2), op("reshaped", shape=[8])),
        chain("reshaped.narrowCols3x4->6(copy)", [3, 4], op("narrow", dim=1, start=1, length=2), op("reshaped", shape=[6])),
        chain("reshaped.narrowCols3x4->3x1x2(alias)", [3, 4], op("narrow", dim=1, start=1, length=2),
              op("reshaped", shape=[3, 1, 2])),
        chain("reshaped.expanded3->2x3->6(copy)", [3], op("expanded", shape=[2, 3]), op("reshaped", shape=[6])),
        chain("reshaped.expanded3->2x3->2x3(alias)", [3], op("expanded", shape=[2, 3]), op("reshaped", shape=[2, 3])),
        chain("reshaped.permuted2x3x4->3x8(copy)", [2, 3, 4], op("permuted", dims=[1, 0, 2]), op("reshaped", shape=[3, 8])),
        chain("reshaped.permuted2x3x4->3x2x2x2(alias)", [2, 3, 4], op("permuted", dims=[1, 0, 2]),
              op("reshaped", shape=[3, 2, 2, 2])),
        # flattened(startDim:endDim:)
        *[chain(f"flattened.2x3x4({s},{e})", [2, 3, 4], op("flattened", startDim=s, endDim=e))
          for s, e in [(0, -1), (1, 2), (0, 1), (-2, -1), (1, 1), (0, 0)]],
        chain("flattened.0d(0,-1)", [], op("flattened", startDim=0, endDim=-1)),
        chain("flattened.1d(0,-1)", [4], op("flattened", startDim=0, endDim=-1)),
        chain("flattened.transposed2x3(0,-1)(copy)", [2, 3], t(), op("flattened", startDim=0, endDim=-1)),
        chain("flattened.transposed(1,2)2x3x4(0,1)(copy)", [2, 3, 4], t(dims=[1, 2]), op("flattened", startDim=0, endDim=1)),
        chain("flattened.transposed(0,1)2x3x4(1,2)(copy)", [2, 3, 4], t(dims=[0, 1]), op("flattened", startDim=1, endDim=2)),
        chain("flattened.permuted4x2x3(0,1)(alias)", [4, 2, 3], op("permuted", dims=[1, 2, 0]),
              op("flattened", startDim=0, endDim=1)),
        # select(dim:index:)
        chain("select.3x4(0,1)", [3, 4], op("select", dim=0, index=1)),
        chain("select.3x4(1,-1)", [3, 4], op("select", dim=1, index=-1)),
        chain("select.3x4(-1,0)", [3, 4], op("select", dim=-1, index=0)),
        chain("select.3(0,2)", [3], op("select", dim=0, index=2)),
        chain("select.2x3x4(1,2)", [2, 3, 4], op("select", dim=1, index=2)),
        chain("select.2x3x4(-2,-3)", [2, 3, 4], op("select", dim=-2, index=-3)),
        chain("select.1x3(0,0)", [1, 3], op("select", dim=0, index=0)),
        # narrow(dim:start:length:)
        chain("narrow.3x4(1,1,2)", [3, 4], op("narrow", dim=1, start=1, length=2)),
        chain("narrow.3x4(0,0,3)", [3, 4], op("narrow", dim=0, start=0, length=3)),
        chain("narrow.3x4(0,2,1)", [3, 4], op("narrow", dim=0, start=2, length=1)),
        chain("narrow.3x4(1,4,0)", [3, 4], op("narrow", dim=1, start=4, length=0)),
        chain("narrow.2x3x4(-1,1,2)", [2, 3, 4], op("narrow", dim=-1, start=1, length=2)),
        chain("narrow.5(0,2,3)", [5], op("narrow", dim=0, start=2, length=3)),
        chain("narrow.3x4(1,-2,2)", [3, 4], op("narrow", dim=1, start=-2, length=2),
              note="negative start counts from the end (PyTorch allows it; API.md does not say)"),
        # split(size:dim:) / split(sizes:dim:) / chunked(_:dim:) / unbind(dim:)
        chain("split.5x2(size=2,dim=0)", [5, 2], op("split", size=2, dim=0)),
        chain("split.3x4(size=2,dim=1)", [3, 4], op("split", size=2, dim=1)),
        chain("split.3x4(size=3,dim=-1)", [3, 4], op("split", size=3, dim=-1)),
        chain("split.6(size=10,dim=0)", [6], op("split", size=10, dim=0)),
        chain("split.4x3(size=1,dim=0)", [4, 3], op("split", size=1, dim=0)),
        chain("split.5x2(sizes=[1,3,1],dim=0)", [5, 2], op("split", sizes=[1, 3, 1], dim=0)),
        chain("split.3x4(sizes=[4],dim=-1)", [3, 4], op("split", sizes=[4], dim=-1)),
        chain("split.6(sizes=[0,4,2],dim=0)", [6], op("split", sizes=[0, 4, 2], dim=0)),
        chain("split.2x5(sizes=[2,3],dim=1)", [2, 5], op("split", sizes=[2, 3], dim=1)),
        chain("chunked.5x2(3,dim=0)", [5, 2], op("chunked", chunks=3, dim=0)),
        chain("chunked.3x4(4,dim=1)", [3, 4], op("chunked", chunks=4, dim=1)),
        chain("chunked.3x4(2,dim=0)", [3, 4], op("chunked", chunks=2, dim=0)),
        chain("chunked.6(4,dim=0)", [6], op("chunked", chunks=4, dim=0),
              note="4 chunks asked, 3 returned: chunk size is ceil(6/4) = 2"),
        chain("chunked.5(4,dim=0)", [5], op("chunked", chunks=4, dim=0)),
        chain("chunked.2x3(1,dim=-1)", [2, 3], op("chunked", chunks=1, dim=-1)),
        chain("unbind.3x2(dim=0)", [3, 2], op("unbind", dim=0)),
        chain("unbind.3x2(dim=1)", [3, 2], op("unbind", dim=1)),
        chain("unbind.3x2(dim=-1)", [3, 2], op("unbind", dim=-1)),
        chain("unbind.2(dim=0)", [2], op("unbind", dim=0)),
        chain("unbind.2x3x4(dim=1)", [2, 3, 4], op("unbind", dim=1)),
        chain("unbind.1x3(dim=0)", [1, 3], op("unbind", dim=0)),
        # contiguous() / cloned() / detached()
        chain("contiguous.2x3(same object)", [2, 3], op("contiguous")),
        chain("contiguous.0d(same object)", [], op("contiguous")),
        chain("contiguous.transposed2x3", [2, 3], t(), op("contiguous")),
        chain("contiguous.narrowCols3x4", [3, 4], op("narrow", dim=1, start=1, length=2), op("contiguous")),
        chain("contiguous.narrowRows3x4(same object)", [3, 4], op("narrow", dim=0, start=1, length=2), op("contiguous")),
        chain("contiguous.transposed1x3(same object)", [1, 3], t(), op("contiguous")),
        chain("contiguous.expanded3->2x3", [3], op("expanded", shape=[2, 3]), op("contiguous")),
        chain("cloned.2x3", [2, 3], op("cloned")),
        chain("cloned.0d", [], op("cloned")),
        chain("cloned.transposed2x3", [2, 3], t(), op("cloned"),
              note="clone keeps the strides of a dense non-overlapping input (memory_format=torch.preserve_format)"),
        chain("cloned.permuted2x3x4", [2, 3, 4], op("permuted", dims=[2, 0, 1]), op("cloned")),
        chain("cloned.narrowCols3x4", [3, 4], op("narrow", dim=1, start=1, length=2), op("cloned")),
        chain("cloned.expanded3->2x3", [3], op("expanded", shape=[2, 3]), op("cloned")),
        chain("detached.2x3", [2, 3], op("detached")),
        chain("detached.transposed2x3", [2, 3], t(), op("detached")),
        # views of views
        chain("chain.narrow.select", [3, 4], op("narrow", dim=1, start=1, length=3), op("select", dim=0, index=2)),
        chain("chain.permuted.narrow.transposed", [2, 3, 4], op("permuted", dims=[2, 0, 1]),
              op("narrow", dim=0, start=1, length=2), t(dims=[1, 2])),
        chain("chain.unsqueezed.expanded", [3], op("unsqueezed", dim=1), op("expanded", shape=[3, 4])),
        chain("chain.transposed.select", [3, 4], t(), op("select", dim=0, index=1)),
        chain("chain.narrow.split", [4, 5], op("narrow", dim=1, start=1, length=4), op("split", size=3, dim=1)),
        chain("chain.select.unbind", [2, 3, 2], op("select", dim=2, index=1), op("unbind", dim=1)),
        chain("chain.expanded.narrow.squeezed", [1, 3], op("expanded", shape=[4, 3]),
              op("narrow", dim=0, start=1, length=1), op("squeezed")),
    ]


# MARK: - in place through views

BASE = op("*", self="x", scalar=1, out="base")  # base = x * 1: a non-leaf with history

VIEWS = {
    "narrow": op("narrow", dim=1, start=1, length=2),
    "select": op("select", dim=0, index=1),
    "transposed": op("transposed"),
    "reshaped": op("reshaped", shape=[2, 6]),
    "permuted": op("permuted", dims=[1, 0]),
    "unsqueezed": op("unsqueezed", dim=0),
    "flattened": op("flattened", startDim=0, endDim=-1),
    "subscript": op("subscript", indices=[{"range": [1, 3]}, {"stride": [0, 4], "by": 2}]),
}
VIEW_SHAPES = {"narrow": [3, 2], "select": [4], "transposed": [4, 3], "reshaped": [2, 6], "permuted": [4, 3],
               "unsqueezed": [1, 3, 4], "flattened": [12], "subscript": [2, 2]}
WRITES = {
    "add": op("+=", scalar=1), "mul": op("*=", scalar=2), "fill": op("fill", value=7), "zero": op("zero"),
    "copy": op("copy", source="c"), "subscriptSet": op("subscriptSet", indices=[0], scalar=9),
}


def view_write(view, write, base_requires_grad=True):
    """base = x * 1 (or a tensor without grad), v = view(base), then the in-place write on v."""
    inputs = {"x": tensor_spec([3, 4], requires_grad=base_requires_grad)}
    if write == "copy":
        inputs["c"] = tensor_spec(VIEW_SHAPES[view], salt=5)
    steps = [BASE, {**VIEWS[view], "self": "base", "out": "v"}, {**WRITES[write], "self": "v"}]
    prefix = "inplace" if base_requires_grad else "inplace.noGrad"
    return {"id": f"{prefix}.{view}.{write}", "inputs": inputs, "steps": steps,
            "backward": {"of": ["base"]} if base_requires_grad else None}


def program(cid, inputs, steps, loss=None, note=None):
    case = {"id": cid, "inputs": inputs, "steps": steps, "backward": None if loss is None else {"of": loss}}
    if note:
        case["note"] = note
    return case


def x34(requires_grad=True, salt=0):
    return tensor_spec([3, 4], requires_grad=requires_grad, salt=salt)


def inplace_cases():
    cases = []
    for view in ["narrow", "select", "transposed", "reshaped"]:
        cases += [view_write(view, w) for w in WRITES]
    for view in ["permuted", "unsqueezed", "flattened", "subscript"]:
        cases += [view_write(view, w) for w in ["add", "copy"]]
    cases += [view_write(view, w, base_requires_grad=False)
              for view, w in [("narrow", "add"), ("select", "mul"), ("transposed", "fill"), ("reshaped", "zero"),
                              ("narrow", "copy"), ("subscript", "subscriptSet")]]
    narrow = VIEWS["narrow"]
    cases += [
        program("inplace.narrow.addTensorRequiringGrad",
                {"x": x34(), "y": tensor_spec([3, 2], requires_grad=True, salt=3)},
                [BASE, {**narrow, "self": "base", "out": "v"}, op("+=", self="v", other="y")], loss=["base"]),
        program("inplace.select.mulTensorRequiringGrad",
                {"x": x34(), "y": tensor_spec([4], requires_grad=True, salt=3)},
                [BASE, op("select", self="base", dim=0, index=1, out="v"), op("*=", self="v", other="y")], loss=["base"]),
        program("inplace.narrow.mulBroadcastTensor",
                {"x": x34(), "y": tensor_spec([2], requires_grad=True, salt=3)},
                [BASE, {**narrow, "self": "base", "out": "v"}, op("*=", self="v", other="y")], loss=["base"]),
        program("inplace.twoViews",
                {"x": x34()},
                [BASE, {**narrow, "self": "base", "out": "v1"}, op("select", self="base", dim=0, index=1, out="v2"),
                 op("*=", self="v1", scalar=2)], loss=["base", "v2"]),
        program("inplace.viewOfView",
                {"x": x34()},
                [BASE, {**narrow, "self": "base", "out": "v"}, op("select", self="v", dim=0, index=0, out="vv"),
                 op("fill", self="vv", value=0)], loss=["base"]),
        program("inplace.viewOfView.lossOverViews",
                {"x": x34()},
                [BASE, {**narrow, "self": "base", "out": "v"}, op("select", self="v", dim=1, index=1, out="vv"),
                 op("*=", self="vv", scalar=3)], loss=["v", "vv"]),
        program("inplace.lossOverView",
                {"x": x34()},
                [BASE, {**narrow, "self": "base", "out": "v"}, op("*=", self="v", scalar=2)], loss=["v"]),
        program("inplace.lossOverBaseAndView",
                {"x": x34()},
                [BASE, op("transposed", self="base", out="v"), op("+=", self="v", scalar=1), op("*=", self="v", scalar=3)],
                loss=["base", "v"]),
        program("inplace.baseWrittenViewReads",
                {"x": x34()},
                [BASE, {**narrow, "self": "base", "out": "v"}, op("+=", self="base", scalar=1)], loss=["v"]),
        program("inplace.baseMulViewReads",
                {"x": x34()},
                [BASE, op("select", self="base", dim=1, index=2, out="v"), op("*=", self="base", scalar=2)],
                loss=["v", "base"]),
        # a leaf that requires grad
        program("inplace.leaf.narrow.add", {"x": x34()},
                [{**narrow, "self": "x", "out": "v"}, op("+=", self="v", scalar=1)]),
        program("inplace.leaf.select.fill", {"x": x34()},
                [op("select", self="x", dim=0, index=0, out="v"), op("fill", self="v", value=1)]),
        program("inplace.leaf.transposed.subscriptSet", {"x": x34()},
                [op("transposed", self="x", out="v"), op("subscriptSet", self="v", indices=[0], scalar=1)]),
        # a tensor without grad takes history through a view
        program("inplace.constantTakesHistory.copy",
                {"c": x34(requires_grad=False), "y": tensor_spec([3, 2], requires_grad=True, salt=3)},
                [{**narrow, "self": "c", "out": "v"}, op("copy", self="v", source="y")], loss=["c"]),
        program("inplace.constantTakesHistory.add",
                {"c": x34(requires_grad=False), "y": tensor_spec([4], requires_grad=True, salt=3)},
                [op("select", self="c", dim=0, index=2, out="v"), op("+=", self="v", other="y")], loss=["c", "v"]),
        program("inplace.constantTakesHistory.mulThenRead",
                {"c": x34(requires_grad=False), "y": tensor_spec([4, 3], requires_grad=True, salt=3)},
                [op("transposed", self="c", out="v"), op("select", self="c", dim=1, index=0, out="w"),
                 op("*=", self="v", other="y")], loss=["w"]),
    ]
    # writes through an expanded view: PyTorch's internal-overlap check
    expand = op("expanded", self="base", shape=[3, 4], out="e")
    for name, write, extra in [
        ("add", op("+=", self="e", scalar=1), {}),
        ("mul", op("*=", self="e", scalar=2), {}),
        ("addTensor", op("+=", self="e", other="c"), {"c": tensor_spec([3, 4], salt=5)}),
        ("copy", op("copy", self="e", source="c"), {"c": tensor_spec([3, 4], salt=5)}),
        ("fill", op("fill", self="e", value=7), {}),
        ("zero", op("zero", self="e"), {}),
        ("subscriptSetRow", op("subscriptSet", self="e", indices=[0], scalar=9), {}),
        ("subscriptSetRowTensor", op("subscriptSet", self="e", indices=[1], source="c"), {"c": tensor_spec([4], salt=5)}),
        ("subscriptSetColumn", op("subscriptSet", self="e", indices=["all", 0], scalar=9), {}),
    ]:
        cases.append(program(f"inplace.expanded.{name}", {"x": tensor_spec([1, 4], requires_grad=True), **extra},
                             [BASE, expand, write], loss=["base"]))
    cases += [
        program("inplace.expanded.noGrad.add", {"c": tensor_spec([4])},
                [op("expanded", self="c", shape=[2, 4], out="e"), op("+=", self="e", scalar=1)]),
        program("inplace.expanded.noGrad.fill", {"c": tensor_spec([4])},
                [op("expanded", self="c", shape=[2, 4], out="e"), op("fill", self="e", value=3)]),
        program("inplace.expanded.noGrad.narrowRowAdd", {"c": tensor_spec([1, 4])},
                [op("expanded", self="c", shape=[2, 4], out="e"), op("narrow", self="e", dim=0, start=1, length=1, out="r"),
                 op("+=", self="r", scalar=1)]),
    ]
    # outputs of split / chunked / unbind of a tensor with history
    for name, split, outs, target, write in [
        ("split.add", op("split", size=2, dim=1), 2, "p1", op("+=", scalar=1)),
        ("splitSizes.mul", op("split", sizes=[1, 3], dim=1), 2, "p0", op("*=", scalar=2)),
        ("chunked.fill", op("chunked", chunks=3, dim=0), 3, "p2", op("fill", value=0)),
        ("unbind.zero", op("unbind", dim=0), 3, "p1", op("zero")),
        ("unbind.copy", op("unbind", dim=1), 4, "p3", op("copy", source="c")),
    ]:
        inputs = {"x": x34()}
        if write["op"] == "copy":
            inputs["c"] = tensor_spec([3], salt=5)
        outs = [f"p{k}" for k in range(outs)]
        cases.append(program(f"inplace.multiOutput.{name}", inputs,
                             [BASE, {**split, "self": "base", "outs": outs}, {**write, "self": target}], loss=["base"]))
    cases += [
        program("inplace.multiOutput.split.subscriptSet", {"x": x34()},
                [BASE, op("split", self="base", size=2, dim=0, outs=["p0", "p1"]),
                 op("subscriptSet", self="p0", indices=[0], scalar=9)], loss=["base"]),
        program("inplace.multiOutput.split.narrowThenAdd", {"x": x34()},
                [BASE, op("split", self="base", size=2, dim=0, outs=["p0", "p1"]),
                 op("narrow", self="p1", dim=1, start=0, length=2, out="q"), op("+=", self="q", scalar=1)], loss=["base"]),
        program("inplace.multiOutput.splitOfLeaf.add", {"x": x34()},
                [op("split", self="x", size=2, dim=0, outs=["p0", "p1"]), op("+=", self="p0", scalar=1)]),
        program("inplace.multiOutput.noGrad.split.add", {"c": x34(requires_grad=False)},
                [op("split", self="c", size=2, dim=1, outs=["p0", "p1"]), op("+=", self="p1", scalar=10)]),
        program("inplace.multiOutput.noGrad.unbind.fill", {"c": x34(requires_grad=False)},
                [op("unbind", self="c", dim=0, outs=["p0", "p1", "p2"]), op("fill", self="p2", value=0)]),
    ]
    # detached(): same storage, same version counter, no history
    cases += [
        program("inplace.detached.ofNonLeaf.add", {"x": x34()},
                [BASE, op("detached", self="base", out="d"), op("+=", self="d", scalar=1)], loss=["base"]),
        program("inplace.detached.ofLeaf.zero", {"x": x34()},
                [op("detached", self="x", out="d"), op("zero", self="d")], loss=["x"]),
        program("inplace.detached.ofView.mul", {"x": x34()},
                [BASE, {**narrow, "self": "base", "out": "v"}, op("detached", self="v", out="d"), op("*=", self="d", scalar=2)],
                loss=["base", "v"]),
        program("inplace.detached.baseWritten", {"x": x34()},
                [BASE, op("detached", self="base", out="d"), op("fill", self="base", value=2)], loss=["base"]),
    ]
    # contiguous()/cloned(): a copy is independent; contiguous() of a contiguous tensor is the tensor
    cases += [
        program("inplace.contiguousCopyIndependent", {"x": x34()},
                [BASE, op("transposed", self="base", out="t"), op("contiguous", self="t", out="c"),
                 op("+=", self="c", scalar=1)], loss=["base", "c"]),
        program("inplace.contiguousSameObject", {"x": x34()},
                [BASE, op("contiguous", self="base", out="c"), op("+=", self="c", scalar=1)], loss=["base"]),
        program("inplace.clonedIndependent", {"x": x34()},
                [BASE, op("cloned", self="base", out="c"), op("*=", self="c", scalar=2)], loss=["base", "c"]),
    ]
    return cases


def main():
    check_torch()
    write("views.json", run_all(view_cases() + inplace_cases()), HERE)


if __name__ == "__main__":
    main()
