#!/usr/bin/env python3
"""The NumPy side of the tensorbench workloads that NumPy can do: elementwise and reduce
(forward only: NumPy has no autograd), matmul, bandwidth, strided and cat (forward only) and
view-chain (its `no-grad` case: NumPy views, nothing recorded).

Set-up: pip install numpy threadpoolctl. Usage: python3 perf/bench_numpy.py [WORKLOAD...] --threads N --json FILE

Threads: BLAS (matmul) is limited with threadpoolctl. NumPy's elementwise ops, reductions,
concatenate and views are single-threaded, so those run only when --threads is 1. bandwidth
splits its arrays between --threads Python threads (ufuncs release the GIL).

OpenBLAS kernel: this machine's environment may set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (for
old OpenBLAS builds); they slow NumPy's OpenBLAS 0.3.31 down. perf/compare unsets both for this
command only; the kernel actually loaded is recorded from threadpoolctl.
"""
import concurrent.futures

import bench_common as bc
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits


def elementwise(threads):
    if threads != 1:
        return []
    cases = []
    for n in bc.STREAM_SIZES:
        for label, f in (("a+b", lambda a, b: a + b), ("a*b+a", lambda a, b: a * b + a)):
            def fwd(n=n, f=f):
                a, b = bc.pattern(n, 17, 0.5), bc.pattern(n, 13, 0.5)
                return lambda: f(a, b)
            cases.append(bc.Case("elementwise", f"{label} fwd", n, fwd, bytes=12.0 * n))
    return cases


def reduce(threads):
    if threads != 1:
        return []
    cases = []
    for n in bc.STREAM_SIZES:
        for label, f in (("sum", lambda x: x.sum()), ("mean", lambda x: x.mean())):
            def fwd(n=n, f=f):
                x = bc.pattern(n, 17, 0.5)
                return lambda: f(x)
            cases.append(bc.Case("reduce", f"{label} fwd", n, fwd, bytes=4.0 * n))
    return cases


def matmul(threads):
    def prepare(n):
        a = bc.pattern(n * n, 17, -0.5).reshape(n, n)
        b = bc.pattern(n * n, 13, -0.5).reshape(n, n)
        return lambda: a @ b
    return [bc.Case("matmul", "fwd", n, lambda n=n: prepare(n), bytes=12.0 * n * n, flops=2.0 * n ** 3)
            for n in bc.MATMUL_SIZES]


def split(n, threads, body):
    """Runs body(lo, hi) on `threads` Python threads, each on its share of 0..<n."""
    if threads == 1:
        return lambda: body(0, n)
    pool = concurrent.futures.ThreadPoolExecutor(threads)
    chunk = (n // threads + 15) // 16 * 16
    bounds = [(i * chunk, n if i == threads - 1 else min(n, (i + 1) * chunk)) for i in range(threads)]

    def run():
        for f in [pool.submit(body, lo, hi) for lo, hi in bounds]:
            f.result()
    return run


def bandwidth(threads):
    n = bc.BANDWIDTH_SIZE
    block = 1 << 16   # triad in 256 KB blocks, so that s*c's temporary stays in cache

    def copy():
        a, b = np.zeros(n, np.float32), np.ones(n, np.float32)
        return split(n, threads, lambda lo, hi: np.copyto(a[lo:hi], b[lo:hi]))

    def triad():
        a, b = np.zeros(n, np.float32), np.ones(n, np.float32)
        c = np.full(n, 2.0, np.float32)
        s = np.float32(3.0)
        temps = {}

        def body(lo, hi):
            tmp = temps.setdefault(lo, np.empty(block, np.float32))
            for i in range(lo, hi, block):
                j = min(hi, i + block)
                t = tmp[: j - i]
                np.multiply(c[i:j], s, out=t)
                np.add(b[i:j], t, out=a[i:j])
        return split(n, threads, body)
    return [bc.Case("bandwidth", "copy", n, copy, bytes=8.0 * n), bc.Case("bandwidth", "triad", n, triad, bytes=12.0 * n)]


STRIDED_LAYOUTS = [
    ("contig", (1000, 1000), lambda a: a, lambda b: b),
    ("both-t", (1000, 1000), lambda a: a.T, lambda b: b.T),
    ("one-t", (1000, 1000), lambda a: a.T, lambda b: b),
    ("narrow", (1000, 1024), lambda a: a[:, :1000], lambda b: b[:, :1000]),
    ("step2", (1000, 2000), lambda a: a[:, ::2], lambda b: b[:, ::2]),
]


def strided(threads):
    """bench_torch.strided's fwd cases: x+y and x*y on 1000×1000 views (views taken in the call)."""
    if threads != 1:
        return []
    n = bc.STRIDED_SIDE * bc.STRIDED_SIDE
    cases = []
    for label, f in (("x+y", lambda x, y: x + y), ("x*y", lambda x, y: x * y)):
        for layout, shape, va, vb in STRIDED_LAYOUTS:
            def fwd(f=f, shape=shape, va=va, vb=vb):
                size = shape[0] * shape[1]
                a, b = bc.pattern(size, 17, 0.5).reshape(shape), bc.pattern(size, 13, 0.5).reshape(shape)
                return lambda: f(va(a), vb(b))
            cases.append(bc.Case("strided", f"{label} {layout} fwd", n, fwd, bytes=12.0 * n))
    return cases


def cat(threads):
    """bench_torch.cat's fwd cases: np.concatenate of 8 arrays of 1000×1000 along axis 0 and 1."""
    if threads != 1:
        return []
    n = bc.CAT_SIDE * bc.CAT_SIDE
    cases = []
    for dim in (0, 1):
        def fwd(dim=dim):
            xs = [bc.pattern(n, 17, 0.5 + i).reshape(bc.CAT_SIDE, bc.CAT_SIDE) for i in range(bc.CAT_INPUTS)]
            return lambda: np.concatenate(xs, axis=dim)
        cases.append(bc.Case("cat", f"dim{dim} fwd", n, fwd, bytes=8.0 * bc.CAT_INPUTS * n))
    return cases


def view_chain(x):
    """bench_torch.view_chain on an ndarray: 25 × (slice, transpose, select, unsqueeze)."""
    y = x
    for _ in range(bc.VIEW_CHAIN // 4):
        y = y[:, 1:]
        y = y.swapaxes(1, 2)
        y = y[0]
        y = y[None]
    return y


def view_chains(threads):
    """The twin of bench_torch's view-chain `no-grad` case (NumPy has no grad): 100 views."""
    if threads != 1:
        return []
    cases = []
    for s in bc.VIEW_CHAIN_SIDES:
        def no_grad(s=s):
            x = bc.pattern(s * s, 17, 0.5).reshape(1, s, s)
            return lambda: view_chain(x)
        cases.append(bc.Case("view-chain", "no-grad", s * s, no_grad, ops=bc.VIEW_CHAIN))
    return cases


WORKLOADS = {"elementwise": elementwise, "reduce": reduce, "matmul": matmul, "bandwidth": bandwidth,
             "strided": strided, "cat": cat, "view-chain": view_chains}


def main():
    args = bc.parser("NumPy side of the tensorbench workloads.", WORKLOADS).parse_args()
    machine = bc.machine_info()
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    machine.update(numpy=np.__version__, threads=args.threads,
                   blas=", ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} kernels" for i in blas))
    with threadpool_limits(limits=args.threads, user_api="blas"):
        bc.run(args, f"numpy {np.__version__}", machine, WORKLOADS)


if __name__ == "__main__":
    main()
