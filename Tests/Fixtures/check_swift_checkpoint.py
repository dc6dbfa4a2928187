#!/usr/bin/env python3
"""Loads checkpoints written by the Swift library into PyTorch's matching modules and checks
that PyTorch computes what Swift computed. Run by hand (the Swift tests run no Python):

    SWIFT_CHECKPOINT_DIR=/tmp/swift-ckpt swift test --skip-build --filter testWriteCheckpointsForPython
    python3 Tests/Fixtures/check_swift_checkpoint.py /tmp/swift-ckpt

The Swift test builds the models of `make_modules_fixture.py` (`MODELS`) with Swift's own
initialization, trains them three SGD steps in training mode (batch norms' running statistics
and `num_batches_tracked` move), saves each with `Module.save(to:)`, and records an input with
the outputs of `eval()` and then `train()` in `swift_modules.json`. For each model this script
builds the PyTorch module, reads the file with `safetensors.torch.load_file`, checks its keys,
dtypes and shapes against `model.state_dict()` (int64 `num_batches_tracked` included), calls
`load_state_dict(..., strict=True)`, and compares PyTorch's `eval()` and `train()` outputs on
the input with Swift's (`atol = rtol = 1e-6` in float32, 1e-12 in float64). Exits non-zero on
any difference.
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file

sys.dont_write_bytecode = True   # no __pycache__ beside the fixtures
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_modules_fixture import MODELS  # noqa: E402


def decode(record, dtype):
    if dtype is None:
        return torch.tensor(record["values"], dtype=torch.int64).reshape(record["shape"])
    return torch.tensor([float(v) for v in record["values"]], dtype=dtype).reshape(record["shape"])


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SWIFT_CHECKPOINT_DIR", "")
    with open(os.path.join(directory, "swift_modules.json")) as f:
        records = json.load(f)["models"]
    torch.set_num_threads(1)
    failures = 0
    for name, (builder, dtype, _, _, bound) in MODELS.items():
        record = records[name]
        model = builder().to(dtype)
        state = load_file(os.path.join(directory, record["file"]))
        expected = model.state_dict()
        assert set(state) == set(expected), f"{name}: keys {sorted(state)} vs {sorted(expected)}"
        for key, tensor in expected.items():
            assert state[key].dtype == tensor.dtype and state[key].shape == tensor.shape, \
                f"{name}: {key} is {state[key].dtype} {list(state[key].shape)}, PyTorch's {tensor.dtype} {list(tensor.shape)}"
        model.load_state_dict(state, strict=True)
        x = decode(record["input"], None if bound is not None else dtype)
        tolerance = 1e-12 if dtype == torch.float64 else 1e-6
        with torch.no_grad():
            for mode in ("eval", "train"):
                model.train(mode == "train")
                ours = model(x)
                swift = decode(record[f"{mode}Output"], dtype)
                ok = torch.allclose(ours, swift, rtol=tolerance, atol=tolerance)
                difference = (ours - swift).abs().max().item()
                print(f"{name}: {mode}() output {'matches' if ok else 'DIFFERS'} (max |difference| {difference:.3g}); "
                      f"{len(state)} tensors loaded with strict=True")
                failures += not ok
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
