#!/usr/bin/env python3
"""Writes the safetensors golden files under Tests/Fixtures/ with Hugging Face's `safetensors`.

Run from anywhere: `python3 Tests/Fixtures/make_safetensors_fixture.py` (needs torch and
`pip install safetensors`; written with torch 2.11 and safetensors 0.8.0). Deterministic.

- mlp_f32.safetensors: the parameters of nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
  after torch.manual_seed(0), float32, saved as `safetensors.torch.save_model` saves them
  (metadata {"format": "pt"}).
- mlp_f64.safetensors: the same model in float64, with torch.manual_seed(1).
- misc_f32.safetensors: tensors that stress the header: a 0-d tensor, an empty [0, 3] tensor, a
  name with non-ASCII letters, quotes, a backslash and a control character, and names whose byte
  order differs from their insertion order.

Every file has the metadata {"format": "pt"} only: the reference implementation writes
`__metadata__` from a hash map, so with two keys or more their order (and the file's bytes)
changes from run to run.
- safetensors_values.json: every tensor of the three files, `repr(float(v))` of each value, so a
  test can check what it loads without trusting its own reader.
"""
import json
import os
import re

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def mlp(dtype, seed):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).to(dtype)
    return {k: v.detach().contiguous() for k, v in model.state_dict().items()}


def misc():
    torch.manual_seed(2)
    return {
        "z.last": torch.randn(2, 2),
        "a.scalar": torch.tensor(3.5),
        "b.empty": torch.zeros(0, 3),
        'na\u00efve "q" \\ \t\x01': torch.randn(3),
        "B.upper": torch.tensor([1.0, -0.0, float("inf")]),
    }


def main():
    files = {
        "mlp_f32.safetensors": (mlp(torch.float32, 0), {"format": "pt"}),
        "mlp_f64.safetensors": (mlp(torch.float64, 1), {"format": "pt"}),
        "misc_f32.safetensors": (misc(), {"format": "pt"}),
    }
    values = {}
    for name, (tensors, metadata) in files.items():
        path = os.path.join(HERE, name)
        save_file(tensors, path, metadata=metadata)
        os.chmod(path, 0o644)
        values[name] = {k: {"shape": list(v.shape), "values": [repr(float(x)) for x in v.reshape(-1).tolist()]}
                        for k, v in tensors.items()}
        print(f"wrote {name}")
    text = json.dumps(values, indent=1, ensure_ascii=True)
    text = re.sub(r"\[[^\[\]{}]*\]", lambda m: "[" + ", ".join(x.strip() for x in m.group(0)[1:-1].split(",") if x.strip()) + "]", text)
    with open(os.path.join(HERE, "safetensors_values.json"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
