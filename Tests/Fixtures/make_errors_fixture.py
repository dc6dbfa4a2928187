#!/usr/bin/env python3
"""Writes Tests/Fixtures/errors.json: PyTorch's message when a value saved for backward was
changed in place (`one of the variables needed for gradient computation has been modified by an
inplace operation: ...`), one per small program.

Run from anywhere (`python3 Tests/Fixtures/make_errors_fixture.py`); needs torch (written with
torch 2.11, CPU). Deterministic. Each program below has a twin of the same id in
Tests/AutogradTests/SavedTensorErrorTests.swift; `message` is the text of the RuntimeError that
`backward()` raised, or null when PyTorch computed the gradient without complaint.

The message names the changed tensor's type and shape and, when that tensor has a `grad_fn`,
"which is output 0 of <grad_fn>": the node that made it (a view's is regenerated as
AsStridedBackward0 once its storage changes). Leaves and constants have none.
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def rg(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def const(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype)


def saved_constant():
    x, w = rg([1.0, 2.0]), const([3.0, 4.0])
    loss = (x * w).sum()
    w.add_(1)
    return loss


def saved_output_through_detached_alias():
    x = rg([0.0, 1.0, 2.0], torch.float64)
    y = x.exp()
    alias = y.detach()
    alias.mul_(2)
    alias.add_(1)
    return y.sum()


def version_at_save_time():
    x, c = rg([1.0, 2.0, 3.0]), const([1.0, 1.0, 1.0])
    c.fill_(2)
    loss = (x / c).sum()
    c.copy_(const([3.0, 3.0, 3.0]))
    return loss


def write_through_a_view():
    x, c = rg([1.0, 2.0, 3.0, 4.0]), const([1.0, 2.0, 3.0, 4.0])
    loss = (x * c).sum()
    c.reshape(2, 2).fill_(0)
    return loss


def non_leaf_input_under_no_grad():
    x = rg([1.0, 2.0, 3.0, 4.0])
    y = x * 2
    loss = (y * y).sum()
    with torch.no_grad():
        y.add_(1)
    return loss


def non_leaf_input_of_log():
    x = rg([1.0, 2.0, 3.0, 4.0])
    y = x + 1
    loss = y.log().sum()
    with torch.no_grad():
        y.mul_(2)
    return loss


def view_of_a_non_leaf():
    x = rg([1.0, 2.0, 3.0, 4.0])
    y = x * 2
    v = y.reshape(2, 2)
    loss = (v * v).sum()
    with torch.no_grad():
        y.add_(1)
    return loss


def view_of_a_leaf():
    x = rg([1.0, 2.0, 3.0, 4.0])
    v = x.reshape(2, 2)
    loss = (v * v).sum()
    with torch.no_grad():
        x.add_(1)
    return loss


def transpose_changed_through_alias():
    x = rg([[1.0, 2.0], [3.0, 4.0]])
    v = x.t()
    loss = (v * v).sum()
    v.detach().add_(1)
    return loss


def unsqueeze_changed_through_alias():
    x = rg([1.0, 2.0])
    v = x.unsqueeze(0)
    loss = (v * v).sum()
    v.detach().add_(1)
    return loss


def saved_output(op):
    def program():
        x = rg([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
        y = op(x.abs() if op is torch.sqrt else x)
        loss = y.sum()
        y.detach().add_(1)
        return loss
    return program


def mv_matrix_constant():
    a, v = const([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), rg([1.0, -1.0, 2.0])
    loss = a.mv(v).sum()
    a.add_(1)
    return loss


def linear_input_constant():
    x, w, b = const([[1.0, 2.0, 3.0]] * 4), rg([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]), rg([0.0, 1.0])
    x.requires_grad_()
    loss = F.linear(x, w, b).sum()
    with torch.no_grad():
        x.sub_(0.1)
    return loss


def mean_of_a_modified_input():
    x = rg([1.0, 2.0, 3.0])
    y = x * 1
    loss = y.mean()
    with torch.no_grad():
        y.add_(1)
    return loss


# PyTorch saves an operand of a product only for the other operand's gradient: when that one
# needs none, changing the first in place is no error.
def mm_parameter_updated_before_backward():
    x, w = const([[1.0, 2.0, 3.0]] * 4), rg([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    loss = x.mm(w).sum()
    with torch.no_grad():
        w.sub_(0.1)
    return loss


def mm_second_layer_updated_before_backward():
    x, w1 = const([[1.0, 2.0, 3.0]] * 4), rg([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    w2 = rg([[1.0, -1.0, 0.5], [0.0, 2.0, 1.0]])
    loss = x.mm(w1).mm(w2).sum()
    with torch.no_grad():
        w2.sub_(0.1)
    return loss


def mul_factor_not_needed():
    x, w = const([1.0, 2.0]), rg([3.0, 4.0])
    loss = (x * w).sum()
    with torch.no_grad():
        w.add_(1)
    return loss


def div_denominator_changed():
    x, w = const([1.0, 2.0]), rg([3.0, 4.0])
    loss = (x / w).sum()
    with torch.no_grad():
        w.add_(1)
    return loss


def div_numerator_changed_without_denominator_grad():
    x, w = rg([1.0, 2.0]), const([3.0, 4.0])
    y = x * 1
    loss = (y / w).sum()
    with torch.no_grad():
        y.add_(1)
    return loss


def mv_vector_not_needed():
    a, v = rg([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), const([1.0, -1.0, 2.0])
    loss = a.mv(v).sum()
    with torch.no_grad():
        a.add_(1)
    return loss


def linear_weight_updated_before_backward():
    x, w, b = const([[1.0, 2.0, 3.0]] * 4), rg([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]), rg([0.0, 1.0])
    loss = F.linear(x, w, b).sum()
    with torch.no_grad():
        w.sub_(0.1)
    return loss


def transposed_weight_updated_before_backward():
    a, w = rg([[1.0, 2.0, 3.0, 4.0]] * 3), rg([[1.0, 0.0, 0.0, 1.0]] * 5)
    loss = a.mm(w.t()).sum()
    with torch.no_grad():
        w.add_(1)
    return loss


PROGRAMS = {
    "savedConstant": saved_constant,
    "savedOutputThroughDetachedAlias": saved_output_through_detached_alias,
    "versionAtSaveTime": version_at_save_time,
    "writeThroughAView": write_through_a_view,
    "nonLeafInputUnderNoGrad": non_leaf_input_under_no_grad,
    "nonLeafInputOfLog": non_leaf_input_of_log,
    "viewOfANonLeaf": view_of_a_non_leaf,
    "viewOfALeaf": view_of_a_leaf,
    "transposeChangedThroughAlias": transpose_changed_through_alias,
    "unsqueezeChangedThroughAlias": unsqueeze_changed_through_alias,
    "savedOutputSqrt": saved_output(torch.sqrt),
    "savedOutputRelu": saved_output(torch.relu),
    "savedOutputSigmoid": saved_output(torch.sigmoid),
    "savedOutputTanh": saved_output(torch.tanh),
    "savedOutputSoftmax": saved_output(lambda t: t.softmax(1)),
    "savedOutputLogSoftmax": saved_output(lambda t: t.log_softmax(1)),
    "mvMatrixConstant": mv_matrix_constant,
    "linearInputChanged": linear_input_constant,
    "meanOfAModifiedInput": mean_of_a_modified_input,
    "mmParameterUpdatedBeforeBackward": mm_parameter_updated_before_backward,
    "mmSecondLayerUpdatedBeforeBackward": mm_second_layer_updated_before_backward,
    "mulFactorNotNeeded": mul_factor_not_needed,
    "divDenominatorChanged": div_denominator_changed,
    "divNumeratorChangedWithoutDenominatorGrad": div_numerator_changed_without_denominator_grad,
    "mvVectorNotNeeded": mv_vector_not_needed,
    "linearWeightUpdatedBeforeBackward": linear_weight_updated_before_backward,
    "transposedWeightUpdatedBeforeBackward": transposed_weight_updated_before_backward,
}


def main():
    cases = []
    for name, program in PROGRAMS.items():
        loss = program()
        try:
            loss.backward()
            message = None
        except RuntimeError as error:
            message = str(error)
        cases.append({"id": name, "message": message})
    out = {"torch": torch.__version__.split("+")[0], "cases": cases}
    with open(os.path.join(HERE, "errors.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
