#!/usr/bin/env python3
"""Whole training runs side by side: `tensorbench train` against PyTorch's run of the same
(perf/train_torch.py for the CNN, perf/train_transformer_torch.py for the transformer), each
under /usr/bin/time -v, alternating ours and theirs for --rounds rounds per thread count.
Prints a Markdown table of medians: training time (the loop only, as each program reports it),
the median step, peak resident memory, and the final accuracy or validation loss.

    python3 perf/compare_training.py --models cnn,transformer --threads 1,2 --rounds 3 \\
        [--compile]   # also torch.compile's transformer run

Needs a release build of tensorbench (.build/release/tensorbench, or --tensorbench).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command):
    out = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{out.stdout}\n{out.stderr}")
    text = out.stdout
    result = {"rss_mb": int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1)) / 1024}
    result["training_ms"] = float(re.search(r"training ([\d.]+) ms", text).group(1))
    m = re.search(r"median step ([\d.]+) µs", text)
    result["step_us"] = float(m.group(1)) if m else float(re.search(r"\(([\d.]+) µs/step", text).group(1))
    m = re.search(r"test accuracy ([\d.]+)%", text)
    if m:
        result["quality"] = f"{float(m.group(1)):.2f} %"
    else:
        loss = float(re.search(r"validation loss ([\d.]+)", text).group(1))
        result["quality"] = f"val {loss:.4f}"
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="cnn,transformer")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--compile", action="store_true", help="add torch.compile's transformer run")
    p.add_argument("--transformer-steps", type=int, default=2000, help="the transformer runs' length")
    p.add_argument("--tensorbench", default=os.path.join(ROOT, ".build", "release", "tensorbench"))
    a = p.parse_args()
    rows = []
    for model in a.models.split(","):
        for threads in [int(t) for t in a.threads.split(",")]:
            ours = [a.tensorbench, "train", "--model", model, "--threads", str(threads), "--seed", str(a.seed), "--quiet"]
            script = "train_torch.py" if model != "transformer" else "train_transformer_torch.py"
            theirs = [sys.executable, os.path.join("perf", script), "--threads", str(threads), "--seed", str(a.seed)]
            if model != "transformer":
                theirs += ["--model", model, "--quiet"]
            else:
                steps = ["--steps", str(a.transformer_steps)]
                ours += steps
                theirs += steps + ["--log-every", "100000"]
            sides = {"ours": ours, "torch": theirs}
            if a.compile and model == "transformer":
                sides["torch.compile"] = theirs + ["--compile"]
            results = {name: [] for name in sides}
            for r in range(a.rounds):
                for name, command in sides.items():
                    results[name].append(run(command))
                    print(f"{model} {threads} thread(s) round {r + 1} {name}: {results[name][-1]}", file=sys.stderr)
            med = {name: {k: statistics.median(x[k] for x in rs) for k in ("training_ms", "step_us", "rss_mb")}
                   | {"quality": rs[-1]["quality"]} for name, rs in results.items()}
            for name in sides:
                ratio = med[name]["training_ms"] / med["ours"]["training_ms"] if name != "ours" else 1.0
                rows.append((model, threads, name, med[name], ratio))
    print("| model | threads | run | training | median step | peak RSS | result | time / ours |")
    print("|---|---|---|---|---|---|---|---|")
    for model, threads, name, m, ratio in rows:
        print(f"| {model} | {threads} | {name} | {m['training_ms'] / 1000:.2f} s | {m['step_us']:.0f} µs | "
              f"{m['rss_mb']:.0f} MB | {m['quality']} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
