#!/usr/bin/env python3
"""Writes Tests/Fixtures/dtypes.json: what PyTorch does with the element types of API.md
("Element types"): printing int64 and bool tensors, conversions between float64, float32, int64
and bool, comparisons, logical ops, any()/all(), int64 arithmetic and sum(), and the errors of
asking an int64 or bool tensor to require grad.

Run from anywhere (`python3 Tests/Fixtures/make_dtypes_fixture.py`); needs torch==2.11.0 (CPU is
enough). Deterministic. Cases are programs in the step language of part2_dsl.py (described in
Tests/Fixtures/README.md); every result record here also has `description`, PyTorch's `str(t)`.
Id groups: `print.*`, `convert.*`, `compare.*`, `logical.*`, `anyAll.*`, `intArithmetic.*`,
`requiresGrad.*`.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from part2_dsl import check_torch, run_all, tensor_spec, write  # noqa: E402

NAN, INF, NEG_INF = "nan", "inf", "-inf"


def op(name, **params):
    return {"op": name, **params}


def case(cid, inputs, steps, loss=None, note=None):
    c = {"id": cid, "inputs": inputs, "steps": steps, "backward": None if loss is None else {"of": loss}}
    if note:
        c["note"] = note
    return c


def ints(shape, values):
    return tensor_spec(shape, dtype="int64", values=values)


def bools(shape, values):
    return tensor_spec(shape, dtype="bool", values=[bool(v) for v in values])


def floats(shape, values, dtype="float64", requires_grad=False):
    return tensor_spec(shape, dtype=dtype, values=values, requires_grad=requires_grad)


def shape_of(values):
    return [len(values)]


def printed(cid, dtype, shape, values, note=None):
    """t = Tensor<dtype>(values, shape: shape); the result record's description is str(t)."""
    return case(cid, {}, [op("init", dtype=dtype, shape=shape, values=values, requiresGrad=False, out="t")], note=note)


def print_cases():
    I64_MAX, I64_MIN = 9223372036854775807, -9223372036854775808
    alternating = [i % 2 == 0 for i in range(1200)]
    thirds = [i % 3 == 0 for i in range(1001)]
    return [
        printed("print.int64.0d", "int64", [], [5]),
        printed("print.int64.0dNegative", "int64", [], [-3]),
        printed("print.int64.1d", "int64", [3], [1, 2, 3]),
        printed("print.int64.negative", "int64", [3], [-1, 20, -300]),
        printed("print.int64.widths", "int64", [4], [100000, -5, 7, 0]),
        printed("print.int64.extremes", "int64", [3], [I64_MAX, I64_MIN, 0]),
        printed("print.int64.2d", "int64", [2, 2], [1, -2, 30, 4]),
        printed("print.int64.3d", "int64", [2, 2, 3], [0, 1, -2, 3, 44, 5, -6, 7, 8, 9, 10, -111]),
        printed("print.int64.1x1", "int64", [1, 1], [7]),
        printed("print.int64.empty", "int64", [0], []),
        printed("print.int64.empty2x0", "int64", [2, 0], []),
        printed("print.int64.empty0x3", "int64", [0, 3], []),
        printed("print.int64.1000", "int64", [1000], list(range(1000)), note="1000 elements: not summarized"),
        printed("print.int64.1001", "int64", [1001], [i - 500 for i in range(1001)], note="1001 elements: summarized"),
        printed("print.int64.2000", "int64", [2000], list(range(2000))),
        printed("print.int64.40x30", "int64", [40, 30], [i - 600 for i in range(1200)]),
        printed("print.int64.2x600", "int64", [2, 600], [i * 7 for i in range(1200)]),
        printed("print.bool.0dTrue", "bool", [], [True]),
        printed("print.bool.0dFalse", "bool", [], [False]),
        printed("print.bool.1d", "bool", [2], [True, False]),
        printed("print.bool.allFalse", "bool", [3], [False, False, False]),
        printed("print.bool.allTrue", "bool", [2], [True, True]),
        printed("print.bool.2d", "bool", [2, 2], [True, False, False, True]),
        printed("print.bool.3d", "bool", [2, 1, 2], [False, True, True, True]),
        printed("print.bool.empty", "bool", [0], []),
        printed("print.bool.empty0x2", "bool", [0, 2], []),
        printed("print.bool.1000", "bool", [1000], [i % 2 == 0 for i in range(1000)]),
        printed("print.bool.1001", "bool", [1001], thirds),
        printed("print.bool.40x30", "bool", [40, 30], alternating),
    ]


def converted(cid, x, to, loss=False, note=None):
    return case(cid, {"x": x}, [op("convert", self="x", to=to, out="y")], loss=["y"] if loss else None, note=note)


def convert_cases():
    return [
        converted("convert.float64ToInt64", floats([8], [-2.7, -0.5, 0.5, 2.7, -0.0, 1e18, -3e9, 2.9999999]), "int64"),
        converted("convert.float32ToInt64", floats([4], [-1.5, 1.5, 16777217.0, -7.99], dtype="float32"), "int64"),
        converted("convert.float64ToInt64.outOfRange", floats([4], [1e20, -1e20, NAN, INF]), "int64",
                  note="undefined in C++: these values are x86-64's (INT64_MIN for all); other CPUs differ"),
        converted("convert.float64ToInt64.requiresGrad", floats([2, 2], [1.5, -2.5, 3.25, 0.0], requires_grad=True),
                  "int64"),
        converted("convert.boolToFloat64", bools([3], [1, 0, 1]), "float64"),
        converted("convert.boolToFloat32", bools([2, 2], [0, 1, 1, 0]), "float32"),
        converted("convert.boolToInt64", bools([3], [1, 0, 1]), "int64"),
        converted("convert.float64ToBool", floats([8], [0.0, -0.0, 0.5, -2.0, NAN, INF, 1e-300, NEG_INF]), "bool"),
        converted("convert.float32ToBool", floats([3], [0.0, 1e-45, -3.0], dtype="float32"), "bool"),
        converted("convert.int64ToBool", ints([4], [0, 1, -1, 4611686018427387904]), "bool"),
        converted("convert.int64ToFloat64", ints([4], [1, -2, 9007199254740993, -9007199254740993]), "float64"),
        converted("convert.int64ToFloat32", ints([3], [16777217, -3, 123456789]), "float32"),
        converted("convert.float64ToFloat32", floats([5], [0.1, 1e-50, 3.4e39, -2.5, 1.0000001], requires_grad=True),
                  "float32", loss=True),
        converted("convert.float32ToFloat64", floats([2, 2], [0.1, -1.5, 3.0, 1e-8], dtype="float32", requires_grad=True),
                  "float64", loss=True),
        converted("convert.float64ToFloat64", floats([2], [1.5, -2.0], requires_grad=True), "float64", loss=True,
                  note="a conversion to the same type returns the tensor itself"),
        converted("convert.int64ToInt64", ints([2], [1, 2]), "int64"),
        converted("convert.0d", floats([], [-3.75], requires_grad=True), "float32", loss=True),
        case("convert.ofNonLeaf", {"x": floats([3], [1.0, 2.0, -0.5], requires_grad=True)},
             [op("*", self="x", scalar=3, out="a"), op("convert", self="a", to="float32", out="y"),
              op("*", self="y", scalar=2, out="z")], loss=["z"]),
    ]


def compared(cid, inputs, step, note=None):
    return case(cid, inputs, [{**step, "out": "r"}], note=note)


def compare_cases():
    a = floats([6], [1.0, 2.0, 3.0, NAN, NEG_INF, 0.0])
    b = floats([6], [3.0, 2.0, 1.0, NAN, NEG_INF, -0.0])
    ops = [".<", ".<=", ".>", ".>=", ".==", ".!="]
    cases = []
    for o in ops:
        cases.append(compared(f"compare.float64.tensor{o}", {"a": a, "b": b}, op(o, self="a", other="b")))
    for o in ops:
        cases.append(compared(f"compare.float64.scalar{o}", {"a": a}, op(o, self="a", scalar=2)))
    for o in [".==", ".!=", ".<"]:
        cases.append(compared(f"compare.float64.nanScalar{o}", {"a": a}, op(o, self="a", scalar=NAN)))
    cases += [
        compared("compare.broadcast.row", {"a": floats([2, 3], [1, 5, 3, 4, 2, 6]), "b": floats([3], [2, 5, 4])},
                 op(".<=", self="a", other="b")),
        compared("compare.broadcast.outer", {"a": floats([3, 1], [1, 2, 3]), "b": floats([1, 4], [0, 1, 2, 3])},
                 op(".==", self="a", other="b")),
        compared("compare.broadcast.0d", {"a": floats([], [2.0]), "b": floats([3], [1, 2, 3])},
                 op(".>", self="a", other="b")),
        compared("compare.float32.scalar", {"a": floats([3], [0.1, 0.2, 0.3], dtype="float32")},
                 op(".>", self="a", scalar=0.2), note="the scalar is compared in float32: 0.2 as a Float"),
        compared("compare.requiresGrad", {"a": floats([3], [1, -1, 0], requires_grad=True)},
                 op(".>", self="a", scalar=0)),
        compared("compare.empty", {"a": floats([0], []), "b": floats([0], [])}, op(".==", self="a", other="b")),
        compared("compare.int64.scalar", {"a": ints([4], [1, -2, 3, 0])}, op(".>", self="a", scalar=0)),
        compared("compare.int64.tensor", {"a": ints([4], [1, -2, 3, 0]), "b": ints([4], [1, 2, 3, -4])},
                 op(".==", self="a", other="b")),
        compared("compare.int64.broadcast", {"a": ints([2, 1], [1, 5]), "b": ints([3], [0, 5, 9])},
                 op(".>=", self="a", other="b")),
        compared("compare.int64.large", {"a": ints([2], [9007199254740993, -9223372036854775808])},
                 op(".==", self="a", scalar=9007199254740993)),
        compared("compare.bool.eq", {"a": bools([4], [1, 1, 0, 0]), "b": bools([4], [1, 0, 1, 0])},
                 op(".==", self="a", other="b")),
        compared("compare.bool.ne", {"a": bools([4], [1, 1, 0, 0]), "b": bools([4], [1, 0, 1, 0])},
                 op(".!=", self="a", other="b")),
        compared("compare.bool.scalar", {"a": bools([3], [1, 0, 1])}, op(".==", self="a", scalar=True)),
    ]
    return cases


def logical_cases():
    p, q = bools([4], [1, 1, 0, 0]), bools([4], [1, 0, 1, 0])
    cases = [compared(f"logical{o}", {"p": p, "q": q}, op(o, self="p", other="q")) for o in [".&", ".|", ".^"]]
    cases += [
        compared("logical.!", {"p": p}, op(".!", self="p")),
        compared("logical.!.0d", {"p": bools([], [0])}, op(".!", self="p")),
        compared("logical.!.empty", {"p": bools([0], [])}, op(".!", self="p")),
        compared("logical.&.broadcast", {"p": bools([2, 1], [1, 0]), "q": bools([3], [1, 0, 1])},
                 op(".&", self="p", other="q")),
        compared("logical.|.broadcast", {"p": bools([2, 1], [1, 0]), "q": bools([3], [1, 0, 1])},
                 op(".|", self="p", other="q")),
        compared("logical.^.0d", {"p": bools([], [1]), "q": bools([2], [1, 0])}, op(".^", self="p", other="q")),
        case("logical.ofComparisons", {"x": floats([5], [-2, -0.5, 0, 0.5, 2])},
             [op(".>", self="x", scalar=-1, out="a"), op(".<", self="x", scalar=1, out="b"),
              op(".&", self="a", other="b", out="c"), op(".!", self="c", out="r")]),
    ]
    return cases


def any_all_cases():
    cases = []
    for name, shape, values in [("allFalse", [2], [0, 0]), ("mixed", [2], [0, 1]), ("allTrue", [2], [1, 1]),
                                ("empty", [0], []), ("empty2x0", [2, 0], []), ("0dTrue", [], [1]), ("0dFalse", [], [0]),
                                ("2d", [2, 2], [0, 0, 0, 1])]:
        for o in ["any", "all"]:
            cases.append(compared(f"anyAll.{name}.{o}", {"p": bools(shape, values)}, op(o, self="p")))
    return cases


def int_cases():
    x = ints([3], [1, -2, 3])
    y = ints([3], [4, 5, -6])
    cases = []
    for o, s in [("+", 5), ("-", 2), ("*", -3)]:
        cases.append(compared(f"intArithmetic.{o}scalar", {"x": x}, op(o, self="x", scalar=s)))
        cases.append(compared(f"intArithmetic.scalar{o}", {"x": x}, op(o, self="x", scalar=s, reversed=True)))
        cases.append(compared(f"intArithmetic.{o}tensor", {"x": x, "y": y}, op(o, self="x", other="y")))
    cases += [
        compared("intArithmetic.+broadcast", {"x": ints([2, 1], [10, 20]), "y": ints([3], [1, 2, 3])},
                 op("+", self="x", other="y")),
        compared("intArithmetic.*broadcast0d", {"x": ints([], [7]), "y": ints([2, 2], [1, -1, 2, -2])},
                 op("*", self="x", other="y")),
        compared("intArithmetic.large", {"x": ints([2], [2305843009213693952, -4611686018427387904])},
                 op("*", self="x", scalar=2)),
        compared("intArithmetic.sum", {"x": ints([2, 3], [1, -2, 3, 40, 50, -60])}, op("sum", self="x")),
        compared("intArithmetic.sum.empty", {"x": ints([0], [])}, op("sum", self="x")),
        compared("intArithmetic.sum.0d", {"x": ints([], [-9])}, op("sum", self="x")),
        compared("intArithmetic.sum.large", {"x": ints([3], [4611686018427387904, -4611686018427387904, 5])},
                 op("sum", self="x")),
        case("intArithmetic.inPlace", {"x": ints([3], [1, -2, 3])},
             [op("+=", self="x", scalar=4), op("*=", self="x", scalar=-2), op("-=", self="x", scalar=1)]),
    ]
    return cases


def requires_grad_cases():
    cases = []
    for dtype, x in [("int64", ints([2], [1, 2])), ("bool", bools([2], [1, 0]))]:
        for python, tag in [("requires_grad_", "requiresGrad_"), ("requires_grad =", "requiresGradAssign")]:
            cases.append(case(f"requiresGrad.{dtype}.{tag}", {"x": x},
                              [op("setRequiresGrad", self="x", value=True, python=python)]))
        cases.append(case(f"requiresGrad.{dtype}.false", {"x": x},
                          [op("setRequiresGrad", self="x", value=False, python="requires_grad_")]))
    cases += [
        case("requiresGrad.factory.ones.int64", {}, [op("ones", dtype="int64", shape=[2], requiresGrad=True, out="t")]),
        case("requiresGrad.factory.zeros.bool", {}, [op("zeros", dtype="bool", shape=[2, 2], requiresGrad=True, out="t")]),
        case("requiresGrad.factory.full.int64", {},
             [op("full", dtype="int64", shape=[3], value=7, requiresGrad=True, out="t")]),
        case("requiresGrad.factory.init.int64", {},
             [op("init", dtype="int64", shape=[2], values=[1, 2], requiresGrad=True, out="t")]),
        case("requiresGrad.factory.init.bool", {},
             [op("init", dtype="bool", shape=[], values=[True], requiresGrad=True, out="t")]),
        case("requiresGrad.factory.ones.float64", {},
             [op("ones", dtype="float64", shape=[2], requiresGrad=True, out="t")]),
        case("requiresGrad.float32.requiresGrad_", {"x": floats([2], [1, 2], dtype="float32")},
             [op("setRequiresGrad", self="x", value=True, python="requires_grad_")]),
    ]
    return cases


def main():
    check_torch()
    cases = (print_cases() + convert_cases() + compare_cases() + logical_cases() + any_all_cases() + int_cases()
             + requires_grad_cases())
    write("dtypes.json", run_all(cases, describe=True), HERE)


if __name__ == "__main__":
    main()
