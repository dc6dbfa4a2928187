#!/usr/bin/env python3
"""Writes Tests/Fixtures/view_errors.json: the errors PyTorch raises for misused view ops of
API.md ("Views share storage"), which views.json (all of whose view cases succeed) does not hold.

Run from anywhere (`python3 Tests/Fixtures/make_view_errors_fixture.py`); needs torch==2.11.0 (CPU
is enough). Deterministic. Each case is one step of the step language of part2_dsl.py (described
in Tests/Fixtures/README.md) on an input `x` (float64, requires grad) that raises; the Swift test
replays it in a child process and expects a trap with the same message.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from part2_dsl import check_torch, run_all, tensor_spec, write  # noqa: E402


def failing(cid, input_shape, op, **params):
    """x (float64, requires grad, of `input_shape`) through one step `op` that raises."""
    return {"id": cid, "inputs": {"x": tensor_spec(input_shape, requires_grad=True)},
            "steps": [{"op": op, **params, "self": "x", "out": "y"}], "backward": {"of": ["y"]}}


def error_cases():
    return [
        failing("transposed.error.3d", [2, 3, 4], "transposed"),
        failing("transposed.error.dim", [2, 3], "transposed", dims=[0, 2]),
        failing("permuted.error.count", [2, 3], "permuted", dims=[0]),
        failing("permuted.error.duplicate", [2, 3], "permuted", dims=[1, -1]),
        failing("permuted.error.dim", [2, 3], "permuted", dims=[0, 2]),
        failing("expanded.error.fewerSizes", [2, 3], "expanded", shape=[3]),
        failing("expanded.error.size", [2, 3], "expanded", shape=[4, 3, 4]),
        failing("expanded.error.inferredLeading", [2, 3], "expanded", shape=[-1, 2, 3]),
        failing("expanded.error.lastMismatchReported", [3, 1], "expanded", shape=[2, -2]),
        failing("unsqueezed.error.dim", [2, 3], "unsqueezed", dim=3),
        failing("squeezed.error.dim", [2, 3], "squeezed", dim=2),
        failing("squeezed.error.0d", [], "squeezed", dim=1),
        failing("reshaped.error.count", [2, 3], "reshaped", shape=[4]),
        failing("reshaped.error.inferredCount", [2, 3], "reshaped", shape=[-1, 4]),
        failing("reshaped.error.twoInferred", [2, 3], "reshaped", shape=[-1, -1]),
        failing("reshaped.error.negative", [2, 3], "reshaped", shape=[-2, 3]),
        failing("reshaped.error.ambiguous", [0, 3], "reshaped", shape=[-1, 0]),
        failing("flattened.error.order", [2, 3, 4], "flattened", startDim=2, endDim=1),
        failing("flattened.error.dim", [2, 3], "flattened", startDim=0, endDim=3),
        failing("select.error.index", [2, 3], "select", dim=0, index=5),
        failing("select.error.negativeDim", [2, 3], "select", dim=-1, index=-4),
        failing("select.error.dim", [2, 3], "select", dim=2, index=0),
        failing("select.error.0d", [], "select", dim=0, index=0),
        failing("narrow.error.pastEnd", [2, 3], "narrow", dim=1, start=2, length=2),
        failing("narrow.error.negativeStartPastEnd", [2, 3], "narrow", dim=-1, start=-1, length=2),
        failing("narrow.error.start", [2, 3], "narrow", dim=1, start=4, length=0),
        failing("narrow.error.negativeLength", [2, 3], "narrow", dim=1, start=0, length=-1),
        failing("narrow.error.0d", [], "narrow", dim=0, start=0, length=1),
    ]


def main():
    check_torch()
    cases = run_all(error_cases())
    for c in cases:
        assert c["error"] is not None and c["error"]["step"] == 0, f"{c['id']} did not raise"
    write("view_errors.json", cases, HERE)


if __name__ == "__main__":
    main()
