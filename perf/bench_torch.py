#!/usr/bin/env python3
"""The benchmark workloads of `tensorbench bench`, in PyTorch (eager, float32, CPU).

Set-up: pip install torch numpy. Usage: python3 perf/bench_torch.py [WORKLOAD...] --threads N --json FILE
Each workload is the twin of Sources/tensorbench/Workloads/<Name>.swift: same shapes, same ops,
same data (bench_common.pattern), same timing recipe (bench_common.measure).
"""
import bench_common as bc
import torch
import torch.nn.functional as F
from torch import nn


def t(values):
    return torch.from_numpy(values)


def seed(threads):
    def prepare():
        x = torch.ones(2, 2, requires_grad=True)

        def step():
            y = x + 2
            out = (y * y * 3).mean()
            out.backward()
            x.grad = None
        return step
    return [bc.Case("seed", "step", 4, prepare, ops=4)]


def chain(x):
    y = x
    for _ in range(bc.OVERHEAD_CHAIN // 2):
        y = y * 0.999
        y = y + 0.001
    return y.sum()


def overhead(threads):
    cases = []
    for n in (1, 64):
        def fwd(n=n):
            x = torch.ones(n, requires_grad=True)
            return lambda: chain(x)

        def fwd_bwd(n=n):
            x = torch.ones(n, requires_grad=True)

            def step():
                chain(x).backward()
                x.grad = None
            return step

        def no_grad(n=n):
            x = torch.ones(n, requires_grad=True)

            def step():
                with torch.no_grad():
                    chain(x)
            return step
        ops = bc.OVERHEAD_CHAIN + 1
        cases += [bc.Case("overhead", "fwd", n, fwd, ops=ops), bc.Case("overhead", "fwd+bwd", n, fwd_bwd, ops=ops),
                  bc.Case("overhead", "no-grad", n, no_grad, ops=ops)]
    return cases


def elementwise(threads):
    cases = []
    for n in bc.STREAM_SIZES:
        for label, f, bwd_bytes in (("a+b", lambda a, b: a + b, 24), ("a*b+a", lambda a, b: a * b + a, 32)):
            def fwd(n=n, f=f):
                a, b = t(bc.pattern(n, 17, 0.5)), t(bc.pattern(n, 13, 0.5))
                return lambda: f(a, b)

            def fwd_bwd(n=n, f=f):
                a = t(bc.pattern(n, 17, 0.5)).requires_grad_()
                b = t(bc.pattern(n, 13, 0.5)).requires_grad_()
                g = torch.ones(n)

                def step():
                    f(a, b).backward(g)
                    a.grad = None
                    b.grad = None
                return step
            cases += [bc.Case("elementwise", f"{label} fwd", n, fwd, bytes=12.0 * n),
                      bc.Case("elementwise", f"{label} fwd+bwd", n, fwd_bwd, bytes=float(bwd_bytes) * n)]
    return cases


def reduce(threads):
    cases = []
    for n in bc.STREAM_SIZES:
        for label, f in (("sum", lambda x: x.sum()), ("mean", lambda x: x.mean())):
            def fwd(n=n, f=f):
                x = t(bc.pattern(n, 17, 0.5))
                return lambda: f(x)

            def fwd_bwd(n=n, f=f):
                x = t(bc.pattern(n, 17, 0.5)).requires_grad_()

                def step():
                    f(x).backward()
                    x.grad = None
                return step
            cases += [bc.Case("reduce", f"{label} fwd", n, fwd, bytes=4.0 * n),
                      bc.Case("reduce", f"{label} fwd+bwd", n, fwd_bwd, bytes=8.0 * n)]
    return cases


def matmul(threads):
    def prepare(n):
        a = t(bc.pattern(n * n, 17, -0.5)).reshape(n, n)
        b = t(bc.pattern(n * n, 13, -0.5)).reshape(n, n)
        return lambda: a @ b
    return [bc.Case("matmul", "fwd", n, lambda n=n: prepare(n), bytes=12.0 * n * n, flops=2.0 * n ** 3)
            for n in bc.MATMUL_SIZES]


def mlp_cases(workload, widths, batch):
    flops = bc.mlp_flops(widths, batch)

    def data():
        x = t(bc.pattern(batch * widths[0], 17, -0.5)).reshape(batch, widths[0])
        return x, torch.arange(batch) % 10

    def linears():
        torch.manual_seed(0)
        return [nn.Linear(a, b) for a, b in zip(widths, widths[1:])]

    def nn_step():
        x, labels = data()
        layers = []
        for i, layer in enumerate(linears()):
            if i:
                layers.append(nn.ReLU())
            layers.append(layer)
        model = nn.Sequential(*layers)
        opt = torch.optim.SGD(model.parameters(), lr=bc.MLP_LR)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), labels)
            loss.backward()
            opt.step()
        return step

    def plain_step():
        x, labels = data()
        params = [(l.weight.detach().clone().requires_grad_(), l.bias.detach().clone().requires_grad_())
                  for l in linears()]
        flat = [p for pair in params for p in pair]

        def step():
            h = x
            for i, (w, b) in enumerate(params):
                if i:
                    h = h.relu()
                h = h @ w.t() + b
            F.cross_entropy(h, labels).backward()
            with torch.no_grad():
                for p in flat:
                    p -= p.grad * bc.MLP_LR
                    p.grad = None
        return step
    return [bc.Case(workload, "nn", batch, nn_step, flops=flops), bc.Case(workload, "plain", batch, plain_step, flops=flops)]


def bandwidth(threads):
    n = bc.BANDWIDTH_SIZE

    def copy():
        a, b = torch.zeros(n), torch.ones(n)
        return lambda: a.copy_(b)

    def triad():
        a, b, c = torch.zeros(n), torch.ones(n), torch.full((n,), 2.0)
        return lambda: torch.add(b, c, alpha=3.0, out=a)
    return [bc.Case("bandwidth", "copy", n, copy, bytes=8.0 * n), bc.Case("bandwidth", "triad", n, triad, bytes=12.0 * n)]


WORKLOADS = {
    "seed": seed, "overhead": overhead, "elementwise": elementwise, "reduce": reduce, "matmul": matmul,
    "mlp-small": lambda threads: mlp_cases("mlp-small", [64, 128, 10], 64),
    "mlp-large": lambda threads: mlp_cases("mlp-large", [784, 512, 512, 10], 256),
    "bandwidth": bandwidth,
}


def main():
    args = bc.parser("PyTorch side of the tensorbench workloads.", WORKLOADS).parse_args()
    torch.set_num_threads(args.threads)
    machine = bc.machine_info()
    info = torch.__config__.parallel_info()
    backend = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("ATen parallel backend")), "?")
    machine.update(
        torch=torch.__version__, numpy=bc.np.__version__, threads=args.threads,
        torch_num_threads=torch.get_num_threads(), parallel_backend=backend,
        cpu_capability=torch.backends.cpu.get_cpu_capability(),
        blas="MKL" if torch.backends.mkl.is_available() else "other",
        mkldnn=torch.backends.mkldnn.is_available())
    bc.run(args, f"pytorch {torch.__version__}", machine, WORKLOADS)


if __name__ == "__main__":
    main()
