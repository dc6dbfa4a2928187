"""Shared by bench_torch.py and bench_numpy.py: the timing recipe, the noise check, the JSON
schema and the stdout table. It mirrors Sources/tensorbench/Timing.swift and BenchCommand.swift,
so that all three sides are measured the same way:

- warm-up: at least 3 calls and 50 ms; calibration on warm calls; then 7 blocks of `inner` calls
  sized to ~0.2 s each; the median and the minimum time per call over the blocks. Python's GC is
  off while timing (as timeit does).
- noise: while the blocks run, the share of all CPU time used by *other* processes is read from
  /proc/stat (minus this process's own CPU time, all threads). Above 15 % the measurement is
  repeated (up to 3 tries) and the attempt with the lowest median is kept.

JSON: {"library": ..., "machine": {...}, "results": [{"workload", "case", "size", "threads",
"median_ns", "min_ns", "repeats", "inner", "bytes"?, "flops"?, "ops"?, "bg_pct", "tries"}]}.
"""
import argparse
import datetime
import gc
import json
import os
import platform
import resource
import sys
import time

import numpy as np

STREAM_SIZES = [1_000, 100_000, 1_000_000, 16_000_000]
MATMUL_SIZES = [64, 128, 256, 512, 1024]
BANDWIDTH_SIZE = 16_000_000
OVERHEAD_CHAIN = 100
MLP_LR = 1e-4
STRIDED_SIDE = 1000          # strided: each operand is a 1000×1000 view (1e6 elements)
CAT_INPUTS = 8               # cat: 8 inputs of 1000×1000 (1e6 elements each)
CAT_SIDE = 1000
VIEW_CHAIN = 100             # view-chain: 25 × (slice, transpose, select, unsqueeze)
VIEW_CHAIN_SIDES = [32, 256]  # view-chain: the leaf is [1, s, s]


class Policy:
    def __init__(self, quick=False):
        if quick:
            self.warmup_calls, self.warmup_s, self.block_s, self.blocks, self.tries = 1, 0.005, 0.01, 3, 1
        else:
            self.warmup_calls, self.warmup_s, self.block_s, self.blocks, self.tries = 3, 0.05, 0.2, 7, 3
        self.max_bg = 15.0


def pattern(n, modulus, offset):
    """Element i = float32(i % modulus) / float32(modulus) + offset, as Workload.swift's `pattern`."""
    m = np.float32(modulus)
    return (np.arange(n) % modulus).astype(np.float32) / m + np.float32(offset)


class CPUSample:
    def __init__(self):
        with open("/proc/stat") as f:
            fields = [float(x) for x in f.readline().split()[1:9]]
        hz = os.sysconf("SC_CLK_TCK")
        self.total = sum(fields) / hz
        self.busy = self.total - (fields[3] + fields[4]) / hz
        ru = resource.getrusage(resource.RUSAGE_SELF)
        self.own = ru.ru_utime + ru.ru_stime

    def background_pct(self, earlier):
        total = self.total - earlier.total
        if total <= 0:
            return 0.0
        others = (self.busy - earlier.busy) - (self.own - earlier.own)
        return max(0.0, min(100.0, others / total * 100))


def measure(policy, fn):
    gc_was = gc.isenabled()
    gc.disable()
    try:
        calls, t0 = 0, time.perf_counter()
        while calls < policy.warmup_calls or time.perf_counter() - t0 < policy.warmup_s:
            fn()
            calls += 1
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= min(0.02, policy.block_s) and (n >= 2 or elapsed >= policy.block_s):
                break
        inner = max(1, round(policy.block_s / (elapsed / n)))
        best = None
        for attempt in range(1, policy.tries + 1):
            before = CPUSample()
            per_call = []
            for _ in range(policy.blocks):
                t = time.perf_counter()
                for _ in range(inner):
                    fn()
                per_call.append((time.perf_counter() - t) * 1e9 / inner)
            bg = CPUSample().background_pct(before)
            per_call.sort()
            m = dict(median_ns=per_call[len(per_call) // 2], min_ns=per_call[0], repeats=policy.blocks,
                     inner=inner, bg_pct=bg)
            if best is None or m["median_ns"] < best["median_ns"]:
                best = m
            best["tries"] = attempt
            if bg <= policy.max_bg:
                break
        return best
    finally:
        if gc_was:
            gc.enable()


class Case:
    """One thing to time. `prepare()` builds the inputs and returns the call to time."""

    def __init__(self, workload, name, size, prepare, bytes=None, flops=None, ops=None):
        self.workload, self.name, self.size, self.prepare = workload, name, size, prepare
        self.bytes, self.flops, self.ops = bytes, flops, ops


def mlp_flops(widths, batch):
    """FLOP of one training step: forward, weight grads, input grads of all layers but the first."""
    layers = [a * b for a, b in zip(widths, widths[1:])]
    return 2.0 * batch * (2 * sum(layers) + sum(layers[1:]))


def machine_info():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "kernel": f"Linux {platform.release()}",
        "python": platform.python_version(),
        "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
        "openblas_l2_size_env": os.environ.get("OPENBLAS_L2_SIZE"),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def format_time(ns):
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def render_table(results):
    header = ["workload", "case", "size", "thr", "median", "min", "per unit", "rate", "bg%"]
    rows = []
    for r in results:
        per_unit = rate = ""
        if r.get("ops"):
            per_unit = format_time(r["median_ns"] / r["ops"]) + "/op"
        elif r.get("bytes") and not r.get("flops"):
            per_unit = f"{r['median_ns'] / r['size']:.3f} ns/elem"
        if r.get("flops"):
            rate = f"{r['flops'] / r['median_ns']:.1f} GFLOP/s"
        elif r.get("bytes"):
            rate = f"{r['bytes'] / r['median_ns']:.1f} GB/s"
        rows.append([r["workload"], r["case"], str(r["size"]), str(r["threads"]), format_time(r["median_ns"]),
                     format_time(r["min_ns"]), per_unit, rate, f"{r['bg_pct']:.0f}"])
    widths = [max(len(x[i]) for x in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def parser(description, workloads):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("workloads", nargs="*", help=f"workloads to run (default: all): {', '.join(workloads)}")
    p.add_argument("--threads", type=int, default=1, help="threads the library may use")
    p.add_argument("--json", help="write the results as JSON to this file")
    p.add_argument("--max-size", type=int, help="skip cases whose size is larger")
    p.add_argument("--size", type=int, help="only cases of this size")
    p.add_argument("--case", help="only cases whose name contains this text")
    p.add_argument("--quick", action="store_true", help="tiny blocks, no retries: a smoke test")
    return p


def run(args, library, machine, all_workloads):
    """Runs the selected workloads' cases (all_workloads: name -> function(threads) -> [Case])."""
    unknown = [w for w in args.workloads if w not in all_workloads]
    if unknown:
        sys.exit(f"unknown workload {unknown[0]!r}; known: {', '.join(all_workloads)}")
    names = args.workloads or list(all_workloads)
    cases = [c for w in all_workloads if w in names for c in all_workloads[w](args.threads)]
    cases = [c for c in cases if (args.max_size is None or c.size <= args.max_size)
             and (args.size is None or c.size == args.size)
             and (args.case is None or args.case in c.name)]
    policy = Policy(args.quick)
    tty = sys.stderr.isatty()
    results = []
    for i, c in enumerate(cases):
        label = f"[{i}/{len(cases)}] {c.workload} {c.name} {c.size}"
        if tty:
            print(f"\r\x1b[K{label}", end="", file=sys.stderr, flush=True)
        fn = c.prepare()
        m = measure(policy, fn)
        del fn
        gc.collect()
        r = {"workload": c.workload, "case": c.name, "size": c.size, "threads": args.threads}
        r.update(median_ns=round(m["median_ns"], 1), min_ns=round(m["min_ns"], 1), repeats=m["repeats"],
                 inner=m["inner"], bg_pct=round(m["bg_pct"], 1), tries=m["tries"])
        for key in ("bytes", "flops", "ops"):
            if getattr(c, key) is not None:
                r[key] = getattr(c, key)
        results.append(r)
        done = f"[{i + 1}/{len(cases)}] {c.workload} {c.name} {c.size}: {format_time(m['median_ns'])}"
        print(f"\r\x1b[K{done}" if tty else done, end="" if tty else "\n", file=sys.stderr, flush=True)
    if tty:
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    print(render_table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"library": library, "machine": machine, "results": results}, f, indent=2, sort_keys=True)
        print(f"wrote {args.json}", file=sys.stderr)
    return results
