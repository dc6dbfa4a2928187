#!/usr/bin/env python3
"""Writes Tests/Fixtures/inplace.json: what PyTorch does with in-place ops in grad mode.

Run from anywhere (`python3 Tests/Fixtures/make_inplace_fixture.py`); needs torch==2.11.0 (CPU
is enough). Deterministic. Each program below has a twin of the same id in
Tests/AutogradTests/InPlaceSemanticsTests.swift. A program returns a dict of named results:
float lists (values, gradients; `null` for a gradient PyTorch left unset) and strings (`grad_fn`
names). If it raises a RuntimeError, `error` holds the message instead, and `results` whatever it
recorded before raising (e.g. values read after the forward).
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def rg(values):
    return torch.tensor(values, dtype=torch.float32, requires_grad=True)


def const(values):
    return torch.tensor(values, dtype=torch.float32)


def flat(t):
    return None if t is None else [float(v) for v in t.detach().reshape(-1)]


# MARK: - grad assignment (the test reads the messages; the assignment raises)

def grad_of_another_shape(out):
    x = rg([1.0, 2.0])
    x.grad = torch.ones(3)


def grad_of_another_rank(out):
    x = rg([1.0, 2.0])
    x.grad = torch.ones(1, 2)


def grad_is_itself(out):
    x = rg([1.0, 2.0])
    x.grad = x


# MARK: - retain_grad, then in place

def retained_then_mul(out):
    x = rg([1.0])
    a = x * 1
    a.retain_grad()
    a *= 2
    a.sum().backward()
    out.update(a_grad=flat(a.grad), x_grad=flat(x.grad))


def retained_then_mul_twice(out):
    x = rg([1.0])
    a = x * 1
    a.retain_grad()
    a *= 2
    a *= 2
    a.sum().backward()
    out.update(a_grad=flat(a.grad), x_grad=flat(x.grad))


def retained_then_add_tensor(out):
    x, y = rg([1.0, 2.0]), rg([3.0, -1.0])
    a = x * 2
    a.retain_grad()
    a += y
    (a * a).sum().backward()
    out.update(a_grad=flat(a.grad), x_grad=flat(x.grad), y_grad=flat(y.grad))


def retained_then_fill(out):
    x = rg([1.0, 2.0])
    a = x * 1
    a.retain_grad()
    a.fill_(2)
    (a * 3).sum().backward()
    out.update(a_grad=flat(a.grad), x_grad=flat(x.grad))


def retained_view_then_mul(out):
    x = rg([[1.0, 2.0], [3.0, 4.0]])
    a = x * 1
    v = a.reshape(4)
    v.retain_grad()
    v.mul_(2)
    (v * 3).sum().backward()
    out.update(v_grad=flat(v.grad), x_grad=flat(x.grad))


# MARK: - in place on a non-leaf: values, gradients, grad_fn, aliases

OPS = {
    "add": lambda z, r: z.add_(r), "sub": lambda z, r: z.sub_(r),
    "mul": lambda z, r: z.mul_(r), "div": lambda z, r: z.div_(r),
}


def non_leaf(op, rhs):
    """z = x * 1.5; z op= rhs (a tensor that requires grad, a constant, a number, or z itself);
    an alias by detach() and a reshape taken under no-grad see the write."""
    def program(out):
        x, y = rg([1.0, 2.0, -3.0]), rg([0.5, -1.0, 2.0])
        z = x * 1.5
        alias = z.detach()
        with torch.no_grad():
            view = z.reshape(3, 1)
        r = {"tensor": y, "constant": const([0.5, -1.0, 2.0]), "scalar": 2.0, "self": z}[rhs]
        OPS[op](z, r)
        out.update(z=flat(z), alias=flat(alias), view=flat(view), grad_fn=type(z.grad_fn).__name__,
                   version=z._version)
        (z * const([1.0, 2.0, 3.0])).sum().backward()
        out.update(x_grad=flat(x.grad), y_grad=flat(y.grad))
    return program


def non_leaf_fill(out):
    x = rg([1.0, 2.0])
    z = x * 2
    alias = z.detach()
    z.fill_(3)
    out.update(z=flat(z), alias=flat(alias), grad_fn=type(z.grad_fn).__name__, requires_grad=str(z.requires_grad))
    (z * x).sum().backward()
    out.update(x_grad=flat(x.grad))


def non_leaf_zero(out):
    x = rg([1.0, 2.0])
    z = x * 2
    z.zero_()
    out.update(z=flat(z), grad_fn=type(z.grad_fn).__name__)
    (z + x).sum().backward()
    out.update(x_grad=flat(x.grad))


def non_leaf_copy_constant(out):
    x = rg([1.0, 2.0])
    z = x * 2
    z.copy_(const([5.0, 6.0]))
    out.update(z=flat(z), grad_fn=type(z.grad_fn).__name__)
    (z * x).sum().backward()
    out.update(x_grad=flat(x.grad))


def constant_copy_broadcast(out):
    y = rg([1.0, 2.0, 3.0])
    c = torch.zeros(2, 3)
    c.copy_(y * 2)
    out.update(c=flat(c), grad_fn=type(c.grad_fn).__name__)
    (c * const([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    out.update(y_grad=flat(y.grad))


def constant_times_requires_grad(out):
    y = rg([1.0, -2.0, 3.0])
    c = torch.ones(3)
    c *= y
    out.update(c=flat(c), grad_fn=type(c.grad_fn).__name__, is_leaf=str(c.is_leaf))
    (c * c).sum().backward()
    out.update(y_grad=flat(y.grad))


def leaf_under_no_grad(out):
    x, y = rg([1.0, 2.0]), rg([3.0, 4.0])
    with torch.no_grad():
        x += y
    out.update(x=flat(x), is_leaf=str(x.is_leaf), x_grad_before=flat(x.grad))
    (x * y).sum().backward()
    out.update(x_grad=flat(x.grad), y_grad=flat(y.grad))


def self_times_self(out):
    x = rg([1.0, 2.0, -3.0])
    z = x * 1
    z *= z
    out.update(z=flat(z))
    z.sum().backward()
    out.update(x_grad=flat(x.grad))


# MARK: - a saved value changed by a recorded in-place op

def saved_non_leaf_then_add(out):
    x, y = rg([1.0, 1.0]), rg([2.0, 3.0])
    z = x * 1
    w = z * y
    z += 2
    w.backward(torch.ones(2))


def saved_non_leaf_then_fill(out):
    x = rg([1.0, 1.0])
    z = x * 1
    w = z * z
    z.fill_(3)
    w.sum().backward()


def saved_output_then_add(out):
    x = rg([1.0, 1.0])
    z = x.exp()
    z += 1
    z.sum().backward()


def saved_non_leaf_then_mul_twice(out):
    x, y = rg([1.0, 1.0]), rg([2.0, 3.0])
    z = x * 1
    w = z * y
    z += 2
    z *= y
    w.sum().backward()


# MARK: - detach_ of a saved tensor

def detached_saved(square=False, then=lambda a: None):
    """a = x * 1 is saved by a * x (or a * a), then detached in place, then `then(a)`."""
    def program(out):
        x = rg([1.0, 1.0])
        a = x * 1
        b = a * (a if square else x)
        a.detach_()
        then(a)
        b.sum().backward()
    return program


def detached_not_saved(out):
    x = rg([1.0, 2.0])
    a = x * 1
    b = a + x
    a.detach_()
    b.sum().backward()
    out.update(x_grad=flat(x.grad))


def detached_saved_output(out):
    x = rg([0.0, 1.0])
    a = x.exp()
    b = a.exp().sum()
    a.detach_()
    b.backward()
    out.update(x_grad=flat(x.grad))


def detached_constant(out):
    x, c = rg([1.0, 2.0]), const([3.0, 4.0])
    b = x * c
    c.detach_()
    b.sum().backward()
    out.update(x_grad=flat(x.grad))


def detached_leaf(out):
    x = rg([1.0, 2.0])
    b = x * x
    x.detach_()
    b.sum().backward()
    out.update(x_grad=flat(x.grad), requires_grad=str(x.requires_grad))


# MARK: - views taken before the base required grad

VIEWS = {
    "reshape": lambda x: x.reshape(4), "view": lambda x: x.view(4), "unsqueeze": lambda x: x.unsqueeze(0),
    "t": lambda x: x.t(), "transpose": lambda x: x.transpose(0, 1), "expand": lambda x: x.expand(2, 2),
    "reshapeTwice": lambda x: x.reshape(4).reshape(2, 2),
}
IN_PLACE = {
    "mul": lambda v: v.mul_(2), "add": lambda v: v.add_(1), "fill": lambda v: v.fill_(3),
    "zero": lambda v: v.zero_(), "copy": lambda v: v.copy_(torch.ones(v.shape)),
}


def view_before_requires_grad(view, op):
    def program(out):
        x = torch.ones(2, 2)
        v = VIEWS[view](x)
        x.requires_grad_(True)
        IN_PLACE[op](v)
    return program


def detached_before_requires_grad(out):
    x = torch.ones(2, 2)
    v = x.detach()
    x.requires_grad_(True)
    v.mul_(2)
    out.update(x=flat(x), requires_grad=str(x.requires_grad), is_leaf=str(x.is_leaf))


def view_before_requires_grad_under_no_grad(out):
    x = torch.ones(2, 2)
    v = x.reshape(4)
    x.requires_grad_(True)
    with torch.no_grad():
        v.mul_(2)
    out.update(x=flat(x))


# MARK: - a second backward through a graph that saved nothing (ours throws, see the README)

def second_backward_without_saved_values(out):
    x = rg([1.0, 2.0])
    c = x + 1
    c.backward(torch.ones(2))
    c.backward(torch.ones(2))
    out.update(x_grad=flat(x.grad))


PROGRAMS = {
    "gradOfAnotherShape": grad_of_another_shape,
    "gradOfAnotherRank": grad_of_another_rank,
    "gradIsItself": grad_is_itself,
    "retainedThenMul": retained_then_mul,
    "retainedThenMulTwice": retained_then_mul_twice,
    "retainedThenAddTensor": retained_then_add_tensor,
    "retainedThenFill": retained_then_fill,
    "retainedViewThenMul": retained_view_then_mul,
    **{f"nonLeaf.{op}.{rhs}": non_leaf(op, rhs) for op in OPS for rhs in ["tensor", "constant", "scalar", "self"]},
    "nonLeafFill": non_leaf_fill,
    "nonLeafZero": non_leaf_zero,
    "nonLeafCopyConstant": non_leaf_copy_constant,
    "constantCopyBroadcast": constant_copy_broadcast,
    "constantTimesRequiresGrad": constant_times_requires_grad,
    "leafUnderNoGrad": leaf_under_no_grad,
    "selfTimesSelf": self_times_self,
    "savedNonLeafThenAdd": saved_non_leaf_then_add,
    "savedNonLeafThenFill": saved_non_leaf_then_fill,
    "savedOutputThenAdd": saved_output_then_add,
    "savedNonLeafThenMulTwice": saved_non_leaf_then_mul_twice,
    "detachedSavedInput": detached_saved(),
    "detachedSavedSquare": detached_saved(square=True),
    "detachedThenRequiresGrad": detached_saved(then=lambda a: a.requires_grad_()),
    "detachedThenModified": detached_saved(then=lambda a: a.add_(1)),
    "detachedNotSaved": detached_not_saved,
    "detachedSavedOutput": detached_saved_output,
    "detachedConstant": detached_constant,
    "detachedLeaf": detached_leaf,
    **{f"viewBeforeRequiresGrad.{view}.{op}": view_before_requires_grad(view, op) for view in VIEWS for op in IN_PLACE},
    "detachedBeforeRequiresGrad": detached_before_requires_grad,
    "viewBeforeRequiresGradUnderNoGrad": view_before_requires_grad_under_no_grad,
    "secondBackwardWithoutSavedValues": second_backward_without_saved_values,
}


def main():
    assert torch.__version__.split("+")[0] == "2.11.0", f"written with torch 2.11.0, not {torch.__version__}"
    cases = []
    for name, program in PROGRAMS.items():
        out = {}
        try:
            program(out)
            error = None
        except RuntimeError as e:
            error = str(e)
        cases.append({"id": name, "results": out, "error": error})
    with open(os.path.join(HERE, "inplace.json"), "w") as f:
        json.dump({"torch": torch.__version__.split("+")[0], "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
