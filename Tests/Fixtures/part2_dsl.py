"""The step language of the Part-two fixtures (views.json, indexing.json, dtypes.json), run in
PyTorch. Imported by make_views_fixture.py, make_indexing_fixture.py and make_dtypes_fixture.py;
not a script itself. Tests/Fixtures/README.md ("The step language") describes the schema; a Swift
test replays each case by interpreting the same steps with the Swift API.

A case is built from plain dicts (`inputs`, `steps`, `backward`), and `run_case` executes exactly
those dicts, so what the JSON says and what PyTorch ran cannot drift apart.
"""
import json
import math
import os

import torch

DTYPES = {"float64": torch.float64, "float32": torch.float32, "int64": torch.int64, "bool": torch.bool}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
ERRORS = (RuntimeError, IndexError, ValueError)
MAX_RECORDED_VALUES = 256  # larger results (only the printing cases' inits) have "values": null


def check_torch():
    assert torch.__version__.split("+")[0] == "2.11.0", f"written with torch 2.11.0, not {torch.__version__}"
    torch.set_printoptions(profile="default")


# MARK: - deterministic values

def det_floats(count, salt=0):
    """`count` multiples of 1/2 in [-10, 10] (exact in every float type), distinct when count <= 41,
    a fixed function of (count, salt)."""
    return [((i * 7919 + salt * 104729 + 37) % 41 - 20) / 2 for i in range(count)]


def det_weights(count, salt=0):
    """Non-zero multiples of 1/4 in [-2, 2], alternating in sign."""
    return [((i * 5 + salt) % 7 + 1) * (1 if i % 2 == 0 else -1) / 4 for i in range(count)]


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def tensor_spec(shape, dtype="float64", requires_grad=False, values=None, salt=0):
    """An input record; `values` default to det_floats (float dtypes only)."""
    if values is None:
        values = det_floats(numel(shape), salt)
    assert len(values) == numel(shape), (shape, len(values))
    # written as the element type holds them: float32 values as float() of the float32 value
    exact = torch.tensor([decode_scalar(v) for v in values], dtype=DTYPES[dtype])
    return {"dtype": dtype, "shape": list(shape), "values": encode_values(exact), "requiresGrad": requires_grad}


# MARK: - encoding

def encode_scalar(v, dtype):
    if dtype == "bool":
        return bool(v)
    if dtype == "int64":
        return int(v)
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def decode_scalar(v):
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(v, v) if isinstance(v, str) else v


def encode_values(t):
    dtype = DTYPE_NAMES[t.dtype]
    return [encode_scalar(v, dtype) for v in t.detach().reshape(-1).tolist()]


def nested(flat, shape):
    if not shape:
        return flat[0]
    step = numel(shape[1:])
    return [nested(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def make_input(spec):
    """A fresh, contiguous, non-view leaf (torch.tensor of a nested list), as Swift's
    `Tensor<T>(values, shape: shape, requiresGrad: r)` makes."""
    values = [decode_scalar(v) for v in spec["values"]]
    t = torch.tensor(nested(values, spec["shape"]) if numel(spec["shape"]) else [], dtype=DTYPES[spec["dtype"]])
    t = t.reshape(spec["shape"]).clone() if numel(spec["shape"]) == 0 else t
    assert list(t.shape) == spec["shape"] and not t._is_view()
    if spec["requiresGrad"]:
        t.requires_grad_(True)
    return t


# MARK: - the interpreter

def index_item(item, env):
    if isinstance(item, bool):
        raise TypeError("a bool index is not part of the language")
    if isinstance(item, int):
        return item
    if item == "all":
        return slice(None)
    if item == "ellipsis":
        return Ellipsis
    if item == "newAxis":
        return None
    (key,) = [k for k in item if k != "by"]
    v = item[key]
    if key == "range":
        return slice(v[0], v[1])
    if key == "closedRange":
        return slice(v[0], v[1] + 1)
    if key == "from":
        return slice(v, None)
    if key == "upTo":
        return slice(None, v)
    if key == "through":
        return slice(None, v + 1)
    if key == "stride":
        return slice(v[0], v[1], item["by"])
    if key == "tensor":
        return env[v]
    raise KeyError(f"unknown index item {item}")


def indices(step, env):
    items = [index_item(i, env) for i in step["indices"]]
    return items[0] if len(items) == 1 else tuple(items)


def rhs(step, env):
    """The right-hand side of a binary or in-place op: another tensor or a scalar."""
    if "other" in step:
        return env[step["other"]]
    return decode_scalar(step["scalar"])


BINARY = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    ".<": torch.lt, ".<=": torch.le, ".>": torch.gt, ".>=": torch.ge, ".==": torch.eq, ".!=": torch.ne,
    ".&": torch.bitwise_and, ".|": torch.bitwise_or, ".^": torch.bitwise_xor,
}
IN_PLACE = {"+=": "add_", "-=": "sub_", "*=": "mul_", "/=": "div_"}


def execute(step, env):
    """Runs one step; returns the tensor or the list of tensors it produced (or None)."""
    op = step["op"]
    s = env.get(step.get("self"))
    if op == "transposed":
        return s.transpose(*step["dims"]) if "dims" in step else s.t()
    if op == "permuted":
        return s.permute(step["dims"])
    if op == "expanded":
        return s.expand(step["shape"])
    if op == "unsqueezed":
        return s.unsqueeze(step["dim"])
    if op == "squeezed":
        return s.squeeze(step["dim"]) if "dim" in step else s.squeeze()
    if op == "reshaped":
        return s.reshape(step["shape"])
    if op == "flattened":
        return s.flatten(step["startDim"], step["endDim"])
    if op == "select":
        return s.select(step["dim"], step["index"])
    if op == "narrow":
        return s.narrow(step["dim"], step["start"], step["length"])
    if op == "split":
        return list(s.split(step["sizes"] if "sizes" in step else step["size"], step["dim"]))
    if op == "chunked":
        return list(s.chunk(step["chunks"], step["dim"]))
    if op == "unbind":
        return list(s.unbind(step["dim"]))
    if op == "contiguous":
        return s.contiguous()
    if op == "cloned":
        return s.clone()
    if op == "detached":
        return s.detach()
    if op == "subscript":
        return s[indices(step, env)]
    if op == "subscriptSet":
        s[indices(step, env)] = rhs(step, env) if "scalar" in step else env[step["source"]]
        return None
    if op in BINARY:
        a, b = s, rhs(step, env)
        return BINARY[op](b, a) if step.get("reversed") else BINARY[op](a, b)
    if op == ".!":
        return torch.logical_not(s)
    if op in IN_PLACE:
        getattr(s, IN_PLACE[op])(rhs(step, env))
        return None
    if op == "fill":
        s.fill_(decode_scalar(step["value"]))
        return None
    if op == "zero":
        s.zero_()
        return None
    if op == "copy":
        s.copy_(env[step["source"]])
        return None
    if op == "cat":
        return torch.cat([env[n] for n in step["tensors"]], step["dim"])
    if op == "stack":
        return torch.stack([env[n] for n in step["tensors"]], step["dim"])
    if op == "indexSelect":
        return s.index_select(step["dim"], env[step["index"]])
    if op == "gather":
        return s.gather(step["dim"], env[step["index"]])
    if op == "scatterAdd":
        return s.scatter_add(step["dim"], env[step["index"]], env[step["source"]])
    if op == "maskedFill":
        return s.masked_fill(env[step["mask"]], decode_scalar(step["value"]))
    if op == "where":
        return torch.where(env[step["condition"]], env[step["a"]], env[step["b"]])
    if op == "any":
        return s.any()
    if op == "all":
        return s.all()
    if op == "sum":
        return s.sum()
    if op == "convert":
        return s.to(DTYPES[step["to"]])
    if op == "setRequiresGrad":
        if step["python"] == "requires_grad_":
            s.requires_grad_(step["value"])
        else:
            s.requires_grad = step["value"]
        return None
    if op in ("zeros", "ones", "full", "init"):
        dtype, shape, rg = DTYPES[step["dtype"]], step["shape"], step["requiresGrad"]
        if op == "zeros":
            return torch.zeros(shape, dtype=dtype, requires_grad=rg)
        if op == "ones":
            return torch.ones(shape, dtype=dtype, requires_grad=rg)
        if op == "full":
            return torch.full(shape, decode_scalar(step["value"]), dtype=dtype, requires_grad=rg)
        if numel(shape) == 0:
            return torch.empty(shape, dtype=dtype, requires_grad=rg)
        return torch.tensor(nested([decode_scalar(v) for v in step["values"]], shape), dtype=dtype, requires_grad=rg)
    raise KeyError(f"unknown op {op}")


def grad_fn_name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def record(t, name, env, storages, describe):
    names = list(env)
    same = next((n for n in names[:names.index(name)] if env[n] is t), None)
    key = t.untyped_storage()._cdata
    if key not in storages:
        storages[key] = len(storages)
    r = {
        "dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "strides": list(t.stride()),
        "storageOffset": t.storage_offset(), "isView": t._is_view(), "isContiguous": t.is_contiguous(),
        "values": encode_values(t) if t.numel() <= MAX_RECORDED_VALUES else None, "requiresGrad": t.requires_grad, "isLeaf": t.is_leaf,
        "gradFn": grad_fn_name(t), "version": t._version, "storage": storages[key], "sameAs": same,
    }
    if describe:
        text = str(t)
        r["description"] = text.replace("dtype=torch.", "dtype=")
        if text != r["description"]:
            r["torchDescription"] = text
    return r


def error_record(step_index, e):
    return {"step": step_index, "type": type(e).__name__, "message": str(e)}


def run_case(case, describe=False):
    """Executes a case dict ({id, inputs, steps, backward?, note?}) and returns it completed with
    `results`, `error` and the backward's `grads`."""
    env = {name: make_input(spec) for name, spec in case["inputs"].items()}
    error = None
    for k, step in enumerate(case["steps"]):
        try:
            out = execute(step, env)
        except ERRORS as e:
            error = error_record(k, e)
            break
        for name in [step["out"]] if "out" in step else step.get("outs", []):
            assert name not in env, f"{case['id']}: step {k} rebinds {name}"
        if "out" in step:
            assert isinstance(out, torch.Tensor), step
            env[step["out"]] = out
        elif "outs" in step:
            assert isinstance(out, list) and len(out) == len(step["outs"]), (step, len(out))
            env.update(zip(step["outs"], out))
        else:
            assert out is None, step
    storages = {}
    for t in env.values():  # storage numbers: inputs first, then in the order names were bound
        storages.setdefault(t.untyped_storage()._cdata, len(storages))
    results = {}
    for name, t in env.items():
        spec = case["inputs"].get(name)
        if spec is not None and t._version == 0 and t.is_leaf and t.requires_grad == spec["requiresGrad"]:
            continue  # an input no step changed
        results[name] = record(t, name, env, storages, describe)
    backward = case.get("backward")
    of = [] if backward is None else [n for n in backward["of"] if n in env and env[n].requires_grad]
    if of and error is None:
        loss = None
        weights = {}
        for name in of:
            t = env[name]
            w = det_weights(t.numel(), salt=len(weights) + 1)
            weights[name] = [encode_scalar(v, DTYPE_NAMES[t.dtype]) for v in w]
            term = (t * torch.tensor(w, dtype=t.dtype).reshape(t.shape)).sum()
            loss = term if loss is None else loss + term
        try:
            loss.backward()
            grads = {n: (None if env[n].grad is None else encode_values(env[n].grad))
                     for n, spec in case["inputs"].items() if spec["requiresGrad"]}
        except ERRORS as e:
            error = error_record(len(case["steps"]), e)
            grads = None
        backward = {"of": of, "w": weights, "grads": grads}
    else:
        backward = None
    out = {"id": case["id"]}
    if case.get("note"):
        out["note"] = case["note"]
    out.update(inputs=case["inputs"], steps=case["steps"], results=results, error=error, backward=backward)
    return out


def run_all(cases, describe=False):
    ids = [c["id"] for c in cases]
    dup = {i for i in ids if ids.count(i) > 1}
    assert not dup, f"duplicate ids {dup}"
    return [run_case(c, describe) for c in cases]


# MARK: - writing

def _compact(v):
    return json.dumps(v, ensure_ascii=False, allow_nan=False)


def _format(v, indent):
    """JSON with lists of numbers, and small objects, on one line."""
    pad = " " * indent
    flat = _compact(v)
    scalars_only = isinstance(v, list) and all(not isinstance(x, (list, dict)) for x in v)
    record = isinstance(v, dict) and all(not isinstance(x, (list, dict)) or isinstance(x, list) and all(
        not isinstance(y, (list, dict)) for y in x) for x in v.values())
    if scalars_only or record or len(flat) <= 100 or not isinstance(v, (list, dict)):
        return flat
    inner = " " * (indent + 1)
    if isinstance(v, list):
        return "[\n" + ",\n".join(inner + _format(x, indent + 1) for x in v) + "\n" + pad + "]"
    items = [inner + json.dumps(k) + ": " + _format(x, indent + 1) for k, x in v.items()]
    return "{\n" + ",\n".join(items) + "\n" + pad + "}"


def write(filename, cases, here):
    doc = {"torch": torch.__version__.split("+")[0], "cases": cases}
    path = os.path.join(here, filename)
    with open(path, "w") as f:
        f.write(_format(doc, 0))
        f.write("\n")
    with open(path) as f:
        json.load(f)  # parses back
    size = os.path.getsize(path)
    assert size < 300_000, f"{filename} is {size} bytes"
    print(f"{filename}: {len(cases)} cases, {size} bytes")
