#!/usr/bin/env python3
"""Writes Tests/Fixtures/transformer_init.safetensors and transformer_steps.json: the first 50
steps of perf/train_transformer_torch.py (seed 0, its defaults: 2000-step cosine schedule, lr
3e-3, batch 32) as torch 2.11 runs them, from the initial weights the Swift test loads.

Run from anywhere (`python3 Tests/Fixtures/make_transformer_steps_fixture.py`); needs
torch==2.11.0 and safetensors (PyPI). Deterministic: the same versions write the same files.

transformer_steps.json: `losses`, the loss of each of the 50 steps (before its update, as
`repr` of the float); `schedule_steps`, the schedule's length (2000).
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "perf", "train_transformer_torch.py")


def main():
    import torch
    assert torch.__version__.startswith("2.11.0"), torch.__version__
    losses = os.path.join(HERE, "transformer_steps.tmp.json")
    # 50 of the 2000 steps: the schedule is the full run's, so the script runs 2000 steps'
    # schedule but stops early (--stop-after).
    subprocess.run([sys.executable, SCRIPT, "--seed", "0", "--steps", "2000", "--stop-after", "50",
                    "--save-init", os.path.join(HERE, "transformer_init.safetensors"), "--losses", losses,
                    "--log-every", "1000"], check=True, stdout=subprocess.DEVNULL)
    with open(losses) as f:
        record = json.load(f)
    os.remove(losses)
    with open(os.path.join(HERE, "transformer_steps.json"), "w") as f:
        json.dump({"torch": torch.__version__, "schedule_steps": 2000, "losses": record["losses"]}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
