#!/usr/bin/env python3
"""Writes the PyTorch checkpoints of whole models and what those models compute, for
`Tests/AutogradTests/ModuleCheckpointTests.swift` (issue 18: a model saved by PyTorch loads in
the matching Swift module, and the other way round).

Each model (built by `MODELS`, the same architecture the Swift test builds) is made from
`torch.manual_seed`, trained a few SGD steps in training mode (so that its parameters moved and
its batch norms' running statistics and `num_batches_tracked` are not the initial ones), then
saved with `safetensors.torch.save_file(model.state_dict(), path, metadata={"format": "pt"})`,
a file of F32 (or F64) tensors and I64 `num_batches_tracked` scalars. `modules.json` records,
per model: the file, the dtype, `model.state_dict().keys()` in order, an input, the output of
`model.eval()` on it, then the output of `model.train()` on it (batch statistics), and every
buffer after that training-mode call (running statistics updated once more). `initialization`:
for the layers of `INIT_LAYERS`, PyTorch's default initialization (shapes, dtypes, uniform
bounds, and the drawn values' range and moments; see `initialization()`).

Values are `repr(float(v))` strings; integer inputs are integers. `torch.set_num_threads(1)`, so
that the sums are the same on every run. Deterministic: running the script again writes the same
files. `check_swift_checkpoint.py` imports `MODELS` to load files the Swift side wrote.

Setup: `pip install torch==2.11.0 safetensors==0.8.0`, then
`python3 Tests/Fixtures/make_modules_fixture.py`.
"""
import json
import math
import os
import re

import safetensors
import torch
import torch.nn as nn
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


class TextModel(nn.Module):
    """Embedding (with a padding row) → LayerNorm → Linear, on int64 token indices."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(12, 8, padding_idx=0)
        self.norm = nn.LayerNorm(8)
        self.fc = nn.Linear(8, 3)

    def forward(self, tokens):
        return self.fc(self.norm(self.embed(tokens)))


class Net1d(nn.Module):
    """A custom module nesting two Sequentials: Conv1d → BatchNorm1d → ReLU, then Flatten →
    Linear → BatchNorm1d on [N, C] without affine parameters (buffers only)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.BatchNorm1d(4), nn.ReLU())
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 6, 3), nn.BatchNorm1d(3, affine=False))

    def forward(self, x):
        return self.head(self.features(x))


def cnn():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 5))


# name: (builder, dtype, seed, input shape, integer input bound or None)
MODELS = {
    "cnn_f32": (cnn, torch.float32, 0, [4, 3, 8, 8], None),
    "cnn_f64": (cnn, torch.float64, 1, [4, 3, 8, 8], None),
    "text_f32": (TextModel, torch.float32, 2, [3, 5], 12),
    "net1d_f32": (Net1d, torch.float32, 3, [5, 2, 6], None),
}


def make_input(shape, dtype, bound):
    if bound is not None:
        tokens = torch.randint(0, bound, shape)
        tokens[0, 0] = 0   # the padding row is looked up
        return tokens
    return torch.randn(shape, dtype=dtype)


def encode(t):
    t = t.detach()
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "values": t.reshape(-1).tolist()}
    return {"shape": list(t.shape), "values": [repr(float(v)) for v in t.reshape(-1).tolist()]}


def build(name):
    builder, dtype, seed, shape, bound = MODELS[name]
    torch.manual_seed(seed)
    model = builder().to(dtype)
    return model, dtype, shape, bound


# Layers whose default initialization the Swift test checks (kind, Swift init arguments).
INIT_LAYERS = [
    ("linear", {"inFeatures": 400, "outFeatures": 500}),
    ("linear", {"inFeatures": 3, "outFeatures": 2000}),
    ("conv2d", {"inChannels": 6, "outChannels": 64, "kernelSize": 3, "groups": 2}),
    ("conv2d", {"inChannels": 3, "outChannels": 512, "kernelSize": 5}),
    ("conv1d", {"inChannels": 8, "outChannels": 512, "kernelSize": 5, "groups": 4}),
    ("embedding", {"numEmbeddings": 300, "embeddingDim": 40}),
    ("layerNorm", {"normalizedShape": [4, 5]}),
    ("batchNorm1d", {"numFeatures": 7}),
    ("batchNorm2d", {"numFeatures": 5}),
]


def init_layer(kind, a):
    if kind == "linear":
        return nn.Linear(a["inFeatures"], a["outFeatures"])
    if kind == "conv2d":
        return nn.Conv2d(a["inChannels"], a["outChannels"], a["kernelSize"], groups=a.get("groups", 1))
    if kind == "conv1d":
        return nn.Conv1d(a["inChannels"], a["outChannels"], a["kernelSize"], groups=a.get("groups", 1))
    if kind == "embedding":
        return nn.Embedding(a["numEmbeddings"], a["embeddingDim"])
    if kind == "layerNorm":
        return nn.LayerNorm(a["normalizedShape"])
    if kind == "batchNorm1d":
        return nn.BatchNorm1d(a["numFeatures"])
    return nn.BatchNorm2d(a["numFeatures"])


def initialization():
    """Per layer: each state_dict entry's shape and dtype, and what PyTorch's default
    initialization gives: `bound`, the uniform bound `reset_parameters` uses for a weight or
    bias (`1/sqrt(fan_in)` from `init._calculate_fan_in_and_fan_out(weight)`: kaiming-uniform with
    a=sqrt(5) for the weight, the same bound for the bias), and the drawn values' min, max,
    mean and std (from torch.manual_seed(4); the Swift generator differs, so only the
    distribution can be compared); constant tensors as their one value."""
    torch.manual_seed(4)
    layers = []
    for kind, args in INIT_LAYERS:
        layer = init_layer(kind, args)
        entries = {}
        for key, t in layer.state_dict().items():
            entry = {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")}
            values = t.double().reshape(-1)
            if kind in ("linear", "conv1d", "conv2d"):
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(layer.weight)
                entry["bound"] = repr(1 / math.sqrt(fan_in))
            if values.numel() > 1 and values.min() != values.max():
                entry.update({"min": repr(values.min().item()), "max": repr(values.max().item()),
                              "mean": repr(values.mean().item()), "std": repr(values.std().item())})
            else:
                entry["constant"] = values[0].item() if t.dtype != torch.int64 else int(values[0].item())
            entries[key] = entry
        layers.append({"kind": kind, "args": args, "stateDict": entries})
    return layers


def main():
    assert torch.__version__.split("+")[0] == "2.11.0", f"written with torch 2.11.0, not {torch.__version__}"
    assert safetensors.__version__ == "0.8.0", f"written with safetensors 0.8.0, not {safetensors.__version__}"
    torch.set_num_threads(1)
    out = {"torch": "2.11.0", "safetensors": "0.8.0", "models": {}}
    for name in MODELS:
        model, dtype, shape, bound = build(name)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        model.train()
        for _ in range(3):
            loss = model(make_input(shape, dtype, bound)).square().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
        file = f"module_{name}.safetensors"
        path = os.path.join(HERE, file)
        save_file(state, path, metadata={"format": "pt"})
        os.chmod(path, 0o644)

        x = make_input(shape, dtype, bound)
        with torch.no_grad():
            model.eval()
            eval_out = model(x)
            model.train()
            train_out = model(x)
        out["models"][name] = {
            "file": file,
            "dtype": str(dtype).replace("torch.", ""),
            "keys": list(state.keys()),
            "input": encode(x),
            "evalOutput": encode(eval_out),
            "trainOutput": encode(train_out),
            "buffersAfterTrain": {k: encode(v) for k, v in model.named_buffers()},
        }
        print(f"wrote {file}")
    out["initialization"] = initialization()
    text = json.dumps(out, indent=1)
    text = re.sub(r"\[[^\[\]{}]*\]", lambda m: "[" + ", ".join(x.strip() for x in m.group(0)[1:-1].split(",") if x.strip()) + "]", text)
    with open(os.path.join(HERE, "modules.json"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
